/**
 * One editor window's connection to the service: the handshake, one handler per request, streams
 * whose cancellation reaches the engine, and the window's share of the service's log records.
 */
import { ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc/node';
import { AutoGlmError, BusyError, ModelLoadError, errorMessage } from '../common/errors';
import { isLogLevel, type Logger } from '../common/logger';
import { VERSION } from '../common/version';
import type { ChatEvent, GenerateStats } from '../engine';
import type { GenerationErrorData, GenerationStats } from '../protocol/generation';
import {
  ChatRequestType,
  ChunkNotificationType,
  CountTokensRequestType,
  GenerateRequestType,
  HealthRequestType,
  HelloRequestType,
  InfoRequestType,
  LogNotificationType,
  ModelChangedNotificationType,
  SERVICE_PROTOCOL_VERSION,
  ServiceErrorCodes,
  SetHttpRequestType,
  ShutdownRequestType,
  StatsRequestType,
  SwitchModelRequestType,
  type ChatParams,
  type ChunkNotification,
  type CountTokensParams,
  type GenerateParams,
  type HealthResult,
  type HelloParams,
  type HelloResult,
  type ServiceModelInfo,
  type ServiceStats,
  type SetHttpParams,
  type SetHttpResult,
  type ShutdownParams,
  type StreamResult,
  type SwitchModelParams,
} from '../protocol/service';
import { checkChatFields, checkResponseFormat, FieldError } from './chatChecks';
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

export class RpcSession {
  private client: RpcClientInfo | undefined;
  private unlisten: (() => void) | undefined;
  private logger: Logger;
  private readonly inflight = new Set<AbortController>();

  constructor(
    private readonly conn: MessageConnection,
    /** Numbers this connection in the log, so that a window is sent the records of its own requests. */
    private readonly connectionId: number,
    /** The windows that have shaken hands, shared by every session of the server. */
    private readonly clients: Set<RpcClientInfo>,
    private readonly deps: RpcServerDeps,
  ) {
    this.logger = deps.logger.child({ component: 'rpc' });
    conn.onRequest(HelloRequestType, (p) => this.hello(p));
    conn.onRequest(GenerateRequestType, (p, token) => this.generate(p, token));
    conn.onRequest(ChatRequestType, (p, token) => this.chat(p, token));
    conn.onRequest(CountTokensRequestType, (p) => this.countTokens(p));
    conn.onRequest(InfoRequestType, () => this.info());
    conn.onRequest(StatsRequestType, () => this.stats());
    conn.onRequest(HealthRequestType, () => this.health());
    conn.onRequest(SwitchModelRequestType, (p) => this.switchModel(p));
    conn.onRequest(SetHttpRequestType, (p) => this.setHttp(p));
    conn.onRequest(ShutdownRequestType, (p) => this.shutdown(p));
  }

  modelChanged(model: ServiceModelInfo): void {
    void this.conn.sendNotification(ModelChangedNotificationType, { model }).catch(() => undefined);
  }

  /** The window went away: its requests are cancelled and it no longer counts as connected. */
  closed(): void {
    for (const ctl of this.inflight) ctl.abort();
    this.unlisten?.();
    if (this.client) {
      this.clients.delete(this.client);
      this.logger.info('client disconnected', { clients: this.clients.size });
      this.deps.onClientsChanged(this.clients.size);
    }
    this.conn.dispose();
  }

  private hello(p: HelloParams): HelloResult {
    if (p.protocolVersion !== SERVICE_PROTOCOL_VERSION) {
      throw new ResponseError(
        ServiceErrorCodes.versionMismatch,
        `The Open AutoGLM service ${VERSION} (pid ${process.pid}) speaks protocol ${SERVICE_PROTOCOL_VERSION}; this client ${p.clientVersion} speaks ${p.protocolVersion}. ` +
          'Close the windows of the other version, or stop that service, so that a matching one starts.',
        { serviceVersion: VERSION, protocolVersion: SERVICE_PROTOCOL_VERSION },
      );
    }
    if (!this.client) this.register(p);
    return { protocolVersion: SERVICE_PROTOCOL_VERSION, serviceVersion: VERSION, pid: process.pid, model: this.deps.host.modelInfo(), ...this.deps.hello() };
  }

  private register(p: HelloParams): void {
    const client: RpcClientInfo = { name: String(p.clientName).slice(0, 200), pid: p.pid, connectedAt: Date.now() };
    this.client = client;
    this.clients.add(client);
    this.logger = this.logger.child({ client: client.name, clientPid: client.pid, connection: this.connectionId });
    this.logger.info('client connected', { clientVersion: p.clientVersion, clients: this.clients.size });
    this.deps.onClientsChanged(this.clients.size);
    if (p.logLevel !== undefined && isLogLevel(p.logLevel)) {
      this.unlisten = this.deps.log.listen(p.logLevel, (record) => {
        // A window sees the service's own records and those of its requests, not other windows'.
        if (record['connection'] !== undefined && record['connection'] !== this.connectionId) return;
        void this.conn.sendNotification(LogNotificationType, { record }).catch(() => undefined);
      });
    }
  }

  private requireHello(): void {
    if (!this.client) {
      throw new ResponseError(ServiceErrorCodes.notHandshaken, `Call ${HelloRequestType.method} first`);
    }
  }

  private generate(p: GenerateParams, token: CancellationToken): Promise<StreamResult> {
    this.requireHello();
    const { streamId: _id, prompt, responseFormat: _format, ...options } = p;
    const responseFormat = checked(() => checkResponseFormat(p.responseFormat, 'responseFormat'));
    return this.stream('rpc-generate', p, { ...options, ...(responseFormat ? { responseFormat } : {}), prompt: { text: prompt } }, token);
  }

  private chat(p: ChatParams, token: CancellationToken): Promise<StreamResult> {
    this.requireHello();
    const { messages, tools, toolChoice, responseFormat } = checked(() => checkChatFields(p));
    const { streamId: _id, messages: _m, tools: _t, toolChoice: _c, responseFormat: _f, ...options } = p;
    return this.stream('rpc-chat', p, { ...options, ...(responseFormat ? { responseFormat } : {}), prompt: { messages, ...(tools ? { tools } : {}), ...(toolChoice ? { toolChoice } : {}) } }, token);
  }

  /** Runs one request in the engine, sending its text as chunks for the stream's id. */
  private async stream(api: 'rpc-generate' | 'rpc-chat', { streamId, traceId }: { streamId: string; traceId?: string }, request: HostRequest, token: CancellationToken): Promise<StreamResult> {
    this.requireHello();
    const ctl = new AbortController();
    this.inflight.add(ctl);
    const cancel = token.onCancellationRequested(() => ctl.abort());
    const log = this.logger.child({ traceId: sanitizeTraceId(traceId) ?? newTraceId(), spanId: newSpanId() });
    log.debug('rpc request', { method: api, priority: request.priority, maxTokens: request.maxTokens, ...(this.deps.logPrompts ? { prompt: 'text' in request.prompt ? request.prompt.text : request.prompt.messages } : {}) });
    let stats: GenerateStats | undefined;
    try {
      for await (const event of this.deps.host.generate(api, request, ctl.signal, log)) {
        const chunk = chunkOf(streamId, event);
        if (event.type === 'done') {
          stats = event.stats;
        } else if (chunk) {
          void this.conn.sendNotification(ChunkNotificationType, chunk).catch(() => ctl.abort());
        }
      }
    } catch (err) {
      throw toResponseError(err, log);
    } finally {
      cancel.dispose();
      this.inflight.delete(ctl);
    }
    return stats ? { cancelled: false, stats: generationStats(stats) } : { cancelled: true };
  }

  private async countTokens(p: CountTokensParams): Promise<number> {
    this.requireHello();
    try {
      return (await this.deps.host.engine()).countTokens(p.text);
    } catch (err) {
      throw toResponseError(err, this.logger);
    }
  }

  private info(): ServiceModelInfo {
    this.requireHello();
    return this.deps.host.modelInfo();
  }

  private stats(): ServiceStats {
    this.requireHello();
    return this.deps.stats();
  }

  private health(): HealthResult {
    this.requireHello();
    const info = this.deps.host.modelInfo();
    if (info.loaded) return { status: 'ok' };
    return info.loadError !== undefined ? { status: 'error', detail: info.loadError } : { status: 'loading' };
  }

  private async switchModel(p: SwitchModelParams): Promise<ServiceModelInfo> {
    this.requireHello();
    this.logger.info('switching model', { modelDir: p.modelDir, variant: p.variant, provider: p.provider });
    try {
      return await this.deps.host.switchModel(p);
    } catch (err) {
      throw toResponseError(err, this.logger);
    }
  }

  private async setHttp(p: SetHttpParams): Promise<SetHttpResult> {
    this.requireHello();
    if (p.port !== null && (!Number.isInteger(p.port) || p.port < 0 || p.port > 65535)) {
      throw new ResponseError(ServiceErrorCodes.invalidRequest, `port must be an integer in 0..65535 or null (got ${String(p.port)})`, { code: 'invalid-request' });
    }
    this.logger.info('setting the HTTP API', { port: p.port });
    try {
      return await this.deps.setHttp(p.port);
    } catch (err) {
      throw toResponseError(err, this.logger);
    }
  }

  /** With `ifIdle` this is accepted before `hello`, so that a client of any version can replace an idle service. */
  private shutdown(p: ShutdownParams | null | undefined): boolean {
    const ifIdle = p?.ifIdle === true;
    if (!ifIdle) this.requireHello();
    const others = this.clients.size - (this.client ? 1 : 0);
    if (ifIdle && others > 0) {
      return false;
    }
    const reason = this.client ? `requested by ${this.client.name}` : 'replaced by a client of another version';
    // Answer first, then stop.
    setTimeout(() => this.deps.shutdown(reason), 10);
    return true;
  }
}

/** The notification for an event that carries something: text, log-probabilities or a call. */
function chunkOf(streamId: string, event: ChatEvent): ChunkNotification | undefined {
  if (event.type === 'tool-call') return { streamId, toolCall: event.call };
  if (event.type === 'delta' && (event.text !== '' || event.logprobs !== undefined)) {
    return { streamId, text: event.text, ...(event.logprobs !== undefined ? { logprobs: event.logprobs } : {}) };
  }
  return undefined;
}

/** Runs a check of the request's fields; a failed one is the caller's invalid request, naming the field. */
function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof FieldError) throw new ResponseError(ServiceErrorCodes.invalidRequest, err.message, { code: 'invalid-request' });
    throw err;
  }
}

/** The contract's stats out of the engine's (which say more than the wire carries). */
function generationStats(s: GenerateStats): GenerationStats {
  return { promptTokens: s.promptTokens, reusedTokens: s.reusedTokens, generatedTokens: s.generatedTokens, timeToFirstTokenMs: s.timeToFirstTokenMs, tokensPerSecond: s.tokensPerSecond, stopReason: s.stopReason };
}

/** A failure as it crosses the wire: a JSON-RPC error whose `data.code` is the typed error's code. */
export function toResponseError(err: unknown, log: Logger): ResponseError<GenerationErrorData> {
  if (err instanceof ResponseError) return err;
  if (err instanceof BusyError) return new ResponseError(ServiceErrorCodes.busy, err.message, { code: err.code });
  if (err instanceof ModelLoadError) return new ResponseError(ServiceErrorCodes.modelLoad, err.message, { code: err.code });
  if (err instanceof AutoGlmError) {
    const code = err.code === 'shutting-down' ? ServiceErrorCodes.shuttingDown : err.code === 'internal' ? ServiceErrorCodes.internal : ServiceErrorCodes.invalidRequest;
    return new ResponseError(code, err.message, { code: err.code });
  }
  log.error('request failed', { error: err });
  return new ResponseError(ServiceErrorCodes.internal, errorMessage(err), { code: 'internal' });
}
