/**
 * Finds the user's service over its socket, or starts one (detached, so that it outlives this
 * window) and waits until it accepts connections. A start that fails is reported with the last
 * lines the service wrote to its stderr file. Nothing is connected to before the runtime folder
 * is proven private and the socket ours: another local user could otherwise serve it.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { delay } from '../common/async';
import { AutoGlmError, BackendError, errorMessage } from '../common/errors';
import type { Logger, LogLevel } from '../common/logger';
import { SERVICE_EXIT_ALREADY_RUNNING, type ModelSpec } from '../protocol/service';
import { holderAlive, readLock } from '../service/lock';
import { assertOwnSocket, ensureRuntimeDir, type ServicePaths } from '../service/paths';

export interface ServiceLaunchOptions {
  /** Node runtime for the service: the extension passes `process.execPath` (ELECTRON_RUN_AS_NODE is set for it). */
  nodePath: string;
  /** Arguments before the service's options: `[<extension>/dist/service.js]`, or `['-r', 'tsx/cjs', 'src/service/main.ts']` from source. */
  serviceArgs: string[];
  /** Working folder of a started service (pass absolute paths in `serviceArgs`); default: this process's. */
  cwd?: string;
  /** The model a service started here loads (a running service keeps its own). */
  model: ModelSpec;
  /** A started service stops after this many ms with no connected window; default 600 000 (10 min). */
  idleShutdownMs?: number;
  /** A started service serves its OpenAI-compatible HTTP API on 127.0.0.1:port (0: any free port); default off. */
  httpPort?: number;
  /** Folder of the service's rotated log file; default the user's log folder. */
  logDir?: string;
  /** Level of the service's own log file; default 'info'. */
  serviceLogLevel?: LogLevel;
  /** Log prompt and completion text in the service; default false. */
  logPrompts?: boolean;
  /** Longest wait for a started service to accept connections, in ms; default 60 000. */
  connectTimeoutMs?: number;
  logger: Logger;
}

/** What became of one started service process. */
interface StartedProcess {
  pid: number | undefined;
  /** Exit code, null when killed by a signal, undefined while it runs. */
  code: number | null | undefined;
  /** When it started or exited (performance.now()). */
  at: number;
}

/** A service that found another one holding the lock may be looking at one that is exiting; starts again this often at most. */
const MAX_RESTARTS = 10;
/** How long a lock of a stopping service is waited on before it is ignored. */
const RELEASE_TIMEOUT_MS = 15_000;

export class ServiceLauncher {
  /** How the last service started here ended, by pid. */
  private lastExit: { pid: number | undefined; text: string } | undefined;

  /** What a service started from here loads first: the options' model until a switch asks for another. */
  model: ModelSpec;

  constructor(
    readonly paths: ServicePaths,
    private readonly options: ServiceLaunchOptions,
  ) {
    this.model = options.model;
  }

  /** How the service with this pid ended, when this launcher started it and saw it exit. */
  exitOf(pid: number): string | undefined {
    return this.lastExit?.pid === pid ? this.lastExit.text : undefined;
  }

  /** A socket to the running service, starting one when none answers. */
  async connectOrStart(): Promise<net.Socket> {
    ensureRuntimeDir(this.paths.runtimeDir);
    try {
      return await this.connect();
    } catch (err) {
      if (isRefusal(err)) throw err;
      // Not running (or a stale socket): start one below.
    }
    return this.waitForStarted(this.start());
  }

  /** Waits until a stopping service has released its lock, so that a new one can take it. */
  async waitForRelease(timeoutMs = RELEASE_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.lockHeld() && Date.now() <= deadline) {
      await delay(50);
    }
  }

  /** The last lines the started service wrote to its stderr file. */
  startErrors(): string {
    try {
      const text = fs.readFileSync(this.stderrFile(), 'utf8').trim();
      return text.split('\n').slice(-5).join('\n') || 'no output';
    } catch {
      return 'no output';
    }
  }

  private async waitForStarted(first: StartedProcess): Promise<net.Socket> {
    const timeoutMs = this.options.connectTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    let started = first;
    let restarts = 0;
    for (let attempt = 0; ; attempt++) {
      await delay(Math.min(25 * 2 ** attempt, 250));
      try {
        return await this.connect();
      } catch (err) {
        if (isRefusal(err)) throw err;
        if (started.code !== undefined && started.code !== SERVICE_EXIT_ALREADY_RUNNING) {
          throw new BackendError(`The Open AutoGLM service exited while starting (${started.code === null ? 'killed' : `exit code ${started.code}`}): ${this.startErrors()}`, 'service-start');
        }
        if (Date.now() > deadline) {
          throw new BackendError(`The Open AutoGLM service did not accept connections at ${this.paths.socket} within ${timeoutMs} ms: ${errorMessage(err)}`, 'service-start');
        }
        if (restarts < MAX_RESTARTS && this.holderIsGone(started)) {
          restarts++;
          attempt = 0;
          started = this.start();
        }
      }
    }
  }

  /**
   * The started service found the lock held, yet nothing answers on the socket: the holder may be
   * a service that is exiting right now (or a process not yet reaped). True once its lock is gone,
   * or it has had long enough.
   */
  private holderIsGone(started: StartedProcess): boolean {
    return started.code === SERVICE_EXIT_ALREADY_RUNNING && (!this.lockHeld() || performance.now() - started.at > 500);
  }

  private lockHeld(): boolean {
    const holder = readLock(this.paths.lockFile);
    return holder !== undefined && holderAlive(holder);
  }

  /** Connects once the socket is proven ours (the folder was checked by `connectOrStart`). */
  private connect(): Promise<net.Socket> {
    assertOwnSocket(this.paths.socket);
    return connectSocket(this.paths.socket);
  }

  private stderrFile(): string {
    return path.join(this.paths.runtimeDir, 'service.stderr');
  }

  /** Starts the service detached, its stderr in the runtime folder; returns what becomes of it. */
  private start(): StartedProcess {
    const o = this.options;
    const args = serviceCommandLine({ ...o, model: this.model }, this.paths.runtimeDir);
    const errFile = this.stderrFile();
    const errFd = fs.openSync(errFile, 'w', 0o600);
    const started: StartedProcess = { pid: undefined, code: undefined, at: performance.now() };
    try {
      const child = spawn(o.nodePath, args, {
        cwd: o.cwd ?? process.cwd(),
        detached: true,
        stdio: ['ignore', 'ignore', errFd],
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        windowsHide: true,
      });
      started.pid = child.pid;
      o.logger.info('starting the service', { pid: child.pid, node: o.nodePath, args });
      child.on('error', (err) => {
        started.code = -1;
        fs.appendFileSync(errFile, `${err.message}\n`);
      });
      child.on('exit', (code, signal) => {
        started.code = code ?? null;
        started.at = performance.now();
        if (code !== SERVICE_EXIT_ALREADY_RUNNING) this.lastExit = { pid: child.pid, text: code !== null ? `exit code ${code}` : `signal ${signal}` };
      });
      child.unref();
    } finally {
      fs.closeSync(errFd);
    }
    return started;
  }
}

/** The service's arguments for these options (after `serviceArgs`, which come first). */
export function serviceCommandLine(o: Omit<ServiceLaunchOptions, 'nodePath' | 'logger'>, runtimeDir: string): string[] {
  return [
    ...o.serviceArgs,
    '--model', o.model.modelDir,
    '--variant', o.model.variant,
    '--provider', o.model.provider,
    '--threads', String(o.model.threads),
    '--runtime-dir', runtimeDir,
    '--idle-ms', String(o.idleShutdownMs ?? 600_000),
    '--log-level', o.serviceLogLevel ?? 'info',
    ...(o.logDir !== undefined ? ['--log-dir', o.logDir] : []),
    ...(o.httpPort !== undefined ? ['--port', String(o.httpPort)] : []),
    ...(o.logPrompts ? ['--log-prompts'] : []),
  ];
}

/** A runtime folder or socket that another user could control: starting a service would not help. */
function isRefusal(err: unknown): boolean {
  return err instanceof AutoGlmError && err.code === 'runtime-dir';
}

export function connectSocket(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
