import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as semver from 'semver';
import type { LoadedPack } from './pack';
import { MAX_LOCK_BYTES, readLocalFile, writeFileSafely } from './packFiles';
import type { TemplateDiagnostic } from './types';

/**
 * `.autoglm/prompts.lock`: for each pack, the version and content hash of every template (and the
 * hash of every partial), so that a change merged without a version bump is noticed.
 */
export const LOCK_FILE_VERSION = 1;

export interface LockedTemplate {
  readonly version: string;
  readonly hash: string;
  /** Path relative to the pack folder, for people reading the lock file. */
  readonly file: string;
}

export interface LockedPack {
  readonly version: string;
  readonly templates: Readonly<Record<string, LockedTemplate>>;
  readonly partials: Readonly<Record<string, string>>;
}

export interface LockFile {
  readonly lockfileVersion: number;
  readonly packs: Readonly<Record<string, LockedPack>>;
}

/** The lock file of a pack folder: `.autoglm/prompts.lock` beside a `.autoglm/prompts` pack, else `<parent>/.autoglm/prompts.lock`. */
export function defaultLockPath(packDir: string): string {
  const parent = path.dirname(path.resolve(packDir));
  return path.basename(parent) === '.autoglm' ? path.join(parent, 'prompts.lock') : path.join(parent, '.autoglm', 'prompts.lock');
}

export function lockEntry(pack: LoadedPack): LockedPack {
  const templates: Record<string, LockedTemplate> = {};
  for (const t of [...pack.templates].sort((a, b) => (a.meta.id < b.meta.id ? -1 : 1))) {
    templates[t.meta.id] = { version: t.meta.version, hash: t.hash, file: path.relative(pack.dir, t.file).split(path.sep).join('/') };
  }
  const partials: Record<string, string> = {};
  for (const p of [...pack.partials].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    partials[p.name] = p.hash;
  }
  return { version: pack.info?.version ?? '0.0.0', templates, partials };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a lock file; `lock` is undefined when there is none (then nothing is checked). */
export async function readLock(file: string): Promise<{ lock?: LockFile; diagnostics: TemplateDiagnostic[] }> {
  const read = await readLocalFile(file, MAX_LOCK_BYTES);
  if (read.problem?.code === 'missing') {
    return { diagnostics: [] };
  }
  const bad = (message: string): { diagnostics: TemplateDiagnostic[] } => ({ diagnostics: [{ file, line: 1, severity: 'error', code: 'bad-lock', message }] });
  if (read.problem) {
    return bad(`lock file is refused: ${read.problem.message}`);
  }
  const text = read.text;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return bad(`lock file is not valid JSON (${err instanceof Error ? err.message : String(err)}); regenerate it with 'autoglm templates lock'`);
  }
  if (!isRecord(data) || data['lockfileVersion'] !== LOCK_FILE_VERSION || !isRecord(data['packs'])) {
    return bad(`lock file is not a version ${LOCK_FILE_VERSION} prompts lock; regenerate it with 'autoglm templates lock'`);
  }
  for (const [name, pack] of Object.entries(data['packs'])) {
    if (!isRecord(pack) || !isRecord(pack['templates']) || !isRecord(pack['partials']) || typeof pack['version'] !== 'string') {
      return bad(`lock file entry for pack '${name}' is malformed; regenerate it with 'autoglm templates lock'`);
    }
    for (const entry of Object.values(pack['templates'])) {
      if (!isRecord(entry) || typeof entry['version'] !== 'string' || typeof entry['hash'] !== 'string') {
        return bad(`lock file entry for pack '${name}' has a malformed template; regenerate it with 'autoglm templates lock'`);
      }
    }
  }
  return { lock: data as unknown as LockFile, diagnostics: [] };
}

/** Writes the lock entry of `pack` (never through a link at `file`), keeping the entries of other packs; returns the new content. */
export async function writeLock(file: string, pack: LoadedPack): Promise<LockFile> {
  const existing = (await readLock(file)).lock;
  const name = pack.info?.name ?? path.basename(pack.dir);
  const packs: Record<string, LockedPack> = { ...(existing?.packs ?? {}), [name]: lockEntry(pack) };
  const sorted = Object.fromEntries(Object.keys(packs).sort().map((k) => [k, packs[k]!]));
  const lock: LockFile = { lockfileVersion: LOCK_FILE_VERSION, packs: sorted };
  await fs.mkdir(path.dirname(file), { recursive: true });
  const refused = await writeFileSafely(file, `${JSON.stringify(lock, null, 2)}\n`);
  if (refused) {
    throw new Error(`${file}: lock file not written: ${refused.message}`);
  }
  return lock;
}

/**
 * Compares a loaded pack with its lock entry. Every difference is an error: content changed
 * without a version bump, a version bumped without updating the lock, templates added or removed.
 */
export function checkLock(pack: LoadedPack, lock: LockFile, lockFile: string): TemplateDiagnostic[] {
  const diagnostics: TemplateDiagnostic[] = [];
  if (!pack.info) {
    return diagnostics;
  }
  const entry = lock.packs[pack.info.name];
  const update = "run 'autoglm templates lock' and commit the lock file";
  if (!entry) {
    diagnostics.push({ file: lockFile, line: 1, severity: 'error', code: 'not-locked', message: `pack '${pack.info.name}' is not in the lock file; ${update}` });
    return diagnostics;
  }
  for (const t of pack.templates) {
    const locked = entry.templates[t.meta.id];
    const line = t.meta.keyLines['version'] ?? 1;
    if (!locked) {
      diagnostics.push({ file: t.file, line: t.meta.keyLines['id'] ?? 1, severity: 'error', code: 'not-locked', message: `template '${t.meta.id}' is not in the lock file; ${update}` });
    } else if (locked.version === t.meta.version) {
      if (locked.hash !== t.hash) {
        diagnostics.push({
          file: t.file,
          line,
          severity: 'error',
          code: 'changed-without-bump',
          message: `template '${t.meta.id}' changed but its version is still ${t.meta.version}: bump 'version', then ${update}`,
        });
      }
    } else if (semver.valid(locked.version) && semver.lt(t.meta.version, locked.version)) {
      diagnostics.push({ file: t.file, line, severity: 'error', code: 'version-downgrade', message: `template '${t.meta.id}' version ${t.meta.version} is lower than the locked ${locked.version}` });
    } else {
      diagnostics.push({
        file: t.file,
        line,
        severity: 'error',
        code: 'lock-outdated',
        message: `template '${t.meta.id}' is version ${t.meta.version} but the lock file has ${locked.version}; ${update}`,
      });
    }
  }
  const present = new Set([...pack.templates.map((t) => t.meta.id), ...pack.failed.flatMap((f) => (f.id !== undefined ? [f.id] : []))]);
  for (const id of Object.keys(entry.templates)) {
    if (!present.has(id)) {
      diagnostics.push({ file: lockFile, line: 1, severity: 'error', code: 'lock-outdated', message: `the lock file lists template '${id}' of pack '${pack.info.name}', which no longer exists; ${update}` });
    }
  }
  const manifest = path.join(pack.dir, 'pack.json');
  const changedPartials = pack.partials.filter((p) => entry.partials[p.name] !== undefined && entry.partials[p.name] !== p.hash);
  const addedPartials = pack.partials.filter((p) => entry.partials[p.name] === undefined);
  if (changedPartials.length > 0 && entry.version === pack.info.version) {
    for (const p of changedPartials) {
      diagnostics.push({
        file: p.file,
        line: 1,
        severity: 'error',
        code: 'changed-without-bump',
        message: `partial '${p.name}' changed but the pack version is still ${pack.info.version}: bump 'version' in pack.json, then ${update}`,
      });
    }
  } else if (entry.version !== pack.info.version || addedPartials.length > 0) {
    diagnostics.push({ file: manifest, line: 1, severity: 'error', code: 'lock-outdated', message: `pack '${pack.info.name}' (version ${pack.info.version}) differs from the lock file (version ${entry.version}); ${update}` });
  }
  return diagnostics;
}
