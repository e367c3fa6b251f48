/**
 * Where the per-user service lives: a runtime folder only its owner can enter, holding the lock
 * file, the socket (a named pipe on Windows) and the HTTP token.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AutoGlmError } from '../common/errors';

export interface ServicePaths {
  runtimeDir: string;
  socket: string;
  lockFile: string;
  tokenFile: string;
}

/** `$XDG_RUNTIME_DIR/autoglm`, else `<tmp>/autoglm-<uid>`; `override` wins (tests, `--runtime-dir`). */
export function defaultRuntimeDir(override?: string): string {
  if (override) {
    return path.resolve(override);
  }
  const xdg = process.env['XDG_RUNTIME_DIR'];
  if (xdg && process.platform !== 'win32') {
    return path.join(xdg, 'autoglm');
  }
  return path.join(os.tmpdir(), `autoglm-${userKey()}`);
}

function userKey(): string {
  if (typeof process.getuid === 'function') {
    return String(process.getuid());
  }
  return os.userInfo().username.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export function servicePaths(runtimeDir: string): ServicePaths {
  const socket =
    process.platform === 'win32'
      ? `\\\\.\\pipe\\autoglm-${userKey()}-${createHash('sha256').update(runtimeDir).digest('hex').slice(0, 12)}`
      : path.join(runtimeDir, 'service.sock');
  return { runtimeDir, socket, lockFile: path.join(runtimeDir, 'service.lock'), tokenFile: path.join(runtimeDir, 'token') };
}

const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const NONBLOCK = fs.constants.O_NONBLOCK ?? 0;
const DIRECTORY = fs.constants.O_DIRECTORY ?? 0;
const STICKY = 0o1000;
const TOKEN_MAX_BYTES = 4096;
const TOKEN_SHAPE = /^[\x21-\x7e]{32,1024}$/;
const REMEDY = 'remove it, or set XDG_RUNTIME_DIR (or --runtime-dir) to a folder of your own';

function uid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * Creates the runtime folder with mode 0700, or proves an existing one private (see
 * `assertPrivateDir`): otherwise another local user could serve the socket or plant the token.
 */
export function ensureRuntimeDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  assertPrivateDir(dir);
}

/**
 * Refuses a runtime folder that another user could control: a symbolic link, not a directory, a
 * folder of another user, or one in a parent where others could rename it away (writable by
 * others without the sticky bit). Our own folder that others may enter is tightened to 0700,
 * through the opened folder itself, never through a path that could have been swapped.
 */
export function assertPrivateDir(dir: string): void {
  if (process.platform === 'win32') return;
  assertSafeParent(dir);
  let fd: number;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | DIRECTORY | NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ELOOP' && code !== 'ENOTDIR') throw err;
    const st = fs.lstatSync(dir);
    throw refusal(dir, `${st.isSymbolicLink() ? 'is a symbolic link' : 'is not a directory'} (owner uid ${st.uid})`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.uid !== uid()) throw refusal(dir, `belongs to another user (uid ${st.uid})`);
    if ((st.mode & 0o077) !== 0) fs.fchmodSync(fd, 0o700);
  } finally {
    fs.closeSync(fd);
  }
}

function assertSafeParent(dir: string): void {
  const parent = path.dirname(dir);
  const st = fs.statSync(parent);
  if (st.uid !== uid() && st.uid !== 0) throw refusal(dir, `is in ${parent}, which belongs to another user (uid ${st.uid})`);
  if ((st.mode & 0o022) !== 0 && (st.mode & STICKY) === 0) {
    throw refusal(dir, `is in ${parent}, which others may write to and which lacks the sticky bit, so anyone could replace the folder`);
  }
}

/** Refuses a socket that another user owns, or a link; a missing one or a leftover file is for connecting to fail on. */
export function assertOwnSocket(socket: string): void {
  if (process.platform === 'win32') return;
  const st = fs.lstatSync(socket, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isSymbolicLink()) throw refusal(socket, `is a symbolic link (owner uid ${st.uid})`, 'socket');
  if (st.uid !== uid()) throw refusal(socket, `belongs to another user (uid ${st.uid})`, 'socket');
}

function refusal(file: string, problem: string, what = 'runtime folder'): AutoGlmError {
  return new AutoGlmError(`${file}: the Open AutoGLM service's ${what} ${problem}; refusing to use it: ${REMEDY}`, 'runtime-dir');
}

/**
 * The per-user HTTP bearer token, created once (0600) and reused by every later service. Only a
 * private folder is used. A `token` that is not what we write (a link, not a regular file of
 * ours, not 0600, too large, not token-shaped) is replaced by a fresh token: the old name is
 * renamed over, so a link is dropped and its target is never read, chmod-ed or written.
 */
export function readOrCreateToken(tokenFile: string): string {
  assertPrivateDir(path.dirname(tokenFile));
  return readToken(tokenFile) ?? writeToken(tokenFile);
}

/** The token of a private runtime folder without following links, or undefined when there is no valid one. */
export function readExistingToken(tokenFile: string): string | undefined {
  assertPrivateDir(path.dirname(tokenFile));
  return readToken(tokenFile);
}

function readToken(tokenFile: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(tokenFile, fs.constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    const mine = process.platform === 'win32' || (st.uid === uid() && (st.mode & 0o777) === 0o600);
    if (!st.isFile() || !mine || st.size > TOKEN_MAX_BYTES) return undefined;
    const text = fs.readFileSync(fd, 'utf8').trim();
    return TOKEN_SHAPE.test(text) ? text : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

function writeToken(tokenFile: string): string {
  const token = `agl-${randomBytes(32).toString('hex')}`;
  const tmp = `${tokenFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, `${token}\n`);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, tokenFile);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new AutoGlmError(`${tokenFile}: cannot put a fresh HTTP token there (${(err as Error).message}); remove it`, 'runtime-dir', { cause: err });
  }
  return token;
}

/** The user's log folder for the service's JSON-lines file. */
export function defaultLogDir(): string {
  const home = os.homedir();
  if (process.platform === 'win32') {
    return path.join(process.env['LOCALAPPDATA'] ?? path.join(home, 'AppData', 'Local'), 'autoglm', 'logs');
  }
  if (process.platform === 'darwin') {
    return path.join(home, 'Library', 'Logs', 'autoglm');
  }
  return path.join(process.env['XDG_STATE_HOME'] ?? path.join(home, '.local', 'state'), 'autoglm', 'logs');
}
