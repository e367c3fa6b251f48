/**
 * The local engine through the shared service: connects to the user's service (starting it if
 * none runs), streams over its connection, and keeps the model's tokenizer in this window for
 * exact synchronous counts. When the service dies, requests in flight fail with a clear error and
 * the next request starts a new one, after a backoff; after `maxCrashes` crashes with no
 * successful request between them it stops trying and says so. A service of another version that
 * no other window uses is replaced by one of this version.
 */
import type * as net from 'node:net';
import * as path from 'node:path';
import { delay } from '../common/async';
import { BackendError } from '../common/errors';
import type { Logger } from '../common/logger';
import { VERSION } from '../common/version';
import type { ChatGenerationRequest, GenerationChunk, GenerationRequest } from '../protocol/generation';
import {
  CountTokensRequestType,
  HealthRequestType,
  InfoRequestType,
  SetHttpRequestType,
  StatsRequestType,
  SwitchModelRequestType,
  type HealthResult,
  type HelloResult,
  type ModelSpec,
  type ServiceModelInfo,
  type ServiceStats,
  type SetHttpResult,
} from '../protocol/service';
import { defaultRuntimeDir, servicePaths, type ServicePaths } from '../service/paths';
import type { BackendInfo, EngineLiveStats, LocalBackend } from './backend';
import { CrashPolicy } from './crashPolicy';
import { ModelTokenizer } from './modelTokenizer';
import { HandshakeError, ServiceConnection, type ConnectionEnd, type ServiceConnectionOptions } from './serviceConnection';
import { connectSocket, ServiceLauncher, type ServiceLaunchOptions } from './serviceLauncher';

export interface ServiceClientOptions extends ServiceLaunchOptions, Omit<ServiceConnectionOptions, 'socketPath'> {
  /** Lock, socket and token folder; default `$XDG_RUNTIME_DIR/autoglm` or `<tmp>/autoglm-<uid>`. */
  runtimeDir?: string;
  /** Crashes in a row (no successful request between) after which the client gives up; default 3. */
  maxCrashes?: number;
  /** Wait before restart attempt n (ms, last value repeats); default [250, 1000, 4000]. */
  restartBackoffMs?: number[];
  /** Called when the connection or the model state changes (status bar). */
  onStateChange?: () => void;
}

/** A handshaken connection and what the service said about itself. */
interface Session {
  connection: ServiceConnection;
  hello: HelloResult;
}

export class ServiceClientBackend implements LocalBackend {
  readonly paths: ServicePaths;
  private readonly launcher: ServiceLauncher;
  private readonly crashes: CrashPolicy;
  private readonly tokenizer: ModelTokenizer;
  private readonly logger: Logger;
  private connecting: Promise<Session> | undefined;
  /** A look at a service that runs already; a request waits for it rather than starting one beside it. */
  private attaching: Promise<void> | undefined;
  private current: Session | undefined;
  private modelInfo: ServiceModelInfo | undefined;
  private disposed = false;

  constructor(private readonly options: ServiceClientOptions) {
    this.paths = servicePaths(defaultRuntimeDir(options.runtimeDir));
    this.launcher = new ServiceLauncher(this.paths, options);
    this.crashes = new CrashPolicy(options.maxCrashes, options.restartBackoffMs);
    this.logger = options.logger;
    this.tokenizer = new ModelTokenizer(options.logger);
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
    const gaveUp = this.crashes.gaveUp !== undefined;
    return {
      kind: 'local',
      modelName: m?.name ?? path.basename(this.launcher.model.modelDir),
      ...(m?.modelType !== undefined ? { modelType: m.modelType } : {}),
      ...(m?.contextLength !== undefined ? { contextLength: m.contextLength } : {}),
      ...(m?.forcedPrefix !== undefined ? { forcedPrefix: m.forcedPrefix } : {}),
      ...(m?.loaded && m.variant !== undefined ? { variant: m.variant } : {}),
      device: gaveUp ? 'service stopped' : m?.loaded ? (m.provider ?? 'unknown') : 'not loaded',
      loaded: !gaveUp && (m?.loaded ?? false),
    };
  }

  generate(request: GenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk> {
    return this.stream((c) => c.generate(request, signal), signal);
  }

  chat(request: ChatGenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk> {
    return this.stream((c) => c.chat(request, signal), signal);
  }

  async countTokens(text: string): Promise<number> {
    return (await this.session()).connection.request(CountTokensRequestType, { text });
  }

  /** Exact once the model's tokenizer has loaded in this window, after the first connection. */
  countTokensNow(text: string): number | undefined {
    return this.tokenizer.count(text);
  }

  /** Resolves once the tokenizer of the current model has loaded or failed to (tests). */
  tokenizerSettled(): Promise<void> {
    return this.tokenizer.whenSettled();
  }

  async stats(): Promise<ServiceStats> {
    return (await this.session()).connection.request0(StatsRequestType);
  }

  async health(): Promise<HealthResult> {
    return (await this.session()).connection.request0(HealthRequestType);
  }

  async liveStats(): Promise<EngineLiveStats> {
    const s = await this.stats();
    return {
      where: `shared service, pid ${s.pid}`,
      model: s.model.name,
      device: this.info().device,
      queueDepth: s.queueDepth,
      activeRequests: s.activeRequests,
      tokensPerSecond: s.tokensPerSecond,
      prefixCacheHitRate: s.prefixCacheHitRate,
      connectedWindows: s.connectedClients,
      modelLoads: s.modelLoads,
      residentMemoryBytes: s.residentMemoryBytes,
      logFile: s.logFile,
    };
  }

  /**
   * Connects to a service that runs already, so that `info()` says what it holds (after a window
   * reload the model is often loaded); never starts one, since showing the status must not load a
   * model. A service of another version, or one that does not answer, is left to the next request.
   */
  attachIfRunning(): Promise<void> {
    if (this.current || this.connecting || this.disposed || this.crashes.gaveUp) return Promise.resolve();
    this.attaching ??= this.attachToRunning().finally(() => {
      this.attaching = undefined;
    });
    return this.attaching;
  }

  private async attachToRunning(): Promise<void> {
    const socket = await connectSocket(this.paths.socket).catch(() => undefined);
    if (!socket) return;
    const connection = this.connect(socket);
    const hello = await connection.handshake().catch(() => undefined);
    if (hello && hello.serviceVersion === VERSION && !this.disposed && !this.current) {
      await this.adopt({ connection, hello });
      return;
    }
    connection.close();
  }

  /** Loads another model in the running service (every window switches with it). */
  async switchModel(spec: ModelSpec): Promise<boolean> {
    // A service started by the request below loads this model first, not the one it replaces.
    this.launcher.model = spec;
    const model = await (await this.session()).connection.request(SwitchModelRequestType, spec);
    this.modelChanged(model);
    return true;
  }

  /**
   * Turns the service's HTTP API on at `port` (0: any free port) or off (null), without a
   * restart; every window shares it. Returns where it listens.
   */
  async setHttp(port: number | null): Promise<SetHttpResult> {
    const s = await this.session();
    const result = await s.connection.request(SetHttpRequestType, { port });
    if (result) s.hello.http = result;
    else delete s.hello.http;
    this.options.onStateChange?.();
    return result;
  }

  /** Asks the service to stop (all windows lose it; the next request starts a fresh one). */
  async shutdownService(): Promise<void> {
    await this.current?.connection.stopService();
  }

  /** After the client gave up, lets the next request try again. */
  resetCrashes(): void {
    this.crashes.reset();
    this.options.onStateChange?.();
  }

  /** A "restart service" command: forgets the crashes and stops the service; the next request starts one. */
  async restart(): Promise<void> {
    this.resetCrashes();
    await this.shutdownService().catch(() => undefined);
  }

  dispose(): void {
    this.disposed = true;
    const s = this.current;
    this.current = undefined;
    s?.connection.close();
  }

  private async *stream(open: (c: ServiceConnection) => AsyncIterable<GenerationChunk>, signal: AbortSignal): AsyncGenerator<GenerationChunk> {
    if (signal.aborted) return;
    const s = await this.session();
    if (signal.aborted) return;
    yield* open(s.connection);
  }

  private modelChanged(model: ServiceModelInfo): void {
    this.modelInfo = model;
    this.tokenizer.use(model.modelDir);
    this.options.onStateChange?.();
  }

  private streamFinished(connection: ServiceConnection): void {
    this.crashes.succeeded();
    if (!this.modelInfo?.loaded) void this.refreshInfo(connection);
  }

  private async refreshInfo(connection: ServiceConnection): Promise<void> {
    try {
      this.modelChanged(await connection.request0(InfoRequestType));
    } catch {
      // The next request refreshes it.
    }
  }

  private session(): Promise<Session> {
    if (this.disposed) return Promise.reject(new BackendError('The service client was disposed', 'disposed'));
    if (this.current) return Promise.resolve(this.current);
    if (this.crashes.gaveUp) return Promise.reject(this.crashes.gaveUp);
    this.connecting ??= (this.attaching ?? Promise.resolve()).then(() => this.current ?? this.open()).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * Connects (starting a service if none runs) and shakes hands. A service of another version
   * that no other window uses is stopped and replaced by one of this version; one that other
   * windows use is kept (same protocol) or refused with a clear message (another protocol).
   */
  private async open(replacing = false): Promise<Session> {
    await this.backoff();
    const connection = this.connect(await this.launcher.connectOrStart());
    let hello: HelloResult;
    try {
      hello = await connection.handshake();
    } catch (err) {
      if (err instanceof HandshakeError && err.versionMismatch && !replacing && (await connection.stopIfIdle())) {
        this.logger.info('replacing an idle service of another protocol version');
        return this.replace(connection);
      }
      connection.close();
      throw err;
    }
    if (this.disposed) {
      connection.close();
      throw new BackendError('The service client was disposed', 'disposed');
    }
    if (hello.serviceVersion !== VERSION && !replacing) {
      if (await connection.stopIfIdle()) {
        this.logger.info('replacing an idle service of another version', { serviceVersion: hello.serviceVersion, version: VERSION, pid: hello.pid });
        return this.replace(connection);
      }
      this.logger.info('using a service of another version that other windows share', { serviceVersion: hello.serviceVersion, version: VERSION });
    }
    return this.adopt({ connection, hello });
  }

  private async backoff(): Promise<void> {
    if (this.crashes.count === 0) return;
    const wait = this.crashes.nextBackoffMs();
    this.logger.info('restarting the service after a crash', { crashes: this.crashes.count, waitMs: wait });
    await delay(wait);
  }

  private connect(socket: net.Socket): ServiceConnection {
    const connection: ServiceConnection = new ServiceConnection(socket, { ...this.options, socketPath: this.paths.socket }, {
      modelChanged: (model) => {
        if (this.current?.connection === connection) this.modelChanged(model);
      },
      streamFinished: () => this.streamFinished(connection),
      closed: (end) => this.closed(connection, end),
    });
    return connection;
  }

  private async replace(connection: ServiceConnection): Promise<Session> {
    connection.close();
    await this.launcher.waitForRelease();
    return this.open(true);
  }

  private async adopt(s: Session): Promise<Session> {
    this.current = s;
    this.modelChanged(s.hello.model);
    const httpPort = this.options.httpPort;
    if (httpPort !== undefined && !s.hello.http) {
      try {
        const http = await s.connection.request(SetHttpRequestType, { port: httpPort });
        if (http) s.hello.http = http;
      } catch (err) {
        // Generation still works without the HTTP API; say why it is off.
        this.logger.error('the service could not start its HTTP API', { error: err, port: httpPort });
      }
    }
    this.logger.info('connected to the service', { pid: s.hello.pid, serviceVersion: s.hello.serviceVersion, socket: this.paths.socket, logFile: s.hello.logFile });
    this.options.onStateChange?.();
    return s;
  }

  /** What a lost connection means: a crash to count (and maybe to give up on), or a stop that was asked for. */
  private closed(connection: ServiceConnection, end: ConnectionEnd): Error {
    if (this.current?.connection === connection) this.current = undefined;
    const pid = end.hello.pid;
    if (this.disposed) {
      return new BackendError('The service client was disposed', 'disposed');
    }
    if (end.onPurpose) {
      this.options.onStateChange?.();
      return new BackendError(`The Open AutoGLM service (pid ${pid}) was stopped on request before the answer finished`, 'service-stopped');
    }
    if (this.crashes.crashed(end.hello.logFile)) {
      this.logger.error('the service keeps crashing; not restarting it', { crashes: this.crashes.count, logFile: end.hello.logFile });
    } else {
      this.logger.warn('the service connection was lost', { pid, inflight: end.inflight, crashes: this.crashes.count });
    }
    this.options.onStateChange?.();
    return this.diedError(end);
  }

  private diedError(end: ConnectionEnd): BackendError {
    const why = end.unresponsive ?? this.launcher.exitOf(end.hello.pid);
    return new BackendError(
      `The Open AutoGLM service (pid ${end.hello.pid}) stopped while the request ran${why ? ` (${why})` : ''}; ` +
        (this.crashes.gaveUp ? this.crashes.gaveUp.message : 'it is restarted on the next request.'),
      'service-died',
    );
  }
}
