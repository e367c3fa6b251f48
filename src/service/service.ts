/**
 * The service process's composition: the per-user lock, the engine host, the RPC server on the
 * socket, the optional HTTP API, the log file and the idle timer. `startService` returns either
 * the running service or the details of the one that already holds the lock.
 */
import * as fs from 'node:fs';
import type { Logger, LogLevel, LogRecord } from '../common/logger';
import { VERSION } from '../common/version';
import type { EngineOptions, Engine } from '../engine';
import { SERVICE_PROTOCOL_VERSION, type ModelSpec, type ServiceStats } from '../protocol/service';
import { EngineHost } from './engineHost';
import { HttpSwitch, type HttpEndpoint } from './httpSwitch';
import { IdleShutdown } from './idleShutdown';
import { acquireLock, newInstance, releaseLock, updateLock, type LockContent } from './lock';
import { RotatingLogFile, ServiceLog } from './logFile';
import { ServiceMetrics, type Gauges } from './metrics';
import { defaultLogDir, defaultRuntimeDir, ensureRuntimeDir, servicePaths, type ServicePaths } from './paths';
import { commandLineOf } from './procfs';
import { RpcServer } from './rpcServer';
import { removeOwnSocket, removeStaleSocket, socketIdentity, type SocketIdentity } from './socketFile';

export interface ServiceOptions {
  /** Folder for lock, socket and token; default `$XDG_RUNTIME_DIR/autoglm` or `<tmp>/autoglm-<uid>`. */
  runtimeDir?: string;
  model: ModelSpec;
  /** Shut down after this many ms with no connected window; 0 never. */
  idleShutdownMs: number;
  /** The OpenAI-compatible HTTP API; omitted: off. */
  http?: { port: number; maxBodyBytes?: number; generationTimeoutMs?: number; requestTimeoutMs?: number };
  /** Folder of the rotated JSON-lines log; default: the user's log folder. `''` writes no file. */
  logDir?: string;
  logLevel: LogLevel;
  /** Log prompt and completion text; default off. */
  logPrompts?: boolean;
  /** Also write log records to this sink (the foreground `autoglm serve`). */
  echo?: (record: LogRecord) => void;
  /** Start loading the model at once instead of at the first request; default true. */
  preload?: boolean;
  /** Most requests waiting for a batch slot; default 1024. */
  maxQueue?: number;
  /** Replaces Engine.load (tests). */
  load?: (options: EngineOptions) => Promise<Engine>;
}

export interface RunningService {
  kind: 'running';
  paths: ServicePaths;
  http: { url: string; tokenFile: string } | undefined;
  logFile: string;
  host: EngineHost;
  stats(): ServiceStats;
  /** Stops serving, releases the model, the socket and the lock. */
  stop(reason: string): Promise<void>;
  /** Resolves once the service has stopped, for whatever reason. */
  stopped: Promise<string>;
}

export interface AlreadyRunning {
  kind: 'already-running';
  paths: ServicePaths;
  holder: LockContent | undefined;
}

export async function startService(options: ServiceOptions): Promise<RunningService | AlreadyRunning> {
  const paths = servicePaths(defaultRuntimeDir(options.runtimeDir));
  ensureRuntimeDir(paths.runtimeDir);
  const lock = lockContent(paths);
  const got = await acquireLock(paths.lockFile, lock);
  if (!got.acquired) {
    return { kind: 'already-running', paths, holder: got.holder };
  }
  const service = new Service(options, paths, lock);
  await service.start();
  return service.running();
}

type OwnLock = LockContent & { instance: string };

/** Our lock: the command line lets another process tell this service from a later owner of its pid. */
function lockContent(paths: ServicePaths): OwnLock {
  const cmdline = commandLineOf('self');
  return {
    pid: process.pid,
    instance: newInstance(),
    ...(cmdline ? { cmdline } : {}),
    version: VERSION,
    protocolVersion: SERVICE_PROTOCOL_VERSION,
    socket: paths.socket,
    startedAt: new Date().toISOString(),
  };
}

function openLog(options: ServiceOptions): ServiceLog {
  const logDir = options.logDir ?? defaultLogDir();
  return new ServiceLog(logDir === '' ? undefined : new RotatingLogFile({ dir: logDir }), options.logLevel, options.echo);
}

/** The parts of one running service, from the moment it holds the lock until it has stopped. */
class Service {
  private readonly log: ServiceLog;
  private readonly logger: Logger;
  private readonly metrics = new ServiceMetrics();
  private readonly host: EngineHost;
  private readonly rpc: RpcServer;
  private readonly http: HttpSwitch;
  private readonly idle: IdleShutdown;
  private readonly startedAt = Date.now();
  private stopping: Promise<void> | undefined;
  /** The socket file this service bound; only that one is removed at the end. */
  private socketId: SocketIdentity | undefined;
  private resolveStopped: (reason: string) => void = () => undefined;
  private readonly stopped = new Promise<string>((resolve) => (this.resolveStopped = resolve));

  constructor(
    private readonly options: ServiceOptions,
    private readonly paths: ServicePaths,
    private readonly lock: OwnLock,
  ) {
    this.log = openLog(options);
    this.logger = this.log.logger.child({ component: 'service', pid: process.pid });
    this.host = new EngineHost(options.model, this.log.logger, this.metrics, {
      ...(options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {}),
      ...(options.load ? { load: options.load } : {}),
      onModelChange: () => this.rpc.modelChanged(this.host.modelInfo()),
    });
    this.idle = new IdleShutdown(options.idleShutdownMs, () => this.http.active() > 0, (reason) => void this.stop(reason));
    this.rpc = new RpcServer({
      host: this.host,
      log: this.log,
      logger: this.log.logger,
      logPrompts: options.logPrompts ?? false,
      hello: () => ({ ...this.httpInfo(), logFile: this.log.path }),
      stats: () => this.stats(),
      onClientsChanged: (count) => this.idle.arm(count),
      shutdown: (reason) => void this.stop(reason),
      setHttp: (port) => this.http.set(port),
    });
    this.http = new HttpSwitch({
      tokenFile: paths.tokenFile,
      limits: options.http ? pick(options.http, ['maxBodyBytes', 'generationTimeoutMs', 'requestTimeoutMs']) : {},
      logPrompts: options.logPrompts ?? false,
      deps: { host: this.host, metrics: this.metrics, logger: this.log.logger, gauges: () => this.gauges(), onActivity: () => this.idle.arm(this.rpc.clients.size) },
      logger: this.logger,
      onChange: () => this.writeLock(),
    });
  }

  /** Serves the socket (and the HTTP API when asked for); a failure stops what was started. */
  async start(): Promise<void> {
    try {
      await this.listen();
      if (this.options.http) {
        await this.http.set(this.options.http.port);
      }
      this.writeLock();
    } catch (err) {
      this.logger.error('service failed to start', { error: err });
      await this.stop('failed to start');
      throw err;
    }
    this.logger.info('service started', { socket: this.paths.socket, http: this.http.endpoint?.url, model: this.options.model.modelDir, idleShutdownMs: this.options.idleShutdownMs });
    this.idle.arm(this.rpc.clients.size);
    if (this.options.preload ?? true) {
      this.host.engine().catch(() => undefined);
    }
  }

  running(): RunningService {
    return {
      kind: 'running',
      paths: this.paths,
      http: this.http.endpoint,
      logFile: this.log.path,
      host: this.host,
      stats: () => this.stats(),
      stop: (reason) => this.stop(reason),
      stopped: this.stopped,
    };
  }

  /**
   * Binds the socket. On Windows it is a named pipe, per user by name only: Node creates it with
   * the default security descriptor (it sets no ACL), so its privacy rests on Windows' defaults.
   */
  private async listen(): Promise<void> {
    // We hold the lock, so a socket file left here is from a service that died.
    removeStaleSocket(this.paths.socket);
    await this.rpc.listen(this.paths.socket);
    if (process.platform !== 'win32') fs.chmodSync(this.paths.socket, 0o600);
    this.socketId = socketIdentity(this.paths.socket);
  }

  /** The lock file names the socket, the HTTP API that is on and the log file. */
  private writeLock(): void {
    updateLock(this.paths.lockFile, { ...this.lock, ...this.httpInfo(), logFile: this.log.path });
  }

  private httpInfo(): { http?: HttpEndpoint } {
    const endpoint = this.http.endpoint;
    return endpoint ? { http: endpoint } : {};
  }

  private stop(reason: string): Promise<void> {
    this.stopping ??= this.shutDown(reason);
    return this.stopping;
  }

  private async shutDown(reason: string): Promise<void> {
    this.logger.info('service stopping', { reason });
    this.idle.dispose();
    await Promise.all([this.rpc.close(), this.http.close()]);
    await this.host.dispose();
    // The socket goes before the lock: once the lock is free, the next service may create its own.
    removeOwnSocket(this.paths.socket, this.socketId);
    releaseLock(this.paths.lockFile, this.lock.instance);
    this.logger.info('service stopped', { reason });
    this.log.close();
    this.resolveStopped(reason);
  }

  private gauges(): Gauges {
    const s = this.host.loaded?.stats();
    return {
      queueDepth: s?.queuedRequests ?? 0,
      activeRequests: s?.activeRequests ?? 0,
      prefixCacheHitRate: s && s.promptTokensTotal > 0 ? s.reusedTokensTotal / s.promptTokensTotal : 0,
      prefixCacheBytes: s?.prefixCacheBytes ?? 0,
      connectedClients: this.rpc.clients.size,
      modelLoads: this.host.modelLoads,
      residentMemoryBytes: process.memoryUsage.rss(),
    };
  }

  private stats(): ServiceStats {
    const s = this.host.loaded?.stats();
    const g = this.gauges();
    return {
      serviceVersion: VERSION,
      pid: process.pid,
      uptimeMs: Date.now() - this.startedAt,
      connectedClients: g.connectedClients,
      clients: [...this.rpc.clients].map((c) => ({ name: c.name, pid: c.pid, connectedMs: Date.now() - c.connectedAt })),
      modelLoads: g.modelLoads,
      model: this.host.modelInfo(),
      queueDepth: g.queueDepth,
      activeRequests: g.activeRequests,
      requestsCompleted: s?.requestsCompleted ?? 0,
      requestsCancelled: s?.requestsCancelled ?? 0,
      requestsFailed: s?.requestsFailed ?? 0,
      promptTokensTotal: s?.promptTokensTotal ?? 0,
      reusedTokensTotal: s?.reusedTokensTotal ?? 0,
      generatedTokensTotal: s?.generatedTokensTotal ?? 0,
      prefixCacheHitRate: g.prefixCacheHitRate,
      prefixCacheBytes: g.prefixCacheBytes,
      tokensPerSecond: this.metrics.tokensPerSecond(),
      residentMemoryBytes: g.residentMemoryBytes,
      ...this.httpInfo(),
      logFile: this.log.path,
    };
  }
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
