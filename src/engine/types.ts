/**
 * Public types of the generation engine. Everything here is plain data so that the service, the
 * CLI and the tests can pass requests and results around without touching onnxruntime.
 */

import type { ModelVariant, ProviderSetting } from '../common/modelSettings';
import type { PromptLookupOptions } from './promptLookup';
import type { ChatMessage, GenerationOptions, GenerationStats, GenerationTotals, JsonSchema, Priority, StopReason, TokenLogprob, ToolDefinition } from '../protocol/generation';

/** The generation contract's own types: the engine takes and returns them unchanged. */
export type { ChatMessage, Priority, StopReason, TokenLogprob };

export const PRIORITY_RANK: Readonly<Record<Priority, number>> = { interactive: 0, chat: 1, background: 2 };

/**
 * Which weight file of the model folder to run (`auto` picks by device and by what exists), and
 * the execution provider (`auto` tries the platform's GPU providers, then falls back to `cpu`).
 */
export type { ModelVariant, ProviderSetting };

/**
 * The contract's options, all optional here (defaults: 256 tokens, priority 'chat'), plus what
 * only a caller holding the model can ask for. `traceId` is the caller's to log; the engine
 * ignores it. `forcedPrefix` needs a byte-level tokenizer (`Engine.supportsForcedPrefix`), and
 * `maxTokens` counts the tokens after it.
 */
export interface GenerateRequest extends Partial<GenerationOptions> {
  /** Raw prompt text (special tokens such as `<|fim_prefix|>` are recognised) or prompt token ids. */
  prompt: string | readonly number[];
  /** Generation stops at these token ids (not emitted). Default: the model's end-of-sequence ids. */
  stopTokenIds?: readonly number[];
  /** Add the model's end-of-sequence ids to `stopTokenIds` (default true). */
  stopAtEos?: boolean;
  /** Use and feed the prefix cache (default true). Output is identical either way. */
  usePrefixCache?: boolean;
  /**
   * Restricts decoding so that the output is valid by construction (see `constrain/`): the whole
   * output JSON (under a schema, if given), or free text in which each tool call the model opens
   * with `open` is a JSON object `{"name": <a tool's name>, "arguments": <valid under its
   * parameters>}` followed by `close`. `required`: the output starts with a call.
   * The contract's `responseFormat` maps onto the `json` kind.
   */
  constraint?: DecodingConstraint;
}

export type DecodingConstraint =
  | { kind: 'json'; schema?: JsonSchema }
  | { kind: 'tool-calls'; tools: readonly ToolDefinition[]; open: string; close: string; required?: boolean };

/** The contract's stats (a GenerateStats is a GenerationStats) plus the engine's own timings. */
export interface GenerateStats extends GenerationStats {
  /** Prompt tokens that had to be run through the model (promptTokens - reusedTokens). */
  prefilledTokens: number;
  /** Milliseconds waiting in the queue before the first model run. */
  queueMs: number;
  /** Milliseconds from the `generate` call to the end. */
  totalMs: number;
}

/** One streamed piece of output. `text` may be empty while bytes of a character or a possible stop sequence are held back. */
export interface GenerateDelta {
  type: 'delta';
  text: string;
  tokenIds: number[];
  /** The log-probability of each token in `tokenIds`, when the request asked for them. */
  logprobs?: TokenLogprob[];
}

export interface GenerateDone {
  type: 'done';
  /** All the text that was emitted, for convenience. */
  text: string;
  tokenIds: number[];
  stats: GenerateStats;
}

export type GenerateEvent = GenerateDelta | GenerateDone;

/** The engine's own accounting; tests assert that it returns to zero. */
export interface EngineStats extends GenerationTotals {
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
  decodeSteps: number;
  /** Model runs spent on prompts (several short prompts arriving together share one). */
  prefillRuns: number;
  /** Prompt-lookup draft tokens verified, and those accepted (acceptance rate = accepted / drafted). */
  draftedTokens: number;
  acceptedDraftTokens: number;
  /** The speculation in use; false when off. */
  speculation: PromptLookupSetting;
}

/** Prompt-lookup speculative decoding (batch of one only), or false for none. */
export type PromptLookupSetting = { promptLookup: PromptLookupOptions } | false;
