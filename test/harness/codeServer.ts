/**
 * Starts code-server (a real VS Code, 1.100.3) on a free loopback port with fresh user-data and
 * extension folders, so no run sees another run's state.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { CODE_SERVER_BIN } from './paths';

const execFileAsync = promisify(execFile);

export const TEST_USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'files.hotExit': 'off',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'git.openRepositoryInParentFolders': 'never',
};

export interface CodeServerOptions {
  /** A VSIX to install into the fresh extensions folder before starting. */
  vsix?: string;
  /** Extra user settings on top of TEST_USER_SETTINGS. */
  settings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

export interface CodeServer {
  readonly port: number;
  readonly origin: string;
  readonly dir: string;
  readonly logFile: string;
  /** URL of the workbench with `folder` open and optional test payload. */
  workbenchUrl(folder: string, payload?: [string, string][]): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitHealthy(origin: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) {
      throw new Error(`code-server exited early with code ${child.exitCode}`);
    }
    try {
      const res = await fetch(`${origin}/healthz`);
      if (res.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${origin}/healthz within ${timeoutMs} ms`);
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  if (!fs.existsSync(CODE_SERVER_BIN)) {
    throw new Error(`code-server is not installed at ${CODE_SERVER_BIN}; run tools/vscode/ensure.sh`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-vscode-'));
  const userData = path.join(dir, 'user-data');
  const extensions = path.join(dir, 'extensions');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(extensions, { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({ ...TEST_USER_SETTINGS, ...options.settings }, null, 2));
  const port = await freePort();
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
  if (options.vsix) {
    await execFileAsync(CODE_SERVER_BIN, [...common, '--install-extension', options.vsix], { timeout: 120_000 });
  }
  // The engine service finds its siblings through the user's runtime folder; a fresh one per
  // run keeps runs apart and lets stop() end the service this run started.
  const runtimeDir = path.join(dir, 'runtime');
  fs.mkdirSync(runtimeDir, { mode: 0o700 });
  const logFile = path.join(dir, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(
    CODE_SERVER_BIN,
    [...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override'],
    { stdio: ['ignore', log, log], env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, ...options.env }, detached: true },
  );
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(origin, child, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${fs.readFileSync(logFile, 'utf8').slice(-4000)}`);
  }
  return {
    port,
    origin,
    dir,
    logFile,
    workbenchUrl(folder, payload) {
      const params = new URLSearchParams({ folder });
      if (payload) {
        params.set('payload', JSON.stringify(payload));
      }
      return `${origin}/?${params.toString()}`;
    },
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once('exit', r));
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          child.kill('SIGTERM');
        }
        const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      fs.closeSync(log);
      stopEngineService(runtimeDir);
    },
  };
}

/** Ends the engine service a test run started (it would otherwise wait for its idle timeout). */
function stopEngineService(runtimeDir: string): void {
  const lock = path.join(runtimeDir, 'autoglm', 'service.lock');
  try {
    const { pid } = JSON.parse(fs.readFileSync(lock, 'utf8')) as { pid?: number };
    if (typeof pid === 'number') {
      process.kill(pid, 'SIGTERM');
    }
  } catch {
    // No service was started, or it has already stopped.
  }
}
