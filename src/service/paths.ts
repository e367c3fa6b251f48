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

/**
 * Creates the runtime folder with mode 0700, or checks an existing one: it must belong to this
 * user and be closed to others, or another local user could take over the socket.
 */
export function ensureRuntimeDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') {
    return;
  }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) {
    throw new AutoGlmError(`${dir}: the service's runtime folder is not a directory`, 'runtime-dir');
  }
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new AutoGlmError(`${dir}: the service's runtime folder belongs to another user (uid ${st.uid})`, 'runtime-dir');
  }
  if ((st.mode & 0o077) !== 0) {
    fs.chmodSync(dir, 0o700);
  }
}

/** The per-user HTTP bearer token, created once (0600) and reused by every later service. */
export function readOrCreateToken(tokenFile: string): string {
  try {
    const existing = fs.readFileSync(tokenFile, 'utf8').trim();
    if (existing.length >= 32) {
      if (process.platform !== 'win32') {
        fs.chmodSync(tokenFile, 0o600);
      }
      return existing;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw err;
    }
  }
  const token = `agl-${randomBytes(32).toString('hex')}`;
  const tmp = `${tokenFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  fs.renameSync(tmp, tokenFile);
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
