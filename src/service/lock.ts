/**
 * The lock file that makes the service one per user: created exclusively (0600), it names the
 * owning process. A lock whose process is gone is stale and is taken over.
 */
import * as fs from 'node:fs';

export interface LockContent {
  pid: number;
  version: string;
  protocolVersion: number;
  socket: string;
  startedAt: string;
  http?: { url: string; tokenFile: string };
  logFile?: string;
}

export type LockResult = { acquired: true } | { acquired: false; holder: LockContent | undefined };

export function readLock(lockFile: string): LockContent | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(lockFile, 'utf8')) as LockContent;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireLock(lockFile: string, content: LockContent): LockResult {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(lockFile, JSON.stringify(content), { flag: 'wx', mode: 0o600 });
      return { acquired: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
    }
    const holder = readLock(lockFile);
    if (holder && holder.pid !== process.pid && processAlive(holder.pid)) {
      return { acquired: false, holder };
    }
    // A half-written lock (no pid yet) of a process that is starting right now is not stale.
    if (!holder) {
      const st = fs.statSync(lockFile, { throwIfNoEntry: false });
      if (st && Date.now() - st.mtimeMs < 2000) {
        return { acquired: false, holder: undefined };
      }
    }
    fs.rmSync(lockFile, { force: true });
  }
  return { acquired: false, holder: readLock(lockFile) };
}

/** Rewrites the lock with details known only after start (HTTP URL). */
export function updateLock(lockFile: string, content: LockContent): void {
  const tmp = `${lockFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(content), { mode: 0o600 });
  fs.renameSync(tmp, lockFile);
}

/** Removes the lock only if this process still holds it. */
export function releaseLock(lockFile: string): void {
  if (readLock(lockFile)?.pid === process.pid) {
    fs.rmSync(lockFile, { force: true });
  }
}
