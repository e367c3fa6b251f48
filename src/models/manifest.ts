/**
 * `autoglm-manifest.json`: what a download verified, written into the model folder last, so a
 * folder with a manifest was complete when it was moved into place. `verifyModelFolder` checks a
 * folder against it later (sizes: fast; hashes: full); a folder that no longer matches is
 * reported with what is missing, changed or extra, never used as if it were intact.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { readRegularFile } from '../common/regularFile';
import { sha256OfFile } from './hashing';
import { isRepoId, isSafeRepoPath } from './names';

export const MANIFEST_FILE = 'autoglm-manifest.json';
const MANIFEST_LIMIT = 1024 * 1024;

export interface ManifestFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface ModelManifest {
  readonly format: 1;
  readonly repo: string;
  /** The commit the files came from. */
  readonly revision: string;
  /** Host of the endpoint they came from (the Hub or a mirror). */
  readonly endpointHost: string;
  /** The ONNX variants in the folder, e.g. ['q4']; a later pull of another variant of the same commit adds to the folder. */
  readonly variants: readonly string[];
  readonly files: readonly ManifestFile[];
  /** ISO 8601 time the download was verified. */
  readonly downloadedAt: string;
}

export type ManifestRead = { kind: 'ok'; manifest: ModelManifest } | { kind: 'missing' } | { kind: 'invalid'; problem: string };

export type VerifyMode = 'fast' | 'full';

export interface FileProblem {
  readonly path: string;
  /** e.g. 'size 10 instead of 12', 'sha256 differs', 'a link', 'a folder'. */
  readonly problem: string;
}

export interface VerifyReport {
  readonly dir: string;
  readonly ok: boolean;
  /** Undefined when the folder has no readable manifest (then `problem` says why). */
  readonly manifest: ModelManifest | undefined;
  readonly problem?: string;
  readonly missing: readonly string[];
  readonly changed: readonly FileProblem[];
  readonly extra: readonly string[];
}

function isManifestFile(v: unknown): v is ManifestFile {
  const f = v as ManifestFile | null;
  return typeof f?.path === 'string' && isSafeRepoPath(f.path) && Number.isSafeInteger(f.size) && f.size >= 0 && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256);
}

/** Checks the parsed JSON; returns what is wrong, or undefined. */
function manifestProblem(v: unknown): string | undefined {
  const m = v as Partial<ModelManifest> | null;
  if (m?.format !== 1) {
    return 'format is not 1';
  }
  if (typeof m.repo !== 'string' || !isRepoId(m.repo)) {
    return 'repo is not a repository id';
  }
  if (typeof m.revision !== 'string' || m.revision === '') {
    return 'revision is missing';
  }
  if (!Array.isArray(m.files) || !m.files.every(isManifestFile)) {
    return 'files is not a list of {path, size, sha256}';
  }
  if (!Array.isArray(m.variants) || !m.variants.every((v) => typeof v === 'string')) {
    return 'variants is not a list of names';
  }
  return typeof m.endpointHost === 'string' && typeof m.downloadedAt === 'string' ? undefined : 'endpointHost or downloadedAt is missing';
}

export async function readManifest(dir: string): Promise<ManifestRead> {
  const read = await readRegularFile(path.join(dir, MANIFEST_FILE), MANIFEST_LIMIT, { followLinks: false });
  if (read.kind === 'missing') {
    return { kind: 'missing' };
  }
  if (read.kind !== 'text') {
    return { kind: 'invalid', problem: `${MANIFEST_FILE} is not a readable file (${read.kind})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch {
    return { kind: 'invalid', problem: `${MANIFEST_FILE} is not JSON` };
  }
  const problem = manifestProblem(parsed);
  return problem === undefined ? { kind: 'ok', manifest: parsed as ModelManifest } : { kind: 'invalid', problem: `${MANIFEST_FILE}: ${problem}` };
}

/** Written through a temporary file and a rename, so a reader sees the old manifest or the new one. */
export async function writeManifest(dir: string, manifest: ModelManifest): Promise<void> {
  const file = path.join(dir, MANIFEST_FILE);
  const temp = `${file}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(manifest, null, 2)}\n`, { flag: 'w' });
  await fs.rename(temp, file);
}

/** Every regular file below `dir` as a repository path; links and other non-files are listed in `odd`. */
async function walk(dir: string, prefix = ''): Promise<{ files: string[]; odd: FileProblem[] }> {
  const files: string[] = [];
  const odd: FileProblem[] = [];
  for (const entry of await fs.readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      const below = await walk(dir, rel);
      files.push(...below.files);
      odd.push(...below.odd);
    } else if (entry.isFile()) {
      files.push(rel);
    } else {
      odd.push({ path: rel, problem: entry.isSymbolicLink() ? 'a link' : 'not a regular file' });
    }
  }
  return { files, odd };
}

async function checkFile(dir: string, file: ManifestFile, mode: VerifyMode): Promise<FileProblem | 'missing' | undefined> {
  const full = path.join(dir, ...file.path.split('/'));
  const stat = await fs.lstat(full).catch(() => undefined);
  if (!stat) {
    return 'missing';
  }
  if (!stat.isFile()) {
    return { path: file.path, problem: stat.isSymbolicLink() ? 'a link' : 'not a regular file' };
  }
  if (stat.size !== file.size) {
    return { path: file.path, problem: `size ${stat.size} instead of ${file.size}` };
  }
  if (mode === 'full' && (await sha256OfFile(full, file.size)) !== file.sha256) {
    return { path: file.path, problem: 'sha256 differs from the manifest' };
  }
  return undefined;
}

/** Rechecks a downloaded model folder against its manifest. */
export async function verifyModelFolder(dir: string, mode: VerifyMode = 'fast'): Promise<VerifyReport> {
  const read = await readManifest(dir);
  if (read.kind !== 'ok') {
    const problem = read.kind === 'missing' ? `${MANIFEST_FILE} is missing: not a verified download` : read.problem;
    return { dir, ok: false, manifest: undefined, problem, missing: [], changed: [], extra: [] };
  }
  const { manifest } = read;
  const missing: string[] = [];
  const changed: FileProblem[] = [];
  for (const file of manifest.files) {
    const outcome = await checkFile(dir, file, mode);
    if (outcome === 'missing') {
      missing.push(file.path);
    } else if (outcome) {
      changed.push(outcome);
    }
  }
  const listed = new Set([MANIFEST_FILE, ...manifest.files.map((f) => f.path)]);
  const found = await walk(dir);
  const extra = [...found.files, ...found.odd.map((o) => o.path)].filter((f) => !listed.has(f));
  return { dir, ok: missing.length === 0 && changed.length === 0 && extra.length === 0, manifest, missing, changed, extra };
}

/** One line per problem, for the CLI and the editor's message. */
export function describeReport(report: VerifyReport): string[] {
  if (report.problem) {
    return [`${report.dir}: ${report.problem}`];
  }
  return [...report.missing.map((f) => `${f}: missing`), ...report.changed.map((c) => `${c.path}: ${c.problem}`), ...report.extra.map((f) => `${f}: not part of the download`)];
}
