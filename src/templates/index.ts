/** Prompt template packs: load, validate, render, lint, golden tests, lock file. */
export * from './types';
export { loadPack, hashText, normalizeText, type LoadedPack, type LoadedTemplate, type PartialInfo } from './pack';
export { loadCatalog, workspacePackDir, describeSource, UNTRUSTED_REASON, type CatalogEntry, type CatalogRequest, type TemplateCatalog } from './catalog';
export { missingVariables, coerceVariable } from './variables';
export { estimateTokens, HELPER_NAMES } from './helpers';
export { lintPack, resolvePackDir, type LintReport } from './lint';
export { runGoldenTests, type GoldenReport, type GoldenCaseResult } from './golden';
export { checkLock, defaultLockPath, readLock, writeLock, lockEntry, type LockFile } from './lock';
export { scaffoldTemplate, scaffoldManifest } from './scaffold';
export { packFimTemplate, packFimTemplates, type PackFimTemplate, type FimContext } from './fim';
