/**
 * The local engine through the shared service: finds the user's service over its socket, or
 * starts it (detached, with the given Node runtime) and connects; streams over JSON-RPC;
 * cancellation reaches the engine. When the service dies, requests in flight fail with a clear
 * error and the next request starts a new one, after a backoff; after `maxCrashes` crashes with
 * no successful request between them it stops trying and says so.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { CancellationTokenSource, ResponseError, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { delay } from '../common/async';
import { AsyncChannel } from '../common/channel';
import { BackendError, BusyError, errorMessage } from '../common/errors';
import type { Logger, LogLevel } from '../common/logger';
import { VERSION } from '../common/version';
import {
  SERVICE_EXIT_ALREADY_RUNNING,
  SERVICE_PROTOCOL_VERSION,
  ServiceErrorCodes,
  ServiceMethods,
  ServiceNotifications,
  type ChatParams,
  type ChunkNotification,
  type GenerateParams,
  type HealthResult,
  type HelloParams,
  type HelloResult,
  type LogNotification,
  type ModelChangedNotification,
  type ModelSpec,
  type ServiceModelInfo,
  type ServiceStats,
  type SetHttpResult,
  type StreamResult,
} from '../protocol/service';
import { processAlive, readLock } from '../service/lock';
import { defaultRuntimeDir, ensureRuntimeDir, servicePaths, type ServicePaths } from '../service/paths';
import type { Backend, BackendChatRequest, BackendChunk, BackendInfo, BackendRequest } from './backend';

export interface ServiceClientOptions {
  /** Node runtime for the service: the extension passes `process.execPath` (ELECTRON_RUN_AS_NODE is set for it). */
  nodePath: string;
  /** Arguments before the service's options: `[<extension>/dist/service.js]`, or `['-r', 'tsx/cjs', 'src/service/main.ts']` from source. */
  serviceArgs: string[];
  /** Working folder of a started service (pass absolute paths in `serviceArgs`); default: this process's. */
  cwd?: string;
  /** The model a service started by this client loads (a running service keeps its own; see `switchModel`). */
  model: ModelSpec;
  /** Lock, socket and token folder; default `$XDG_RUNTIME_DIR/autoglm` or `<tmp>/autoglm-<uid>`. */
  runtimeDir?: string;
  /** A started service stops after this many ms with no connected window; default 600 000 (10 min). */
  idleShutdownMs?: number;
  /**
   * Turns on the service's OpenAI-compatible HTTP API on 127.0.0.1:port (0: any free port), also
   * in a service that is already running with it off; default: leave it as it is (off at start).
   */
  httpPort?: number;
  /** Folder of the service's rotated log file; default the user's log folder. */
  logDir?: string;
  /** Level of the service's own log file; default 'info'. */
  serviceLogLevel?: LogLevel;
  /** Service records at or above this level are forwarded to `logger`; default 'info'. */
  forwardLogLevel?: LogLevel;
  /** Log prompt and completion text in the service; default false. */
  logPrompts?: boolean;
  logger: Logger;
  /** Shown in the service's stats; default 'editor <pid>'. */
  clientName?: string;
  /** Longest wait for a started service to accept connections, in ms; default 60 000. */
  connectTimeoutMs?: number;
  /** Crashes in a row (no successful request between) after which the client gives up; default 3. */
  maxCrashes?: number;
  /** Wait before restart attempt n (ms, last value repeats); default [250, 1000, 4000]. */
  restartBackoffMs?: number[];
  /**
   * Health check: when requests are in flight and nothing came from the service for this many ms,
   * it is asked for its health; default 60 000.
   */
  stallTimeoutMs?: number;
  /** A service that does not answer the health check within this many ms is killed and restarted on the next request; default 10 000. */
  healthTimeoutMs?: number;
  /** Called when the connection or the model state changes (status bar). */
  onStateChange?: () => void;
}

interface Connected {
  connection: MessageConnection;
  socket: net.Socket;
  hello: HelloResult;
  streams: Map<string, AsyncChannel<BackendChunk>>;
  closing: boolean;
  /** Last time anything arrived from the service (performance.now()). */
  lastHeard: number;
  watchdog: NodeJS.Timeout | undefined;
  /** Why the client ended this connection itself (a failed health check). */
  unresponsive?: string;
}

export class ServiceClientBackend implements Backend {
  readonly paths: ServicePaths;
  private connecting: Promise<Connected> | undefined;
  private current: Connected | undefined;
  private crashes = 0;
  private gaveUp: BackendError | undefined;
  private modelInfo: ServiceModelInfo | undefined;
  private disposed = false;
  /** How the last service this client started ended, by pid. */
  private lastExit: { pid: number | undefined; text: string } | undefined;

  constructor(private readonly options: ServiceClientOptions) {
    this.paths = servicePaths(defaultRuntimeDir(options.runtimeDir));
  }

  /** The HTTP API of the connected service (for "copy token"), when it is on. */
  get http(): { url: string; tokenFile: string } | undefined {
    return this.current?.hello.http;
  }

  get serviceLogFile(): string | undefined {
    return this.current?.hello.logFile;
  }

  get servicePid(): number | undefined {
    return this.current?.hello.pid;
  }

  get connected(): boolean {
    return this.current !== undefined;
  }

  info(): BackendInfo {
    const m = this.modelInfo;
    return {
      kind: 'local',
      modelName: m?.name ?? path.basename(this.options.model.modelDir),
      ...(m?.modelType !== undefined ? { modelType: m.modelType } : {}),
      ...(m?.contextLength !== undefined ? { contextLength: m.contextLength } : {}),
      ...(m?.forcedPrefix !== undefined ? { forcedPrefix: m.forcedPrefix } : {}),
      device: this.gaveUp ? 'service stopped' : m?.loaded ? (m.provider ?? 'unknown') : 'not loaded',
      loaded: !this.gaveUp && (m?.loaded ?? false),
    };
  }

  generate(request: BackendRequest, signal: AbortSignal): AsyncIterable<BackendChunk> {
    const { traceId, ...rest } = request;
    return this.stream(ServiceMethods.generate, { ...rest, stop: rest.stop ? [...rest.stop] : undefined }, traceId, signal);
  }

  chat(request: BackendChatRequest, signal: AbortSignal): AsyncIterable<BackendChunk> {
    const { traceId, messages, ...rest } = request;
    return this.stream(ServiceMethods.chat, { ...rest, messages: messages.map((m) => ({ role: m.role, content: m.content })), stop: rest.stop ? [...rest.stop] : undefined }, traceId, signal);
  }

  async countTokens(text: string): Promise<number> {
    return this.call<number>(ServiceMethods.countTokens, { text });
  }

  stats(): Promise<ServiceStats> {
    return this.call<ServiceStats>(ServiceMethods.stats, undefined);
  }

  health(): Promise<HealthResult> {
    return this.call<HealthResult>(ServiceMethods.health, undefined);
  }

  /** Loads another model in the running service; requests in flight finish on the old one. */
  async switchModel(spec: ModelSpec): Promise<ServiceModelInfo> {
    this.modelInfo = await this.call<ServiceModelInfo>(ServiceMethods.switchModel, spec);
    this.options.onStateChange?.();
    return this.modelInfo;
  }

  /**
   * Turns the service's HTTP API on at `port` (0: any free port) or off (null), without a
   * restart; every window shares it. Returns where it listens.
   */
  async setHttp(port: number | null): Promise<SetHttpResult> {
    const c = await this.connection();
    const result = await this.call<SetHttpResult>(ServiceMethods.setHttp, { port });
    if (result) c.hello.http = result;
    else delete c.hello.http;
    this.options.onStateChange?.();
    return result;
  }

  /** Asks the service to stop (all windows lose it; the next request starts a fresh one). */
  async shutdownService(): Promise<void> {
    const c = this.current;
    if (!c) return;
    c.closing = true;
    await c.connection.sendRequest(ServiceMethods.shutdown, {}).catch(() => undefined);
  }

  /** After the client gave up, lets the next request try again (a "restart service" command). */
  resetCrashes(): void {
    this.crashes = 0;
    this.gaveUp = undefined;
    this.options.onStateChange?.();
  }

  dispose(): void {
    this.disposed = true;
    const c = this.current;
    this.current = undefined;
    if (c) {
      c.closing = true;
      for (const ch of c.streams.values()) ch.close();
      c.connection.dispose();
      c.socket.destroy();
    }
  }

  private async call<T>(method: string, params: unknown): Promise<T> {
    const c = await this.connection();
    try {
      return (await c.connection.sendRequest(method, params)) as T;
    } catch (err) {
      throw this.mapError(err, c);
    }
  }

  private async *stream(method: string, params: Omit<GenerateParams, 'streamId'> | Omit<ChatParams, 'streamId'>, traceId: string | undefined, signal: AbortSignal): AsyncGenerator<BackendChunk> {
    if (signal.aborted) return;
    const c = await this.connection();
    if (signal.aborted) return;
    const streamId = randomUUID();
    const trace = traceId ?? randomBytes(16).toString('hex');
    const channel = new AsyncChannel<BackendChunk>();
    c.streams.set(streamId, channel);
    const cts = new CancellationTokenSource();
    const onAbort = (): void => {
      cts.cancel();
      channel.close();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    this.options.logger.debug('service request', { traceId: trace, method, priority: params.priority });
    c.connection.sendRequest(method, { ...params, streamId, traceId: trace }, cts.token).then(
      (result) => {
        const r = result as StreamResult;
        if (!r.cancelled) {
          const { cancelled: _c, ...stats } = r;
          channel.push({ type: 'done', stats });
          this.crashes = 0;
          if (!this.modelInfo?.loaded) void this.refreshInfo(c);
        }
        channel.close();
      },
      (err: unknown) => channel.fail(this.mapError(err, c)),
    );
    try {
      for await (const chunk of channel) {
        // Chunks already buffered are dropped once the caller has aborted.
        if (signal.aborted) return;
        yield chunk;
      }
      finished = true;
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      c.streams.delete(streamId);
      if (!finished) cts.cancel();
      cts.dispose();
    }
  }

  private async refreshInfo(c: Connected): Promise<void> {
    try {
      this.modelInfo = (await c.connection.sendRequest(ServiceMethods.info)) as ServiceModelInfo;
      this.options.onStateChange?.();
    } catch {
      // The next request refreshes it.
    }
  }

  private mapError(err: unknown, c: Connected): Error {
    if (err instanceof ResponseError) {
      const code = (err.data as { code?: unknown } | undefined)?.code;
      if (err.code === ServiceErrorCodes.busy) return new BusyError(err.message);
      return new BackendError(err.message, typeof code === 'string' ? code : 'service', { cause: err });
    }
    if (c.closing || this.current !== c) {
      return this.diedError(c);
    }
    return new BackendError(`The Open AutoGLM service failed: ${errorMessage(err)}`, 'service', { cause: err });
  }

  private diedError(c: Connected): BackendError {
    const why = c.unresponsive ?? (this.lastExit?.pid === c.hello.pid ? this.lastExit.text : undefined);
    return new BackendError(
      `The Open AutoGLM service (pid ${c.hello.pid}) stopped while the request ran${why ? ` (${why})` : ''}; ` +
        (this.gaveUp ? this.gaveUp.message : 'it is restarted on the next request.'),
      'service-died',
    );
  }

  private connection(): Promise<Connected> {
    if (this.disposed) return Promise.reject(new BackendError('The service client was disposed', 'disposed'));
    if (this.current) return Promise.resolve(this.current);
    if (this.gaveUp) return Promise.reject(this.gaveUp);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * Connects (starting a service if none runs) and shakes hands. A service of another version
   * that no other window uses is stopped and replaced by one of this version; one that other
   * windows use is kept (same protocol) or refused with a clear message (another protocol).
   */
  private async open(replacing = false): Promise<Connected> {
    if (this.crashes > 0) {
      const backoff = this.options.restartBackoffMs ?? [250, 1000, 4000];
      const wait = backoff[Math.min(this.crashes - 1, backoff.length - 1)] ?? 0;
      this.options.logger.info('restarting the service after a crash', { crashes: this.crashes, waitMs: wait });
      await delay(wait);
    }
    const socket = await this.connectOrStart();
    const connection = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    const c: Connected = { connection, socket, hello: undefined as unknown as HelloResult, streams: new Map(), closing: false, lastHeard: performance.now(), watchdog: undefined };
    socket.on('data', () => (c.lastHeard = performance.now()));
    connection.onNotification(ServiceNotifications.chunk, (p: ChunkNotification) => c.streams.get(p.streamId)?.push({ type: 'text', text: p.text }));
    connection.onNotification(ServiceNotifications.log, (p: LogNotification) => this.forwardLog(p));
    connection.onNotification(ServiceNotifications.modelChanged, (p: ModelChangedNotification) => {
      if (this.current !== c) return;
      this.modelInfo = p.model;
      this.options.onStateChange?.();
    });
    let closedOnce = false;
    const onClosed = (): void => {
      if (closedOnce) return;
      closedOnce = true;
      this.closed(c);
    };
    connection.onClose(onClosed);
    socket.on('close', onClosed);
    socket.on('error', () => undefined);
    connection.listen();
    const hello: HelloParams = {
      protocolVersion: SERVICE_PROTOCOL_VERSION,
      clientVersion: VERSION,
      clientName: this.options.clientName ?? `editor ${process.pid}`,
      pid: process.pid,
      logLevel: this.options.forwardLogLevel ?? 'info',
    };
    try {
      c.hello = (await connection.sendRequest(ServiceMethods.hello, hello)) as HelloResult;
    } catch (err) {
      c.closing = true;
      const mismatch = err instanceof ResponseError && err.code === ServiceErrorCodes.versionMismatch;
      const replaced = mismatch && !replacing && (await this.stopIfIdle(connection));
      connection.dispose();
      socket.destroy();
      if (replaced) {
        this.options.logger.info('replacing an idle service of another protocol version');
        await this.waitForRelease();
        return this.open(true);
      }
      if (mismatch) {
        throw new BackendError(err.message, 'service-version');
      }
      throw new BackendError(`The Open AutoGLM service at ${this.paths.socket} did not complete the handshake: ${errorMessage(err)}`, 'service-handshake');
    }
    if (this.disposed) {
      c.closing = true;
      connection.dispose();
      socket.destroy();
      throw new BackendError('The service client was disposed', 'disposed');
    }
    if (c.hello.serviceVersion !== VERSION && !replacing) {
      if (await this.stopIfIdle(connection)) {
        this.options.logger.info('replacing an idle service of another version', { serviceVersion: c.hello.serviceVersion, version: VERSION, pid: c.hello.pid });
        c.closing = true;
        connection.dispose();
        socket.destroy();
        await this.waitForRelease();
        return this.open(true);
      }
      this.options.logger.info('using a service of another version that other windows share', { serviceVersion: c.hello.serviceVersion, version: VERSION });
    }
    this.current = c;
    this.modelInfo = c.hello.model;
    this.lastExit = undefined;
    this.watch(c);
    if (this.options.httpPort !== undefined && !c.hello.http) {
      try {
        const http = (await connection.sendRequest(ServiceMethods.setHttp, { port: this.options.httpPort })) as SetHttpResult;
        if (http) c.hello.http = http;
      } catch (err) {
        // Generation still works without the HTTP API; say why it is off.
        this.options.logger.error('the service could not start its HTTP API', { error: err, port: this.options.httpPort });
      }
    }
    this.options.logger.info('connected to the service', { pid: c.hello.pid, serviceVersion: c.hello.serviceVersion, socket: this.paths.socket, logFile: c.hello.logFile });
    this.options.onStateChange?.();
    return c;
  }

  private async stopIfIdle(connection: MessageConnection): Promise<boolean> {
    try {
      return (await connection.sendRequest(ServiceMethods.shutdown, { ifIdle: true })) === true;
    } catch {
      return false;
    }
  }

  /** Waits until the stopping service has released its lock, so that a new one can take it. */
  private async waitForRelease(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const holder = readLock(this.paths.lockFile);
      if (!holder || !processAlive(holder.pid) || Date.now() > deadline) return;
      await delay(50);
    }
  }

  /** Kills a service that has requests in flight but neither streams nor answers a health check. */
  private watch(c: Connected): void {
    const stall = this.options.stallTimeoutMs ?? 60_000;
    const healthTimeout = this.options.healthTimeoutMs ?? 10_000;
    let checking = false;
    c.watchdog = setInterval(() => {
      if (checking || c.streams.size === 0 || performance.now() - c.lastHeard < stall) return;
      checking = true;
      let timer: NodeJS.Timeout | undefined;
      const answered = c.connection.sendRequest(ServiceMethods.health).then(() => true, () => true);
      const timedOut = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), healthTimeout)));
      void Promise.race([answered, timedOut]).then((ok) => {
        clearTimeout(timer);
        checking = false;
        if (ok || this.current !== c) return;
        c.unresponsive = `it did not answer a health check within ${healthTimeout} ms and was stopped`;
        this.options.logger.error('the service stopped answering; killing it', { pid: c.hello.pid, inflight: c.streams.size, healthTimeoutMs: healthTimeout });
        try {
          process.kill(c.hello.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
        c.socket.destroy();
      });
    }, Math.max(50, Math.min(stall, healthTimeout) / 2));
    c.watchdog.unref();
  }

  private closed(c: Connected): void {
    if (c.watchdog) clearInterval(c.watchdog);
    if (this.current === c) this.current = undefined;
    c.connection.dispose();
    if (this.disposed) {
      for (const ch of c.streams.values()) ch.close();
      return;
    }
    if (c.closing) {
      const stopped = new BackendError(`The Open AutoGLM service (pid ${c.hello.pid}) was stopped on request before the answer finished`, 'service-stopped');
      for (const ch of c.streams.values()) ch.fail(stopped);
      this.options.onStateChange?.();
      return;
    }
    this.crashes++;
    const max = this.options.maxCrashes ?? 3;
    if (this.crashes >= max) {
      this.gaveUp = new BackendError(
        `The Open AutoGLM service stopped unexpectedly ${this.crashes} times in a row; it is not restarted again. See its log${c.hello.logFile ? ` (${c.hello.logFile})` : ''}, then restart it.`,
        'service-gave-up',
      );
      this.options.logger.error('the service keeps crashing; not restarting it', { crashes: this.crashes, logFile: c.hello.logFile });
    } else {
      this.options.logger.warn('the service connection was lost', { pid: c.hello.pid, inflight: c.streams.size, crashes: this.crashes });
    }
    const err = this.diedError(c);
    for (const ch of c.streams.values()) ch.fail(err);
    c.streams.clear();
    this.options.onStateChange?.();
  }

  private forwardLog(p: LogNotification): void {
    const { time, level, msg, ...fields } = p.record;
    const log = this.options.logger;
    const f = { ...fields, process: 'service', serviceTime: time };
    switch (level) {
      case 'trace': log.trace(msg, f); break;
      case 'debug': log.debug(msg, f); break;
      case 'info': log.info(msg, f); break;
      case 'warn': log.warn(msg, f); break;
      case 'error': log.error(msg, f); break;
      default: log.info(msg, f);
    }
  }

  private async connectOrStart(): Promise<net.Socket> {
    try {
      return await connectSocket(this.paths.socket);
    } catch {
      // Not running (or a stale socket): start one below.
    }
    ensureRuntimeDir(this.paths.runtimeDir);
    let exit = this.startService();
    let restarts = 0;
    const deadline = Date.now() + (this.options.connectTimeoutMs ?? 60_000);
    for (let attempt = 0; ; attempt++) {
      await delay(Math.min(25 * 2 ** attempt, 250));
      try {
        return await connectSocket(this.paths.socket);
      } catch (err) {
        const code = exit.code;
        if (code !== undefined && code !== SERVICE_EXIT_ALREADY_RUNNING) {
          throw new BackendError(`The Open AutoGLM service exited while starting (${code === null ? 'killed' : `exit code ${code}`}): ${this.startErrors()}`, 'service-start');
        }
        if (Date.now() > deadline) {
          throw new BackendError(`The Open AutoGLM service did not accept connections at ${this.paths.socket} within ${this.options.connectTimeoutMs ?? 60_000} ms: ${errorMessage(err)}`, 'service-start');
        }
        // The lock's holder does not answer: it may be a service that is exiting right now (or
        // a process not yet reaped). Start again once its lock is gone.
        if (code === SERVICE_EXIT_ALREADY_RUNNING && restarts < 10) {
          const holder = readLock(this.paths.lockFile);
          if (!holder || !processAlive(holder.pid) || performance.now() - exit.at > 500) {
            restarts++;
            attempt = 0;
            exit = this.startService();
          }
        }
      }
    }
  }

  private startErrors(): string {
    try {
      const text = fs.readFileSync(path.join(this.paths.runtimeDir, 'service.stderr'), 'utf8').trim();
      return text.split('\n').slice(-5).join('\n') || 'no output';
    } catch {
      return 'no output';
    }
  }

  /** Starts the service detached, so that it outlives this window; returns its exit status holder. */
  private startService(): { code: number | null | undefined; at: number } {
    const o = this.options;
    const args = [
      ...o.serviceArgs,
      '--model', o.model.modelDir,
      '--variant', o.model.variant,
      '--provider', o.model.provider,
      '--threads', String(o.model.threads),
      '--runtime-dir', this.paths.runtimeDir,
      '--idle-ms', String(o.idleShutdownMs ?? 600_000),
      '--log-level', o.serviceLogLevel ?? 'info',
      ...(o.logDir !== undefined ? ['--log-dir', o.logDir] : []),
      ...(o.httpPort !== undefined ? ['--port', String(o.httpPort)] : []),
      ...(o.logPrompts ? ['--log-prompts'] : []),
    ];
    const errFile = path.join(this.paths.runtimeDir, 'service.stderr');
    const errFd = fs.openSync(errFile, 'w', 0o600);
    const status: { code: number | null | undefined; at: number } = { code: undefined, at: performance.now() };
    try {
      const child = spawn(o.nodePath, args, {
        cwd: o.cwd ?? process.cwd(),
        detached: true,
        stdio: ['ignore', 'ignore', errFd],
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        windowsHide: true,
      });
      o.logger.info('starting the service', { pid: child.pid, node: o.nodePath, args });
      child.on('error', (err) => {
        status.code = -1;
        fs.appendFileSync(errFile, `${err.message}\n`);
      });
      child.on('exit', (code, sig) => {
        status.code = code ?? null;
        status.at = performance.now();
        if (code !== SERVICE_EXIT_ALREADY_RUNNING) this.lastExit = { pid: child.pid, text: code !== null ? `exit code ${code}` : `signal ${sig}` };
      });
      child.unref();
    } finally {
      fs.closeSync(errFd);
    }
    return status;
  }
}

function connectSocket(socketPath: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
