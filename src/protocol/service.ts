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

import type { ModelVariant, ProviderSetting } from '../common/modelSettings';

/** Bumped on any incompatible change of the messages below; the handshake compares it. */
export const SERVICE_PROTOCOL_VERSION = 1;

/** Exit code of a service that found another one holding the lock (the starter then connects to that one). */
export const SERVICE_EXIT_ALREADY_RUNNING = 3;

export const ServiceMethods = {
  hello: 'autoglm/hello',
  generate: 'autoglm/generate',
  chat: 'autoglm/chat',
  countTokens: 'autoglm/countTokens',
  info: 'autoglm/info',
  stats: 'autoglm/stats',
  health: 'autoglm/health',
  switchModel: 'autoglm/switchModel',
  /** Turns the OpenAI-compatible HTTP API on (at a port) or off in the running service. */
  setHttp: 'autoglm/setHttp',
  shutdown: 'autoglm/shutdown',
} as const;

export const ServiceNotifications = {
  /** Service -> client: a piece of streamed text. */
  chunk: 'autoglm/chunk',
  /** Service -> client: a log record at or above the level the client asked for in `hello`. */
  log: 'autoglm/log',
  /** Service -> every client: the model finished loading, failed to, or was switched. */
  modelChanged: 'autoglm/modelChanged',
} as const;

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
export type ServicePriority = 'interactive' | 'chat' | 'background';
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

export interface GenerateParams {
  streamId: string;
  /** Raw prompt (special tokens recognised). */
  prompt: string;
  maxTokens: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  seed?: number;
  stop?: string[];
  /** The output must start with this text, which is not streamed back (token healing). */
  forcedPrefix?: string;
  priority: ServicePriority;
  traceId?: string;
}

export interface ChatParams extends Omit<GenerateParams, 'prompt'> {
  messages: { role: string; content: string }[];
}

export interface ChunkNotification {
  streamId: string;
  text: string;
}

export interface StreamResult {
  promptTokens: number;
  reusedTokens: number;
  generatedTokens: number;
  timeToFirstTokenMs: number;
  tokensPerSecond: number;
  stopReason: string;
  /** True when the request was cancelled before it finished. */
  cancelled: boolean;
}

export interface CountTokensParams {
  text: string;
}

export interface ServiceStats {
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
  requestsCompleted: number;
  requestsCancelled: number;
  requestsFailed: number;
  promptTokensTotal: number;
  reusedTokensTotal: number;
  generatedTokensTotal: number;
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
