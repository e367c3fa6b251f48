/**
 * The service process's composition: the per-user lock, the engine host, the RPC server on the
 * socket, the optional HTTP API, the log file and the idle timer. `startService` returns either
 * the running service or the details of the one that already holds the lock.
 */
import * as fs from 'node:fs';
import type { LogLevel, LogRecord } from '../common/logger';
import { VERSION } from '../common/version';
import type { EngineOptions, Engine } from '../engine';
import { SERVICE_PROTOCOL_VERSION, type ModelSpec, type ServiceStats } from '../protocol/service';
import { EngineHost } from './engineHost';
import { startHttpApi, type HttpApi } from './http';
import { acquireLock, releaseLock, updateLock, type LockContent } from './lock';
import { RotatingLogFile, ServiceLog } from './logFile';
import { ServiceMetrics, type Gauges } from './metrics';
import { defaultLogDir, defaultRuntimeDir, ensureRuntimeDir, readOrCreateToken, servicePaths, type ServicePaths } from './paths';
import { RpcServer } from './rpcServer';

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
  const lock: LockContent = { pid: process.pid, version: VERSION, protocolVersion: SERVICE_PROTOCOL_VERSION, socket: paths.socket, startedAt: new Date().toISOString() };
  const got = acquireLock(paths.lockFile, lock);
  if (!got.acquired) {
    return { kind: 'already-running', paths, holder: got.holder };
  }
  const logDir = options.logDir ?? defaultLogDir();
  const log = new ServiceLog(logDir === '' ? undefined : new RotatingLogFile({ dir: logDir }), options.logLevel, options.echo);
  const logger = log.logger.child({ component: 'service', pid: process.pid });
  const metrics = new ServiceMetrics();
  const host: EngineHost = new EngineHost(options.model, log.logger, metrics, {
    ...(options.maxQueue !== undefined ? { maxQueue: options.maxQueue } : {}),
    ...(options.load ? { load: options.load } : {}),
    onModelChange: () => rpc.modelChanged(host.modelInfo()),
  });
  const startedAt = Date.now();
  let http: HttpApi | undefined;
  let httpInfo: { url: string; tokenFile: string } | undefined;
  let idleTimer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;
  let resolveStopped!: (reason: string) => void;
  const stopped = new Promise<string>((r) => (resolveStopped = r));

  const gauges = (): Gauges => {
    const s = host.loaded?.stats();
    return {
      queueDepth: s?.queuedRequests ?? 0,
      activeRequests: s?.activeRequests ?? 0,
      prefixCacheHitRate: s && s.promptTokensTotal > 0 ? s.reusedTokensTotal / s.promptTokensTotal : 0,
      prefixCacheBytes: s?.prefixCacheBytes ?? 0,
      connectedClients: rpc.clients.size,
      modelLoads: host.modelLoads,
      residentMemoryBytes: process.memoryUsage.rss(),
    };
  };

  const stats = (): ServiceStats => {
    const s = host.loaded?.stats();
    const g = gauges();
    return {
      serviceVersion: VERSION,
      pid: process.pid,
      uptimeMs: Date.now() - startedAt,
      connectedClients: rpc.clients.size,
      clients: [...rpc.clients].map((c) => ({ name: c.name, pid: c.pid, connectedMs: Date.now() - c.connectedAt })),
      modelLoads: host.modelLoads,
      model: host.modelInfo(),
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
      tokensPerSecond: metrics.tokensPerSecond(),
      residentMemoryBytes: g.residentMemoryBytes,
      ...(httpInfo ? { http: httpInfo } : {}),
      logFile: log.path,
    };
  };

  const armIdle = (): void => {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = undefined;
    if (options.idleShutdownMs > 0 && rpc.clients.size === 0) {
      idleTimer = setTimeout(() => {
        if (http && http.active() > 0) {
          armIdle();
        } else {
          void stop(`idle for ${options.idleShutdownMs} ms with no connected window`);
        }
      }, options.idleShutdownMs);
    }
  };

  const rpc = new RpcServer({
    host,
    log,
    logger: log.logger,
    logPrompts: options.logPrompts ?? false,
    hello: () => ({ ...(httpInfo ? { http: httpInfo } : {}), logFile: log.path }),
    stats,
    onClientsChanged: () => armIdle(),
    shutdown: (reason) => void stop(reason),
    setHttp: (port) => setHttp(port),
  });

  /** Starts, moves or stops the HTTP API; the lock file always names the current one. */
  let httpChange: Promise<unknown> = Promise.resolve();
  const setHttp = (port: number | null): Promise<{ url: string; tokenFile: string } | null> => {
    const next = httpChange.then(async () => {
      if (port !== null && http && (port === 0 || new URL(http.url).port === String(port))) {
        return httpInfo ?? null;
      }
      if (http) {
        await http.close();
        http = undefined;
        httpInfo = undefined;
      }
      if (port !== null) {
        const token = readOrCreateToken(paths.tokenFile);
        const h = options.http;
        http = await startHttpApi(
          { port, token, logPrompts: options.logPrompts ?? false, ...(h ? pick(h, ['maxBodyBytes', 'generationTimeoutMs', 'requestTimeoutMs']) : {}) },
          { host, metrics, logger: log.logger, gauges, onActivity: () => armIdle() },
        );
        httpInfo = { url: http.url, tokenFile: paths.tokenFile };
        logger.info('HTTP API listening', { url: http.url });
      }
      updateLock(paths.lockFile, { ...lock, ...(httpInfo ? { http: httpInfo } : {}), logFile: log.path });
      return httpInfo ?? null;
    });
    httpChange = next.catch(() => undefined);
    return next;
  };

  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info('service stopping', { reason });
      if (idleTimer) clearTimeout(idleTimer);
      await Promise.all([rpc.close(), http?.close()]);
      await host.dispose();
      // The socket goes before the lock: once the lock is free, the next service may create its own.
      if (process.platform !== 'win32') fs.rmSync(paths.socket, { force: true });
      releaseLock(paths.lockFile);
      logger.info('service stopped', { reason });
      log.close();
      resolveStopped(reason);
    })();
    return stopping;
  };

  try {
    if (process.platform !== 'win32') {
      // We hold the lock, so a socket file left here is from a service that died.
      fs.rmSync(paths.socket, { force: true });
    }
    await rpc.listen(paths.socket);
    if (process.platform !== 'win32') fs.chmodSync(paths.socket, 0o600);
    if (options.http) {
      await setHttp(options.http.port);
    }
    updateLock(paths.lockFile, { ...lock, ...(httpInfo ? { http: httpInfo } : {}), logFile: log.path });
  } catch (err) {
    logger.error('service failed to start', { error: err });
    await stop('failed to start');
    throw err;
  }
  logger.info('service started', { socket: paths.socket, http: httpInfo?.url, model: options.model.modelDir, idleShutdownMs: options.idleShutdownMs });
  armIdle();
  if (options.preload ?? true) {
    host.engine().catch(() => undefined);
  }
  return { kind: 'running', paths, http: httpInfo, logFile: log.path, host, stats, stop, stopped };
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
