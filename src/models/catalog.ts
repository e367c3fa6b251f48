/**
 * The model catalog (`models/catalog.json`, data shipped with the extension): which models the
 * picker and `autoglm models` offer, with the files of each variant, their sizes and hashes, and
 * for every value how it was obtained (`source`). Values a maintainer has not yet refreshed from
 * the Hub are null or estimates; the downloader then takes sizes and hashes from the Hub's own
 * headers at download time (see the catalog's `notes`). Validated at load: a malformed entry is
 * a CatalogError naming the entry and the field.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { AutoGlmError } from '../common/errors';
import { readRegularFile } from '../common/regularFile';
import type { DownloadPlan } from './download';
import type { HubOptions } from './hubApi';
import { isRepoId, isRevision, isSafeRepoPath } from './names';
import { planForRepo, variantFileName } from './plan';

export type ModelRole = 'completion' | 'chat';

export interface CatalogFile {
  readonly path: string;
  /** Bytes; null when unknown. */
  readonly size: number | null;
  readonly sha256: string | null;
  /** How size and sha256 were obtained: 'hub-metadata', 'computed from the shipped file', 'estimate: ...', 'unknown: refresh'. */
  readonly source: string;
}

export interface CatalogVariant {
  /** 'q4', 'q4f16', 'int8', 'fp16', 'fp32', ... */
  readonly name: string;
  /** The ONNX file and its external-data parts. */
  readonly files: readonly CatalogFile[];
  /** Disk the variant needs with the common files, in bytes. */
  readonly diskBytes: number;
  /** Memory the engine needs to run it (weights plus a 4k-token KV cache and runtime), in bytes. */
  readonly memoryBytes: number;
  /** How diskBytes and memoryBytes were obtained. */
  readonly source: string;
}

export interface CatalogEntry {
  /** Short id used by the CLI and settings, e.g. 'qwen2.5-coder-1.5b'. */
  readonly id: string;
  readonly name: string;
  /** 'hub': downloaded from `repo`; 'bundled': ships in the extension at `path`. */
  readonly kind: 'hub' | 'bundled';
  /** Hub repository id; null for the bundled model. */
  readonly repo: string | null;
  /** Pinned commit; null until a maintainer refreshes it (then the branch `main` is resolved at download time). */
  readonly revision: string | null;
  readonly revisionSource: string;
  /** Folder of a bundled model, relative to the extension root. */
  readonly path?: string;
  readonly licence: string;
  readonly licenceSource: string;
  readonly roles: readonly ModelRole[];
  /** Why the entry serves those roles. */
  readonly rolesWhy: string;
  readonly fimFamily: string;
  readonly contextLength: number;
  readonly contextLengthSource: string;
  readonly parameters: number;
  readonly parametersSource: string;
  readonly defaultVariant: string;
  /** Config and tokenizer files every variant needs. */
  readonly files: readonly CatalogFile[];
  readonly variants: readonly CatalogVariant[];
}

export interface Catalog {
  readonly format: 1;
  readonly notes: readonly string[];
  readonly entries: readonly CatalogEntry[];
}

export class CatalogError extends AutoGlmError {
  constructor(
    readonly source: string,
    readonly entry: string,
    readonly field: string,
    problem: string,
  ) {
    super(`${source}: entry '${entry}', field '${field}': ${problem}`, 'catalog');
  }
}

type Check = (value: unknown) => string | undefined;

const str: Check = (v) => (typeof v === 'string' && v !== '' ? undefined : 'expected a non-empty string');
const count: Check = (v) => (Number.isSafeInteger(v) && (v as number) > 0 ? undefined : 'expected a positive integer');
const sizeOrNull: Check = (v) => (v === null || (Number.isSafeInteger(v) && (v as number) >= 0) ? undefined : 'expected a byte count or null');
const shaOrNull: Check = (v) => (v === null || (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v)) ? undefined : 'expected a lowercase hex SHA-256 or null');
const repoPath: Check = (v) => (typeof v === 'string' && isSafeRepoPath(v) ? undefined : 'expected a relative path without ".." or odd characters');

function fail(source: string, entry: string, field: string, problem: string | undefined): void {
  if (problem !== undefined) {
    throw new CatalogError(source, entry, field, problem);
  }
}

function checkFiles(source: string, id: string, field: string, files: unknown): void {
  fail(source, id, field, Array.isArray(files) ? undefined : 'expected a list of files');
  (files as unknown[]).forEach((f, i) => {
    const file = (f ?? {}) as Record<string, unknown>;
    fail(source, id, `${field}[${i}].path`, repoPath(file.path));
    fail(source, id, `${field}[${i}].size`, sizeOrNull(file.size));
    fail(source, id, `${field}[${i}].sha256`, shaOrNull(file.sha256));
    fail(source, id, `${field}[${i}].source`, str(file.source));
  });
}

function checkVariants(source: string, id: string, variants: unknown): void {
  fail(source, id, 'variants', Array.isArray(variants) && variants.length > 0 ? undefined : 'expected at least one variant');
  (variants as unknown[]).forEach((v, i) => {
    const variant = (v ?? {}) as Record<string, unknown>;
    fail(source, id, `variants[${i}].name`, str(variant.name));
    checkFiles(source, id, `variants[${i}].files`, variant.files);
    const model = typeof variant.name === 'string' ? variantFileName(variant.name) : '';
    const named = (variant.files as { path: string }[]).some((f) => f.path === model || f.path.endsWith(`/${model}`));
    fail(source, id, `variants[${i}].files`, named ? undefined : `lists no ${model} for variant '${String(variant.name)}'`);
    fail(source, id, `variants[${i}].diskBytes`, count(variant.diskBytes));
    fail(source, id, `variants[${i}].memoryBytes`, count(variant.memoryBytes));
    fail(source, id, `variants[${i}].source`, str(variant.source));
  });
}

function checkEntry(source: string, raw: unknown, index: number): CatalogEntry {
  const e = (raw ?? {}) as Record<string, unknown>;
  const id = typeof e.id === 'string' ? e.id : `#${index}`;
  fail(source, id, 'id', typeof e.id === 'string' && /^[a-z0-9][a-z0-9._-]{0,63}$/.test(e.id) ? undefined : 'expected a lowercase id');
  fail(source, id, 'kind', e.kind === 'hub' || e.kind === 'bundled' ? undefined : "expected 'hub' or 'bundled'");
  fail(source, id, 'repo', (e.kind === 'bundled' && e.repo === null) || (typeof e.repo === 'string' && isRepoId(e.repo)) ? undefined : 'expected a repository id owner/name (null only for the bundled model)');
  fail(source, id, 'revision', e.revision === null || (typeof e.revision === 'string' && isRevision(e.revision)) ? undefined : 'expected a commit or null');
  fail(source, id, 'path', e.kind !== 'bundled' || (typeof e.path === 'string' && isSafeRepoPath(e.path)) ? undefined : 'a bundled entry needs its folder');
  for (const field of ['name', 'revisionSource', 'licence', 'licenceSource', 'rolesWhy', 'contextLengthSource', 'parametersSource', 'defaultVariant']) {
    fail(source, id, field, str(e[field]));
  }
  const roles = e.roles;
  fail(source, id, 'roles', Array.isArray(roles) && roles.length > 0 && roles.every((r) => r === 'completion' || r === 'chat') ? undefined : "expected a list of 'completion' and 'chat'");
  // The family names are completion/fimTemplates.ts's FIM_FAMILIES; models/ may not import completion/, so a unit test keeps them in step.
  fail(source, id, 'fimFamily', typeof e.fimFamily === 'string' && /^[a-z0-9][a-z0-9.-]*$/.test(e.fimFamily) ? undefined : 'expected a FIM family name');
  fail(source, id, 'contextLength', count(e.contextLength));
  fail(source, id, 'parameters', count(e.parameters));
  checkFiles(source, id, 'files', e.files);
  checkVariants(source, id, e.variants);
  fail(source, id, 'defaultVariant', (e.variants as { name: string }[]).some((v) => v.name === e.defaultVariant) ? undefined : 'names no variant of this entry');
  return e as unknown as CatalogEntry;
}

/** Validates parsed catalog JSON; `source` names the file in errors. */
export function parseCatalog(json: unknown, source: string): Catalog {
  const c = (json ?? {}) as Record<string, unknown>;
  fail(source, '(catalog)', 'format', c.format === 1 ? undefined : 'expected 1');
  fail(source, '(catalog)', 'notes', Array.isArray(c.notes) && c.notes.every((n) => typeof n === 'string') ? undefined : 'expected a list of strings');
  fail(source, '(catalog)', 'entries', Array.isArray(c.entries) ? undefined : 'expected a list');
  const entries = (c.entries as unknown[]).map((e, i) => checkEntry(source, e, i));
  const dup = entries.find((e, i) => entries.findIndex((o) => o.id === e.id) !== i);
  fail(source, dup?.id ?? '', 'id', dup ? 'used by two entries' : undefined);
  return { format: 1, notes: c.notes as string[], entries };
}

/** models/catalog.json beside the bundled model, from the compiled bundle or the sources. */
export function defaultCatalogPath(from: string = __dirname): string {
  const candidates = [path.resolve(from, '..', 'models', 'catalog.json'), path.resolve(from, '..', '..', 'models', 'catalog.json')];
  return candidates.find((file) => existsSync(file)) ?? candidates[0]!;
}

const CATALOG_LIMIT = 4 * 1024 * 1024;

export async function loadCatalog(file: string = defaultCatalogPath()): Promise<Catalog> {
  const read = await readRegularFile(file, CATALOG_LIMIT, { followLinks: true });
  if (read.kind !== 'text') {
    throw new CatalogError(file, '(catalog)', '(file)', `cannot read the catalog (${read.kind})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch (err) {
    throw new CatalogError(file, '(catalog)', '(file)', `not JSON: ${(err as Error).message}`);
  }
  return parseCatalog(json, file);
}

export function findEntry(catalog: Catalog, id: string): CatalogEntry | undefined {
  return catalog.entries.find((e) => e.id === id || e.repo?.toLowerCase() === id.toLowerCase());
}

export function variantOf(entry: CatalogEntry, variant: string = entry.defaultVariant): CatalogVariant | undefined {
  return entry.variants.find((v) => v.name === variant);
}

/** Share of the machine's memory a model may take and still leave the editor and the system room. */
const MEMORY_SHARE = 0.6;

/** Whether the variant (default: the entry's default) runs on a machine with `totalMemBytes` of memory. */
export function fitsMachine(entry: CatalogEntry, totalMemBytes: number, variant?: string): boolean {
  const v = variantOf(entry, variant);
  return v !== undefined && v.memoryBytes <= totalMemBytes * MEMORY_SHARE;
}

/** The largest entry for `role` that fits, the one a first run recommends. */
/**
 * Most parameters recommended for inline completion: ghost text must come within a keystroke or
 * two, and a CPU decodes a 7B model several times slower than a 1.5B one. A user may still pick a
 * larger one; it is not recommended.
 */
export const COMPLETION_MAX_PARAMETERS = 2e9;

export function recommendedEntry(catalog: Catalog, role: ModelRole, totalMemBytes: number): CatalogEntry | undefined {
  return catalog.entries
    .filter((e) => e.kind === 'hub' && e.roles.includes(role) && fitsMachine(e, totalMemBytes))
    .filter((e) => role !== 'completion' || e.parameters <= COMPLETION_MAX_PARAMETERS)
    .sort((a, b) => b.parameters - a.parameters)[0];
}

/**
 * The plan of a hub entry's variant without asking the Hub, when the catalog pins the revision
 * and knows every file; undefined otherwise (then `planForEntry` lists the repository).
 */
export function catalogPlan(entry: CatalogEntry, variant: string = entry.defaultVariant): DownloadPlan | undefined {
  const v = variantOf(entry, variant);
  const files = v ? [...entry.files, ...v.files] : [];
  if (entry.repo === null || entry.revision === null || !v || files.some((f) => f.source !== 'hub-metadata')) {
    return undefined;
  }
  return { repo: entry.repo, revision: entry.revision, variant, files: files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })) };
}

/** The plan of a hub entry's variant: from the catalog when complete, else from the repository's listing. */
export async function planForEntry(hub: HubOptions, entry: CatalogEntry, variant: string = entry.defaultVariant, signal?: AbortSignal): Promise<DownloadPlan> {
  if (entry.repo === null) {
    throw new CatalogError('catalog', entry.id, 'repo', 'the bundled model ships with the extension and is not downloaded');
  }
  return catalogPlan(entry, variant) ?? withCatalogDigests(await planForRepo(hub, entry.repo, entry.revision ?? 'main', variant, signal), entry);
}

/** A listing's plan checked against what the catalog knows from the Hub (a refreshed sha256 must still match). */
function withCatalogDigests(plan: DownloadPlan, entry: CatalogEntry): DownloadPlan {
  const known = new Map([...entry.files, ...entry.variants.flatMap((v) => v.files)].filter((f) => f.source === 'hub-metadata').map((f) => [f.path, f]));
  return { ...plan, files: plan.files.map((f) => ({ ...f, sha256: f.sha256 ?? known.get(f.path)?.sha256 ?? null })) };
}
