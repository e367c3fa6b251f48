/**
 * The RPC server that editor windows connect to: one JSON-RPC connection per window over the
 * per-user socket, a version handshake first, then streamed generations whose cancellation
 * reaches the engine.
 */
import * as net from 'node:net';
import { type CancellationToken, ResponseError, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { SocketMessageReader, SocketMessageWriter } from 'vscode-jsonrpc/node';
import { AutoGlmError, BusyError, ModelLoadError, errorMessage } from '../common/errors';
import { isLogLevel, type Logger } from '../common/logger';
import { VERSION } from '../common/version';
import type { GenerateStats } from '../engine';
import {
  SERVICE_PROTOCOL_VERSION,
  ServiceErrorCodes,
  ServiceMethods,
  ServiceNotifications,
  type ChatParams,
  type CountTokensParams,
  type GenerateParams,
  type HealthResult,
  type HelloParams,
  type HelloResult,
  type ServiceModelInfo,
  type SetHttpParams,
  type ShutdownParams,
  type SetHttpResult,
  type ServiceStats,
  type StreamResult,
  type SwitchModelParams,
} from '../protocol/service';
import type { EngineHost, HostRequest } from './engineHost';
import type { ServiceLog } from './logFile';
import { newSpanId, newTraceId, sanitizeTraceId } from './trace';

export interface RpcClientInfo {
  name: string;
  pid: number;
  connectedAt: number;
}

export interface RpcServerDeps {
  host: EngineHost;
  log: ServiceLog;
  logger: Logger;
  logPrompts: boolean;
  hello: () => Omit<HelloResult, 'protocolVersion' | 'serviceVersion' | 'pid' | 'model'>;
  stats: () => ServiceStats;
  onClientsChanged: (count: number) => void;
  shutdown: (reason: string) => void;
  setHttp: (port: number | null) => Promise<SetHttpResult>;
}

export class RpcServer {
  readonly clients = new Set<RpcClientInfo>();
  private readonly server: net.Server;
  private readonly connections = new Set<{ conn: MessageConnection; socket: net.Socket }>();
  private nextConnection = 0;

  constructor(private readonly deps: RpcServerDeps) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(socketPath: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** Tells every connected window about the model's new state. */
  modelChanged(model: ServiceModelInfo): void {
    for (const c of this.connections) {
      void c.conn.sendNotification(ServiceNotifications.modelChanged, { model }).catch(() => undefined);
    }
  }

  close(): Promise<void> {
    for (const c of this.connections) {
      c.conn.dispose();
      c.socket.destroy();
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    const entry = { conn, socket };
    this.connections.add(entry);
    const inflight = new Set<AbortController>();
    let client: RpcClientInfo | undefined;
    let unlisten: (() => void) | undefined;
    let logger = this.deps.logger.child({ component: 'rpc' });
    const { host } = this.deps;

    const requireHello = (): void => {
      if (!client) {
        throw new ResponseError(ServiceErrorCodes.notHandshaken, `Call ${ServiceMethods.hello} first`);
      }
    };

    conn.onRequest(ServiceMethods.hello, (p: HelloParams): HelloResult => {
      if (p.protocolVersion !== SERVICE_PROTOCOL_VERSION) {
        throw new ResponseError(
          ServiceErrorCodes.versionMismatch,
          `The Open AutoGLM service ${VERSION} (pid ${process.pid}) speaks protocol ${SERVICE_PROTOCOL_VERSION}; this client ${p.clientVersion} speaks ${p.protocolVersion}. ` +
            'Close the windows of the other version, or stop that service, so that a matching one starts.',
          { serviceVersion: VERSION, protocolVersion: SERVICE_PROTOCOL_VERSION },
        );
      }
      if (!client) {
        client = { name: String(p.clientName).slice(0, 200), pid: p.pid, connectedAt: Date.now() };
        this.clients.add(client);
        const connection = ++this.nextConnection;
        logger = logger.child({ client: client.name, clientPid: client.pid, connection });
        logger.info('client connected', { clientVersion: p.clientVersion, clients: this.clients.size });
        this.deps.onClientsChanged(this.clients.size);
        if (p.logLevel !== undefined && isLogLevel(p.logLevel)) {
          unlisten = this.deps.log.listen(p.logLevel, (record) => {
            // A window sees the service's own records and those of its requests, not other windows'.
            if (record['connection'] !== undefined && record['connection'] !== connection) return;
            void conn.sendNotification(ServiceNotifications.log, { record }).catch(() => undefined);
          });
        }
      }
      return { protocolVersion: SERVICE_PROTOCOL_VERSION, serviceVersion: VERSION, pid: process.pid, model: host.modelInfo(), ...this.deps.hello() };
    });

    const stream = async (kind: 'generate' | 'chat', p: GenerateParams | ChatParams, token: CancellationToken): Promise<StreamResult> => {
      requireHello();
      const ctl = new AbortController();
      inflight.add(ctl);
      const cancel = token.onCancellationRequested(() => ctl.abort());
      const log = logger.child({ traceId: sanitizeTraceId(p.traceId) ?? newTraceId(), spanId: newSpanId() });
      const request: HostRequest = {
        prompt: 'messages' in p ? { messages: p.messages } : { text: p.prompt },
        maxTokens: p.maxTokens,
        priority: p.priority,
        ...(p.temperature !== undefined ? { temperature: p.temperature } : {}),
        ...(p.topK !== undefined ? { topK: p.topK } : {}),
        ...(p.topP !== undefined ? { topP: p.topP } : {}),
        ...(p.repetitionPenalty !== undefined ? { repetitionPenalty: p.repetitionPenalty } : {}),
        ...(p.seed !== undefined ? { seed: p.seed } : {}),
        ...(p.stop !== undefined ? { stop: p.stop } : {}),
        ...(kind === 'generate' && p.forcedPrefix !== undefined ? { forcedPrefix: p.forcedPrefix } : {}),
      };
      log.info('rpc request', { method: kind, priority: p.priority, maxTokens: p.maxTokens, ...(this.deps.logPrompts ? { prompt: 'messages' in p ? p.messages : p.prompt } : {}) });
      let stats: GenerateStats | undefined;
      try {
        for await (const event of host.generate(kind === 'chat' ? 'rpc-chat' : 'rpc-generate', request, ctl.signal, log)) {
          if (event.type === 'delta') {
            if (event.text !== '') {
              void conn.sendNotification(ServiceNotifications.chunk, { streamId: p.streamId, text: event.text }).catch(() => ctl.abort());
            }
          } else {
            stats = event.stats;
          }
        }
      } catch (err) {
        throw toResponseError(err, log);
      } finally {
        cancel.dispose();
        inflight.delete(ctl);
      }
      if (!stats) {
        return { promptTokens: 0, reusedTokens: 0, generatedTokens: 0, timeToFirstTokenMs: 0, tokensPerSecond: 0, stopReason: 'cancelled', cancelled: true };
      }
      const { promptTokens, reusedTokens, generatedTokens, timeToFirstTokenMs, tokensPerSecond, stopReason } = stats;
      return { promptTokens, reusedTokens, generatedTokens, timeToFirstTokenMs, tokensPerSecond, stopReason, cancelled: false };
    };

    conn.onRequest(ServiceMethods.generate, (p: GenerateParams, token: CancellationToken) => stream('generate', p, token));
    conn.onRequest(ServiceMethods.chat, (p: ChatParams, token: CancellationToken) => stream('chat', p, token));
    conn.onRequest(ServiceMethods.countTokens, async (p: CountTokensParams): Promise<number> => {
      requireHello();
      try {
        return (await host.engine()).countTokens(p.text);
      } catch (err) {
        throw toResponseError(err, logger);
      }
    });
    conn.onRequest(ServiceMethods.info, (): ServiceModelInfo => {
      requireHello();
      return host.modelInfo();
    });
    conn.onRequest(ServiceMethods.stats, (): ServiceStats => {
      requireHello();
      return this.deps.stats();
    });
    conn.onRequest(ServiceMethods.health, async (): Promise<HealthResult> => {
      requireHello();
      const info = host.modelInfo();
      if (info.loaded) return { status: 'ok' };
      return info.loadError !== undefined ? { status: 'error', detail: info.loadError } : { status: 'loading' };
    });
    conn.onRequest(ServiceMethods.switchModel, async (p: SwitchModelParams): Promise<ServiceModelInfo> => {
      requireHello();
      logger.info('switching model', { modelDir: p.modelDir, variant: p.variant, provider: p.provider });
      try {
        return await host.switchModel(p);
      } catch (err) {
        throw toResponseError(err, logger);
      }
    });
    conn.onRequest(ServiceMethods.setHttp, async (p: SetHttpParams): Promise<SetHttpResult> => {
      requireHello();
      if (p.port !== null && (!Number.isInteger(p.port) || p.port < 0 || p.port > 65535)) {
        throw new ResponseError(ServiceErrorCodes.invalidRequest, `port must be an integer in 0..65535 or null (got ${String(p.port)})`);
      }
      logger.info('setting the HTTP API', { port: p.port });
      try {
        return await this.deps.setHttp(p.port);
      } catch (err) {
        throw toResponseError(err, logger);
      }
    });
    conn.onRequest(ServiceMethods.shutdown, (p: ShutdownParams | null | undefined): boolean => {
      const ifIdle = p?.ifIdle === true;
      if (!ifIdle) requireHello();
      const others = this.clients.size - (client ? 1 : 0);
      if (ifIdle && others > 0) {
        return false;
      }
      const reason = client ? `requested by ${client.name}` : 'replaced by a client of another version';
      // Answer first, then stop.
      setTimeout(() => this.deps.shutdown(reason), 10);
      return true;
    });

    const closed = (): void => {
      if (!this.connections.delete(entry)) return;
      for (const ctl of inflight) ctl.abort();
      unlisten?.();
      if (client) {
        this.clients.delete(client);
        logger.info('client disconnected', { clients: this.clients.size });
        this.deps.onClientsChanged(this.clients.size);
      }
      conn.dispose();
    };
    conn.onClose(closed);
    conn.onError(() => socket.destroy());
    socket.on('close', closed);
    socket.on('error', () => undefined);
    conn.listen();
  }
}

function toResponseError(err: unknown, log: Logger): ResponseError<{ code: string }> {
  if (err instanceof ResponseError) return err as ResponseError<{ code: string }>;
  if (err instanceof BusyError) return new ResponseError(ServiceErrorCodes.busy, err.message, { code: err.code });
  if (err instanceof ModelLoadError) return new ResponseError(ServiceErrorCodes.modelLoad, err.message, { code: err.code });
  if (err instanceof AutoGlmError) {
    const code = err.code === 'shutting-down' ? ServiceErrorCodes.shuttingDown : err.code === 'internal' ? ServiceErrorCodes.internal : ServiceErrorCodes.invalidRequest;
    return new ResponseError(code, err.message, { code: err.code });
  }
  log.error('request failed', { error: err });
  return new ResponseError(ServiceErrorCodes.internal, errorMessage(err), { code: 'internal' });
}
