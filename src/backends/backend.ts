/**
 * One interface for "something that generates": the local engine or a remote OpenAI-compatible
 * server. Feature code (completion, chat) depends on this file only, never on the engine. The
 * requests, chunks and stats are the generation contract of `protocol/generation.ts`, unchanged.
 */
import type { ChatGenerationRequest, GenerationChunk, GenerationRequest, GenerationStats, ToolCall } from '../protocol/generation';
import type { ModelSpec, SetHttpResult } from '../protocol/service';

export type { ChatGenerationRequest, GenerationChunk, GenerationRequest, GenerationStats, Priority, StopReason, ToolCall, ToolDefinition } from '../protocol/generation';

export interface BackendInfo {
  kind: 'local' | 'remote';
  /** Model name as the user would recognise it (folder name, or the server's model id). */
  modelName: string;
  /** Model family used to pick the fill-in-the-middle template, when known (e.g. 'qwen2.5-coder'). */
  modelFamily?: string;
  /** `model_type` from the model's config.json (e.g. 'qwen2'), when known. */
  modelType?: string;
  /** Context window in tokens, when known. */
  contextLength?: number;
  /** The backend honours `forcedPrefix` (a local engine with a byte-level tokenizer). */
  forcedPrefix?: boolean;
  /** The ONNX variant that runs once loaded (e.g. 'q4'), which `auto` settings leave open. */
  variant?: string;
  /** Where it runs: 'cpu', 'cuda', 'webgpu', or the server's URL. */
  device: string;
  loaded: boolean;
}

export interface Backend {
  info(): BackendInfo;
  /**
   * Streams text for a raw prompt. Aborting `signal` ends the stream early without an error;
   * unexpected failures throw typed errors.
   */
  generate(request: GenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk>;
  /** Streams an answer for chat messages, rendered with the model's own chat template. */
  chat(request: ChatGenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk>;
  /** Token count with the model's tokenizer, or an estimate where the backend has none. */
  countTokens(text: string): Promise<number>;
  /**
   * Token count with the model's tokenizer when it is at hand right now (synchronous callers:
   * prompt budgets, template helpers); undefined when only an estimate is possible.
   */
  countTokensNow(text: string): number | undefined;
  dispose(): void;
}

/** Live numbers for the stats command, from whichever local engine runs. */
export interface EngineLiveStats {
  where: string;
  model: string;
  device: string;
  queueDepth: number;
  activeRequests: number;
  tokensPerSecond?: number;
  prefixCacheHitRate: number;
  connectedWindows?: number;
  modelLoads?: number;
  residentMemoryBytes?: number;
  logFile?: string;
}

/**
 * What the editor asks of its local engine beyond generating, whichever process runs it (the
 * shared service, or this window). Hosts depend on this, never on the concrete classes.
 */
export interface LocalBackend extends Backend {
  /**
   * Loads another model in place (requests in flight finish on the old one). False when this
   * backend cannot switch in place and the caller should replace it instead.
   */
  switchModel(spec: ModelSpec): Promise<boolean>;
  /** The OpenAI-compatible HTTP API, when this backend has one and it is on. */
  readonly http: { url: string; tokenFile: string } | undefined;
  /** Turns the HTTP API on at `port` (0: any free port) or off; undefined where there is none. */
  setHttp(port: number | null): Promise<SetHttpResult | undefined>;
  liveStats(): Promise<EngineLiveStats>;
  /**
   * Learns what an engine that already runs elsewhere holds (the shared service another window
   * started), so that `info()` says it; never starts one. Resolves when `info()` is as current as
   * it can be without loading anything.
   */
  attachIfRunning(): Promise<void>;
  /** Stops the engine's process if it has its own, so that the next request starts a fresh one. */
  restart(): Promise<void>;
}

/** Collects a stream into its text, tool calls and final stats. */
export async function collect(stream: AsyncIterable<GenerationChunk>): Promise<{ text: string; toolCalls: ToolCall[]; stats: GenerationStats | undefined }> {
  let text = '';
  const toolCalls: ToolCall[] = [];
  let stats: GenerationStats | undefined;
  for await (const chunk of stream) {
    if (chunk.type === 'text') {
      text += chunk.text;
    } else if (chunk.type === 'tool-call') {
      toolCalls.push(chunk.call);
    } else {
      stats = chunk.stats;
    }
  }
  return { text, toolCalls, stats };
}
