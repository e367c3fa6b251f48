/**
 * A lock file beside a shared file, so that read-merge-write cycles of several processes (editor
 * windows) do not interleave. A lock left by a crashed process goes stale and is broken.
 */
import { promises as fs } from 'node:fs';

export interface FileLockOptions {
  /** A lock older than this is taken to be left by a crashed process (ms). */
  staleMs: number;
  /** Longest wait for the lock before it is broken anyway (ms). */
  waitMs: number;
  /** Pause between attempts (ms). */
  retryMs: number;
}

export const DEFAULT_LOCK: FileLockOptions = { staleMs: 30_000, waitMs: 10_000, retryMs: 25 };

export async function withFileLock<T>(lockFile: string, run: () => Promise<T>, options: FileLockOptions = DEFAULT_LOCK): Promise<T> {
  await acquire(lockFile, options);
  try {
    return await run();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

async function acquire(lockFile: string, options: FileLockOptions): Promise<void> {
  const started = performance.now();
  for (;;) {
    try {
      await fs.writeFile(lockFile, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
    }
    if ((await isStale(lockFile, options.staleMs)) || performance.now() - started > options.waitMs) {
      await fs.rm(lockFile, { force: true });
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, options.retryMs));
  }
}

async function isStale(lockFile: string, staleMs: number): Promise<boolean> {
  const stat = await fs.stat(lockFile).catch(() => undefined);
  return stat !== undefined && Math.abs(Date.now() - stat.mtimeMs) > staleMs;
}
