/**
 * The editor <-> service protocol: JSON-RPC 2.0 (vscode-jsonrpc) over a per-user unix socket or
 * Windows named pipe. Every message the two processes exchange is declared here, and nowhere else.
 *
 * A stream is one request (`autoglm/generate` or `autoglm/chat`) carrying a client-chosen
 * `streamId`; the service answers with `autoglm/chunk` notifications for that id, then with the
 * request's result (the final stats). JSON-RPC keeps the order of messages on one connection, so
 * every chunk arrives before the result. Cancellation is JSON-RPC's own `$/cancelRequest`: the
 * service aborts the engine request, which leaves the batch within one decode step.
 */

import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { ModelVariant, ProviderSetting } from '../common/modelSettings';
import type { ChatGenerationRequest, GenerationErrorData, GenerationRequest, GenerationStats, GenerationTotals, TokenLogprob, ToolCall } from './generation';

/** Bumped on any incompatible change of the messages below; the handshake compares it. */
export const SERVICE_PROTOCOL_VERSION = 3;

/** Exit code of a service that found another one holding the lock (the starter then connects to that one). */
export const SERVICE_EXIT_ALREADY_RUNNING = 3;

/** JSON-RPC error codes of the service (application range). */
export const ServiceErrorCodes = {
  versionMismatch: -32001,
  notHandshaken: -32002,
  busy: -32003,
  modelLoad: -32004,
  invalidRequest: -32005,
  internal: -32006,
  shuttingDown: -32007,
} as const;

export type ServiceVariant = ModelVariant;
export type ServiceProvider = ProviderSetting;
export type ServiceLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface ModelSpec {
  modelDir: string;
  variant: ServiceVariant;
  provider: ServiceProvider;
  /** Intra-op threads; 0 lets the engine choose. */
  threads: number;
}

export interface HelloParams {
  protocolVersion: number;
  clientVersion: string;
  /** Shown in the service's stats and logs (e.g. 'vscode window 1234'). */
  clientName: string;
  pid: number;
  /** Service log records at or above this level are forwarded as `autoglm/log`; omit for none. */
  logLevel?: ServiceLogLevel;
}

export interface HelloResult {
  protocolVersion: number;
  serviceVersion: string;
  pid: number;
  /** The current model (it may still be loading). */
  model: ServiceModelInfo;
  /** The OpenAI-compatible HTTP server, when it is on. */
  http?: { url: string; tokenFile: string };
  logFile: string;
}

export interface ServiceModelInfo {
  name: string;
  modelDir: string;
  loaded: boolean;
  /** 'cpu', 'cuda', ... once loaded. */
  provider?: string;
  variant?: string;
  modelType?: string;
  contextLength?: number;
  /** Requests may carry `forcedPrefix`. */
  forcedPrefix?: boolean;
  /** Why the last load failed, if it did. */
  loadError?: string;
}

/** A raw-prompt stream: the generation contract unchanged, plus the id its chunks carry. */
export type GenerateParams = GenerationRequest & { streamId: string };

/** A chat stream: the messages (with their tool calls and results), the tools and the choice, as the contract has them. */
export type ChatParams = ChatGenerationRequest & { streamId: string };

/** A piece of a stream: text (with the log-probabilities of its tokens, when asked for), or one complete tool call. */
export type ChunkNotification = { streamId: string; text: string; logprobs?: readonly TokenLogprob[] } | { streamId: string; toolCall: ToolCall };

/** How a stream ended: cancelled before it finished, or with the stats of the generation. */
export type StreamResult = { cancelled: true } | { cancelled: false; stats: GenerationStats };

export interface CountTokensParams {
  text: string;
}

export interface ServiceStats extends GenerationTotals {
  serviceVersion: string;
  pid: number;
  uptimeMs: number;
  connectedClients: number;
  clients: { name: string; pid: number; connectedMs: number }[];
  /** Models loaded since start (a switch counts one more). */
  modelLoads: number;
  model: ServiceModelInfo;
  queueDepth: number;
  activeRequests: number;
  /** Reused / prompt tokens since load, 0..1. */
  prefixCacheHitRate: number;
  prefixCacheBytes: number;
  /** Generated tokens per second over the last minute. */
  tokensPerSecond: number;
  residentMemoryBytes: number;
  http?: { url: string; tokenFile: string };
  logFile: string;
}

export interface HealthResult {
  status: 'ok' | 'loading' | 'error';
  detail?: string;
}

export type SwitchModelParams = ModelSpec;

/**
 * `ifIdle`: stop only if no other window is connected. With `ifIdle` the request is accepted
 * before `hello`, so that a client of another version can replace an idle service. The result
 * says whether the service is stopping.
 */
export interface ShutdownParams {
  ifIdle?: boolean;
}

/** `port` 0 picks a free port; null turns the API off. */
export interface SetHttpParams {
  port: number | null;
}

export type SetHttpResult = { url: string; tokenFile: string } | null;

export interface ModelChangedNotification {
  model: ServiceModelInfo;
}

export interface LogNotification {
  record: { time: string; level: ServiceLogLevel; msg: string; [field: string]: unknown };
}

/** Data of a `versionMismatch` error: what the service speaks. */
export interface VersionMismatchData {
  serviceVersion: string;
  protocolVersion: number;
}

export const HelloRequestType = new RequestType<HelloParams, HelloResult, VersionMismatchData>('autoglm/hello');
export const GenerateRequestType = new RequestType<GenerateParams, StreamResult, GenerationErrorData>('autoglm/generate');
export const ChatRequestType = new RequestType<ChatParams, StreamResult, GenerationErrorData>('autoglm/chat');
export const CountTokensRequestType = new RequestType<CountTokensParams, number, GenerationErrorData>('autoglm/countTokens');
export const InfoRequestType = new RequestType0<ServiceModelInfo, void>('autoglm/info');
export const StatsRequestType = new RequestType0<ServiceStats, void>('autoglm/stats');
export const HealthRequestType = new RequestType0<HealthResult, void>('autoglm/health');
/** Loads another model in the running service; requests in flight finish on the old one. */
export const SwitchModelRequestType = new RequestType<SwitchModelParams, ServiceModelInfo, GenerationErrorData>('autoglm/switchModel');
/** Turns the OpenAI-compatible HTTP API on (at a port) or off in the running service. */
export const SetHttpRequestType = new RequestType<SetHttpParams, SetHttpResult, GenerationErrorData>('autoglm/setHttp');
/** Stops the service (see `ShutdownParams`); the method and its params never change, so that any version can replace any other. */
export const ShutdownRequestType = new RequestType<ShutdownParams, boolean, void>('autoglm/shutdown');

/** Service -> client: a piece of streamed text or a tool call. */
export const ChunkNotificationType = new NotificationType<ChunkNotification>('autoglm/chunk');
/** Service -> client: a log record at or above the level the client asked for in `hello`. */
export const LogNotificationType = new NotificationType<LogNotification>('autoglm/log');
/** Service -> every client: the model finished loading, failed to, or was switched. */
export const ModelChangedNotificationType = new NotificationType<ModelChangedNotification>('autoglm/modelChanged');
