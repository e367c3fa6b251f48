/** The models area: Hub protocol, downloader, manifest, catalog and where models live. No editor, no engine. */
export { ModelDownloadError, type ModelErrorCode } from './errors';
export { DEFAULT_ENDPOINT, listRepo, resolveRevision, fileMetadata, resolveUrl, type HubOptions, type HubFile, type RepoListing, type FileMetadata } from './hubApi';
export { proxyFromEnv, type ProxySettings } from './proxy';
export { downloadModel, stagingFolder, type DownloadPlan, type PlannedFile, type DownloadOptions, type DownloadResult, type StatFs } from './download';
export type { DownloadProgress } from './progress';
export type { WriteStreamFactory } from './fileFetch';
export { MANIFEST_FILE, readManifest, verifyModelFolder, describeReport, type ModelManifest, type ManifestFile, type VerifyReport, type VerifyMode, type FileProblem } from './manifest';
export {
  loadCatalog,
  parseCatalog,
  defaultCatalogPath,
  findEntry,
  variantOf,
  fitsMachine,
  recommendedEntry,
  catalogPlan,
  planForEntry,
  CatalogError,
  type Catalog,
  type CatalogEntry,
  type CatalogVariant,
  type CatalogFile,
  type ModelRole,
} from './catalog';
export { planForRepo, pickModelFiles, availableVariants, variantFileName, ENGINE_FILES, VARIANT_PREFERENCE } from './plan';
export { parseRepoSpec, isRepoId, isSafeRepoPath } from './names';
export { defaultModelsRoot, modelFolder, isInside } from './paths';
export { installedModels, findInstalled, modelFolderFor, removeModel, type InstalledModel } from './installed';
export { pullModel, planPull, modelFolderProblem, type PullSource, type PullOptions } from './pull';
