/**
 * The generation contract: one declaration of what a caller asks for, what comes back and how it
 * ends, used unchanged by every hop (feature code -> backend -> service client -> RPC -> engine
 * host -> engine, and the HTTP API). Plain data, no imports, so the engine may depend on it too.
 */

/** Scheduling class: a keystroke (interactive) never waits behind a chat answer or a batch job. */
export type Priority = 'interactive' | 'chat' | 'background';

export const PRIORITIES: readonly Priority[] = ['interactive', 'chat', 'background'];

/** Why a generation ended. `tool-calls`: the model's turn ended with one or more tool calls. */
export type StopReason = 'max-tokens' | 'stop-sequence' | 'stop-token' | 'context-full' | 'tool-calls';

export const STOP_REASONS: readonly StopReason[] = ['max-tokens', 'stop-sequence', 'stop-token', 'context-full', 'tool-calls'];

/** A JSON schema as plain data (the subset a backend supports is its own to check). */
export type JsonSchema = Record<string, unknown>;

/** A function the model may call: OpenAI's `function` object, the same on every hop. */
export interface ToolDefinition {
  /** `^[a-zA-Z0-9_-]{1,64}$`, unique within a request. */
  name: string;
  description: string;
  /** JSON schema of the arguments object. */
  parameters: JsonSchema;
}

/** One call the model made: its arguments as the JSON text the model wrote. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** `auto` (default): the model decides; `none`: no calls; `required`: at least one; or that function. */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

/** Constrains the whole output: any JSON object, or JSON valid under `schema`. */
export type ResponseFormat = { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; name?: string; schema: JsonSchema };

/**
 * One turn. An assistant turn may carry the tool calls it made (its content is then what it said
 * before them, possibly empty); a `tool` turn carries one call's result, naming the call.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | (string & {});
  content: string;
  toolCalls?: readonly ToolCall[];
  toolCallId?: string;
}

/** Sampling, stopping and scheduling options of one generation. */
export interface GenerationOptions {
  /** Most tokens to generate (clamped so that prompt and output fit the context window). */
  maxTokens: number;
  /** 0 (default) is greedy decoding. */
  temperature?: number;
  /** Keep only the k most likely tokens before sampling; 0 (default) keeps all. */
  topK?: number;
  /** Nucleus sampling mass in (0, 1]; 1 (default) keeps all. */
  topP?: number;
  /** Divides positive (multiplies negative) logits of tokens already seen; 1 (default) is off. */
  repetitionPenalty?: number;
  /** Seed of the sampling PRNG: the same seed and request give the same output. */
  seed?: number;
  /** Generation stops before any of these strings; the stop text is not returned. */
  stop?: readonly string[];
  /**
   * Text the output must start with, left out of what is returned (token healing). Only for
   * backends whose info says `forcedPrefix`.
   */
  forcedPrefix?: string;
  /**
   * Report each generated token's log-probability and, when above 0, the `logprobs` most likely
   * tokens at each step (at most MAX_TOP_LOGPROBS). Undefined (default): none are reported.
   */
  logprobs?: number;
  /**
   * Constrains the output to JSON (valid under the schema for `json_schema`). A local engine
   * enforces it while decoding; a remote server is asked for it.
   */
  responseFormat?: ResponseFormat;
  priority: Priority;
  /** Carried into the logs of every process that serves the request. */
  traceId?: string;
}

/** A raw prompt: the full text, special tokens included (FIM or chat-template output). */
export interface GenerationRequest extends GenerationOptions {
  prompt: string;
}

/** Chat messages, rendered with the model's own chat template by whoever holds the model. */
export interface ChatGenerationRequest extends GenerationOptions {
  messages: readonly ChatMessage[];
  /** Functions the model may call; its calls come back as `tool-call` chunks. */
  tools?: readonly ToolDefinition[];
  toolChoice?: ToolChoice;
}

export interface GenerationStats {
  promptTokens: number;
  /** Prompt tokens served from the prefix cache (0 when the backend cannot tell). */
  reusedTokens: number;
  generatedTokens: number;
  timeToFirstTokenMs: number;
  tokensPerSecond: number;
  stopReason: StopReason;
}

/** Totals of an engine since its model loaded, as the engine, the service and its stats report them. */
export interface GenerationTotals {
  requestsCompleted: number;
  requestsCancelled: number;
  requestsFailed: number;
  promptTokensTotal: number;
  reusedTokensTotal: number;
  generatedTokensTotal: number;
}

/** Most alternatives per step a request may ask for (OpenAI's limit for `top_logprobs`). */
export const MAX_TOP_LOGPROBS = 20;

/** A token and its natural-log probability under the model's distribution at that step. */
export interface TokenProbability {
  /** The token's text; a lone byte of a multi-byte character reads as U+FFFD. */
  token: string;
  logprob: number;
}

/** One generated token's probability and the most likely tokens at its step, most likely first. */
export interface TokenLogprob extends TokenProbability {
  top: readonly TokenProbability[];
}

/**
 * Streamed output. A text chunk carries the log-probabilities of the tokens generated since the
 * previous chunk when the request asked for them; its text may then be empty (bytes of a character
 * or a possible stop sequence held back). A `tool-call` chunk is one complete call (its text is not
 * also sent as `text`); the stream then ends with stop reason `tool-calls`.
 */
export type GenerationChunk =
  | { type: 'text'; text: string; logprobs?: readonly TokenLogprob[] }
  | { type: 'tool-call'; call: ToolCall }
  | { type: 'done'; stats: GenerationStats };

/**
 * Error codes a generation can fail with, the same on every hop: typed errors carry them
 * (`AutoGlmError.code`), the RPC carries them in `data.code`, the HTTP API maps them to its own.
 * The named ones are those callers act on; others name a cause for the message only.
 */
export type GenerationErrorCode =
  | 'busy'
  | 'invalid-request'
  | 'empty-prompt'
  | 'prompt-too-long'
  | 'no-chat-template'
  | 'model-load'
  | 'shutting-down'
  | 'internal'
  | (string & {});

/** A failed generation as it crosses a process boundary. */
export interface GenerationErrorData {
  code: GenerationErrorCode;
}

/** Narrows a stop reason from an untyped source (the wire, another server) to the contract's. */
export function isStopReason(value: unknown): value is StopReason {
  return typeof value === 'string' && (STOP_REASONS as readonly string[]).includes(value);
}
