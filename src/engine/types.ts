/**
 * Public types of the generation engine. Everything here is plain data so that the service, the
 * CLI and the tests can pass requests and results around without touching onnxruntime.
 */

import type { ModelVariant, ProviderSetting } from '../common/modelSettings';

/** Scheduling class. A keystroke (interactive) never waits behind a chat answer or a batch job. */
export type Priority = 'interactive' | 'chat' | 'background';

export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { interactive: 0, chat: 1, background: 2 };

/**
 * Which weight file of the model folder to run (`auto` picks by device and by what exists), and
 * the execution provider (`auto` tries the platform's GPU providers, then falls back to `cpu`).
 */
export type { ModelVariant, ProviderSetting };

export interface GenerateRequest {
  /** Raw prompt text (special tokens such as `<|fim_prefix|>` are recognised) or prompt token ids. */
  prompt: string | readonly number[];
  /** Most tokens to generate. Default 256; clamped so prompt + output fits the context window. */
  maxTokens?: number;
  /** 0 (default) is greedy decoding. */
  temperature?: number;
  /** Keep only the k most likely tokens before sampling; 0 (default) keeps all. */
  topK?: number;
  /** Nucleus sampling mass in (0, 1]; 1 (default) keeps all. */
  topP?: number;
  /** Divides positive (multiplies negative) logits of tokens already in prompt or output; 1 (default) is off. */
  repetitionPenalty?: number;
  /** Seed of the sampling PRNG: the same seed and request give the same output. Default: random. */
  seed?: number;
  /** Generation stops before any of these strings; the stop text itself is never emitted. */
  stop?: readonly string[];
  /** Generation stops at these token ids (not emitted). Default: the model's end-of-sequence ids. */
  stopTokenIds?: readonly number[];
  /** Add the model's end-of-sequence ids to `stopTokenIds` (default true). */
  stopAtEos?: boolean;
  /** Scheduling class; default 'chat'. */
  priority?: Priority;
  /**
   * The output must begin with this text (token healing): the first tokens are constrained to
   * spell it and it is left out of the emitted text, which continues right after it. A caller
   * that cuts a partial word off the end of its prompt and passes it here lets the model choose
   * that word's usual tokens. Needs a byte-level tokenizer (`Engine.supportsForcedPrefix`).
   * `maxTokens` counts the tokens after it.
   */
  forcedPrefix?: string;
  /** Use and feed the prefix cache (default true). Output is identical either way. */
  usePrefixCache?: boolean;
}

export type StopReason = 'max-tokens' | 'stop-sequence' | 'stop-token' | 'context-full';

export interface GenerateStats {
  /** Tokens in the prompt. */
  promptTokens: number;
  /** Prompt tokens whose KV state came from the prefix cache. */
  reusedTokens: number;
  /** Prompt tokens that had to be run through the model (promptTokens - reusedTokens). */
  prefilledTokens: number;
  /** Tokens generated, including a final stop token. */
  generatedTokens: number;
  /** Milliseconds waiting in the queue before the first model run. */
  queueMs: number;
  /** Milliseconds from the `generate` call to the first generated token. */
  timeToFirstTokenMs: number;
  /** Decode rate after the first token, in tokens per second (0 when only one token was generated). */
  tokensPerSecond: number;
  /** Milliseconds from the `generate` call to the end. */
  totalMs: number;
  stopReason: StopReason;
}

/** One streamed piece of output. `text` may be empty while bytes of a character or a possible stop sequence are held back. */
export interface GenerateDelta {
  type: 'delta';
  text: string;
  tokenIds: number[];
}

export interface GenerateDone {
  type: 'done';
  /** All the text that was emitted, for convenience. */
  text: string;
  tokenIds: number[];
  stats: GenerateStats;
}

export type GenerateEvent = GenerateDelta | GenerateDone;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | (string & {});
  content: string;
}

/** The engine's own accounting; tests assert that it returns to zero. */
export interface EngineStats {
  provider: string;
  variant: Exclude<ModelVariant, 'auto'>;
  modelFile: string;
  activeRequests: number;
  queuedRequests: number;
  /** Bytes of KV state owned by running or paused requests (the decode batch included). */
  liveKvBytes: number;
  /** Bytes of KV state kept by the prefix cache, at most `prefixCacheBytes`. */
  prefixCacheBytes: number;
  prefixCacheEntries: number;
  /** Totals since load. */
  requestsCompleted: number;
  requestsCancelled: number;
  requestsFailed: number;
  promptTokensTotal: number;
  reusedTokensTotal: number;
  generatedTokensTotal: number;
  decodeSteps: number;
  /** Model runs spent on prompts (several short prompts arriving together share one). */
  prefillRuns: number;
}
