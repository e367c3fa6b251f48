/**
 * The staging folder of a download (`<parent>/.<name>.download/`, beside the model folder and on
 * its file system): created without following a link, locked against a second download, cleared
 * of files the plan does not list, and renamed into place once verified.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelDownloadError } from './errors';

/** Where the parts of a download into `target` wait; a later download of the same target resumes them. */
export function stagingFolder(target: string): string {
  return path.join(path.dirname(path.resolve(target)), `.${path.basename(target)}.download`);
}

export async function makeStaging(staging: string): Promise<void> {
  await fs.mkdir(path.dirname(staging), { recursive: true });
  const stat = await fs.lstat(staging).catch(() => undefined);
  if (stat && !stat.isDirectory()) {
    throw new ModelDownloadError('unsafe-path', `${staging} exists and is not a folder (a link is not followed): remove it`);
  }
  await fs.mkdir(staging, { recursive: true });
}

/** Moves the verified staging folder to the target; an older copy there is replaced only after. */
export async function moveIntoPlace(staging: string, target: string): Promise<void> {
  const old = await fs.lstat(target).catch(() => undefined);
  if (!old) {
    await fs.rename(staging, target);
    return;
  }
  const aside = `${stagingFolder(target)}.old-${process.pid}-${Date.now()}`;
  await fs.rename(target, aside);
  try {
    await fs.rename(staging, target);
  } catch (err) {
    await fs.rename(aside, target);
    throw err;
  }
  await fs.rm(aside, { recursive: true, force: true });
}

/** Removes what a staging folder holds beyond the plan (parts of an abandoned plan, stray files). */
export async function pruneStaging(staging: string, keep: ReadonlySet<string>, prefix = ''): Promise<void> {
  for (const entry of await fs.readdir(path.join(staging, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory() && [...keep].some((k) => k.startsWith(`${rel}/`))) {
      await pruneStaging(staging, keep, rel);
    } else if (!keep.has(rel)) {
      await fs.rm(path.join(staging, rel), { recursive: true, force: true });
    }
  }
}

/**
 * One download at a time per target: `<staging>.lock` holds the owner's pid. A lock whose
 * process is gone (a crash, kill -9) is taken over; a live one is an error naming it.
 */
export async function lockStaging(staging: string): Promise<() => Promise<void>> {
  const lock = `${staging}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(lock, String(process.pid), { flag: 'wx' });
      return () => fs.rm(lock, { force: true });
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'EEXIST') {
        throw err;
      }
      const owner = Number(await fs.readFile(lock, 'utf8').catch(() => ''));
      if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new ModelDownloadError('busy', `another download into ${path.dirname(staging)} is running (process ${owner}); wait for it or stop it`);
      }
      await fs.rm(lock, { force: true });
    }
  }
  throw new ModelDownloadError('busy', `cannot take the download lock ${lock}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: unknown }).code === 'EPERM';
  }
}

/** A staging folder that holds no file (the plan failed before any byte) is not left behind. */
export async function removeIfEmpty(dir: string): Promise<void> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => undefined);
  if (entries && entries.every((e) => e.isDirectory())) {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
