/**
 * The lock file that makes the service one per user. It is created whole and exclusively (a
 * complete temp file hard-linked to the lock's name), and names the holder: its pid, its command
 * line and a random instance id. A lock whose holder is gone, or whose pid now belongs to another
 * program, is stale and is taken over, atomically: only the process that wins the exclusive claim
 * on that one stale lock may replace it, and it replaces it only if the lock is still that one.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { delay } from '../common/async';
import { commandLineOf } from './procfs';

export interface LockContent {
  pid: number;
  /** Random id of this holding; release and takeover act on exactly this lock. */
  instance?: string;
  /** The holder's arguments (Linux only), so that a process that got its pid later is not taken for it. */
  cmdline?: string[];
  version: string;
  protocolVersion: number;
  socket: string;
  startedAt: string;
  http?: { url: string; tokenFile: string };
  logFile?: string;
}

export type LockResult = { acquired: true } | { acquired: false; holder: LockContent | undefined };

/** What is in the lock's place now: its content, what identifies this very lock, and whether it is stale. */
interface SeenLock {
  content: LockContent | undefined;
  identity: string;
  stale: boolean;
}

/** A lock that cannot be parsed yet may be one an older version is writing right now. */
const YOUNG_MS = 2000;
const MAX_BYTES = 64 * 1024;
/** Claims on one stale lock whose claimants died are skipped, up to this many. */
const MAX_CLAIMS = 8;
const ATTEMPTS = 200;
/** File systems without hard links: the lock is then created with O_EXCL and written after. */
const LINK_UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

export function readLock(lockFile: string): LockContent | undefined {
  return inspect(lockFile)?.content;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process the lock names still runs and is still that process: on Linux its command
 * line must be the one recorded (a pid reused by another program is not the service); elsewhere,
 * and for a lock that records none, a live pid is taken at its word.
 */
export function holderAlive(lock: Pick<LockContent, 'pid' | 'cmdline'>): boolean {
  if (!processAlive(lock.pid)) return false;
  if (lock.cmdline === undefined || process.platform !== 'linux') return true;
  const now = commandLineOf(lock.pid);
  return now !== undefined && now.length === lock.cmdline.length && now.every((arg, i) => arg === lock.cmdline![i]);
}

/** A fresh instance id for a lock. */
export function newInstance(): string {
  return randomBytes(16).toString('hex');
}

/** Takes the lock for `content` (which names its instance), or says who holds it. */
export async function acquireLock(lockFile: string, content: LockContent & { instance: string }): Promise<LockResult> {
  const text = JSON.stringify(content);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (createExclusive(lockFile, text) && heldBy(lockFile, content.instance)) return { acquired: true };
    const seen = inspect(lockFile);
    if (!seen) continue;
    if (!seen.stale) return { acquired: false, holder: seen.content };
    const outcome = takeOver(lockFile, seen.identity, text);
    if (outcome === 'taken' && heldBy(lockFile, content.instance)) return { acquired: true };
    if (outcome === 'busy') await delay(5);
  }
  return { acquired: false, holder: readLock(lockFile) };
}

/** Rewrites our lock with details known only after start (HTTP URL); false when it is no longer ours. */
export function updateLock(lockFile: string, content: LockContent & { instance: string }): boolean {
  if (!heldBy(lockFile, content.instance)) return false;
  replaceWith(lockFile, JSON.stringify(content));
  return true;
}

/** Removes the lock only if this holding (`instance`) still has it. */
export function releaseLock(lockFile: string, instance: string): void {
  if (heldBy(lockFile, instance)) {
    fs.rmSync(lockFile, { force: true });
  }
}

function heldBy(lockFile: string, instance: string): boolean {
  return readLock(lockFile)?.instance === instance;
}

/**
 * Replaces the stale lock `identity` with ours. The claim file, named after that lock and created
 * exclusively, admits one taker at a time; the taker re-reads the lock under its claim, so a lock
 * that another taker has already replaced is left alone. A claim whose claimant died is skipped.
 */
function takeOver(lockFile: string, identity: string, text: string): 'taken' | 'busy' | 'changed' {
  const base = `${lockFile}.${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`;
  const claimText = JSON.stringify({ pid: process.pid, cmdline: commandLineOf('self') });
  for (let n = 0; n < MAX_CLAIMS; n++) {
    const claim = `${base}.${n}.claim`;
    if (!createExclusive(claim, claimText)) {
      if (claimLive(claim)) return 'busy';
      continue;
    }
    try {
      if (inspect(lockFile)?.identity !== identity) return 'changed';
      replaceWith(lockFile, text);
      for (let dead = 0; dead < n; dead++) fs.rmSync(`${base}.${dead}.claim`, { force: true });
      return 'taken';
    } finally {
      fs.rmSync(claim, { force: true });
    }
  }
  return 'busy';
}

function claimLive(claim: string): boolean {
  try {
    const raw = fs.readFileSync(claim, 'utf8');
    const c = JSON.parse(raw) as { pid?: unknown; cmdline?: string[] };
    return typeof c.pid === 'number' && c.pid !== process.pid && holderAlive({ pid: c.pid, ...(c.cmdline ? { cmdline: c.cmdline } : {}) });
  } catch {
    const st = fs.statSync(claim, { throwIfNoEntry: false });
    return st !== undefined && Date.now() - st.mtimeMs < YOUNG_MS;
  }
}

/** Reads what is at the lock's name without following a link; undefined when nothing is. */
function inspect(lockFile: string): SeenLock | undefined {
  let fd: number;
  try {
    fd = fs.openSync(lockFile, fs.constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code !== 'ELOOP') throw err;
    const st = fs.lstatSync(lockFile, { throwIfNoEntry: false });
    return st ? { content: undefined, identity: `link:${st.ino}:${st.mtimeMs}`, stale: true } : undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    const raw = st.isFile() && st.size <= MAX_BYTES ? fs.readFileSync(fd, 'utf8') : '';
    const ours = st.isFile() && (typeof process.getuid !== 'function' || st.uid === process.getuid());
    const content = ours ? parse(raw) : undefined;
    const identity = content?.instance ?? `file:${st.ino}:${st.mtimeMs}:${createHash('sha256').update(raw).digest('hex')}`;
    const young = Date.now() - st.mtimeMs < YOUNG_MS;
    return { content, identity, stale: !ours || (content ? content.pid === process.pid || !holderAlive(content) : !young) };
  } finally {
    fs.closeSync(fd);
  }
}

function parse(raw: string): LockContent | undefined {
  try {
    const parsed = JSON.parse(raw) as LockContent;
    return typeof parsed.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Creates `file` with `text`, all at once, unless something is already there. */
function createExclusive(file: string, text: string): boolean {
  const tmp = writeTemp(file, text);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!LINK_UNSUPPORTED.has(code)) throw err;
    return writeExclusive(file, text);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function writeExclusive(file: string, text: string): boolean {
  try {
    fs.writeFileSync(file, text, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Atomically puts `text` at `file` (whatever was there, a link included, is replaced, never followed). */
function replaceWith(file: string, text: string): void {
  const tmp = writeTemp(file, text);
  try {
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

function writeTemp(file: string, text: string): string {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, text, { flag: 'wx', mode: 0o600 });
  return tmp;
}
