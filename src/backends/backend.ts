/**
 * One interface for "something that generates": the local engine or a remote OpenAI-compatible
 * server. Feature code (completion, chat) depends on this file only, never on the engine.
 */

/** Scheduling class: a keystroke never waits behind a chat answer or a batch job. */
export type BackendPriority = 'interactive' | 'chat' | 'background';

export interface BackendRequest {
  /** The full prompt text, special tokens included (FIM or chat-template output). */
  prompt: string;
  /** Most tokens to generate. */
  maxTokens: number;
  /** 0 is greedy decoding. Default 0. */
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  seed?: number;
  /** Generation stops before any of these strings; the stop text is not returned. */
  stop?: readonly string[];
  priority: BackendPriority;
  /**
   * Text the output must start with, left out of what is returned (token healing; see the
   * engine's `GenerateRequest.forcedPrefix`). Only for backends whose info says `forcedPrefix`.
   */
  forcedPrefix?: string;
  /** Carried into logs of every process that serves the request. */
  traceId?: string;
}

export interface BackendChatRequest extends Omit<BackendRequest, 'prompt'> {
  messages: readonly { role: string; content: string }[];
}

export interface BackendStats {
  promptTokens: number;
  /** Prompt tokens served from the prefix cache (0 when the backend cannot tell). */
  reusedTokens: number;
  generatedTokens: number;
  timeToFirstTokenMs: number;
  tokensPerSecond: number;
  stopReason: string;
}

export type BackendChunk = { type: 'text'; text: string } | { type: 'done'; stats: BackendStats };

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
  generate(request: BackendRequest, signal: AbortSignal): AsyncIterable<BackendChunk>;
  /** Streams an answer for chat messages, rendered with the model's own chat template. */
  chat(request: BackendChatRequest, signal: AbortSignal): AsyncIterable<BackendChunk>;
  /** Token count with the model's tokenizer, or an estimate where the backend has none. */
  countTokens(text: string): Promise<number>;
  dispose(): void;
}

/** Collects a stream into its text and final stats. */
export async function collect(stream: AsyncIterable<BackendChunk>): Promise<{ text: string; stats: BackendStats | undefined }> {
  let text = '';
  let stats: BackendStats | undefined;
  for await (const chunk of stream) {
    if (chunk.type === 'text') {
      text += chunk.text;
    } else {
      stats = chunk.stats;
    }
  }
  return { text, stats };
}
