/** Runs the real service process from source for tests, in a private runtime folder. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readLock } from '../../../src/service/lock';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const serviceArgs = ['-r', 'tsx/cjs', path.join(repoRoot, 'src', 'service', 'main.ts')];
export const modelDir = path.join(repoRoot, 'models', 'autoglm-coder');

/** A short private folder (unix socket paths are limited to about 100 bytes). */
export function tempDir(prefix = 'agl-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface ServiceProcess {
  child: ChildProcess;
  runtimeDir: string;
  logDir: string;
  url: string;
  token: string;
  tokenFile: string;
  stderr: () => string;
  kill(): Promise<void>;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Starts `node -r tsx/cjs src/service/main.ts --port 0` and waits until its HTTP API is up. */
export async function startServiceProcess(extra: string[] = []): Promise<ServiceProcess> {
  const dir = tempDir();
  const runtimeDir = path.join(dir, 'rt');
  const logDir = path.join(dir, 'log');
  let err = '';
  const child = spawn(process.execPath, [...serviceArgs, '--runtime-dir', runtimeDir, '--log-dir', logDir, '--port', '0', '--idle-ms', '0', '--provider', 'cpu', ...extra], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const lock = await waitFor('the service lock with its HTTP URL', () => {
    if (child.exitCode !== null) throw new Error(`service exited: ${err}`);
    const l = readLock(path.join(runtimeDir, 'service.lock'));
    return l?.http ? l : undefined;
  });
  return {
    child,
    runtimeDir,
    logDir,
    url: lock.http!.url,
    tokenFile: lock.http!.tokenFile,
    token: fs.readFileSync(lock.http!.tokenFile, 'utf8').trim(),
    stderr: () => err,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Kills a process by pid if it still runs (services started detached by a client). */
export function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
