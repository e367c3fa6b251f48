/**
 * The OpenAI-compatible request shapes: validation of `/v1/completions` and
 * `/v1/chat/completions` bodies, their mapping to the engine host's request, and the error shape
 * `{error: {message, type, param, code}}` with the mapping of the service's errors to it.
 */
import { AutoGlmError, BusyError, ModelLoadError, errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import { resolveFimTemplate } from '../completion/fimFamily';
import type { ChatMessage, Priority, ResponseFormat, StopReason, ToolCall, ToolChoice, ToolDefinition } from '../protocol/generation';
import type { ServiceModelInfo } from '../protocol/service';
import { CHAT_LIMITS, checkNamedChoice, checkSchema, checkToolCalls, checkToolDefinition, checkToolList, FieldError, isObject, TOOL_NAME } from './chatChecks';
import type { HostRequest, PromptSource } from './engineHost';
import { chatLogprobsParam, completionLogprobsParam, LogprobsParamError } from './openaiLogprobs';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }

  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const invalid = (message: string, param: string | null = null, code: string | null = null): ApiError => new ApiError(400, message, 'invalid_request_error', code, param);

export interface SamplingParams {
  model: string | undefined;
  maxTokens: number;
  temperature: number;
  topP: number;
  seed: number | undefined;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
  /** Alternatives per token to report with each token's log-probability; undefined: no log-probabilities. */
  logprobs: number | undefined;
}

export interface CompletionParams extends SamplingParams {
  prompt: string;
  suffix: string | undefined;
}

export interface ChatCompletionParams extends SamplingParams {
  messages: ChatMessage[];
  tools: ToolDefinition[] | undefined;
  toolChoice: ToolChoice | undefined;
  responseFormat: ResponseFormat | undefined;
}

type Body = Record<string, unknown>;

function asBody(value: unknown): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('The request body must be a JSON object');
  }
  return value as Body;
}

function optionalNumber(body: Body, name: string, min: number, max: number, integer: boolean): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    throw invalid(`'${name}' must be ${integer ? 'an integer' : 'a number'} between ${min} and ${max}`, name);
  }
  return v;
}

function logprobsOf(body: Body, parse: (body: Body) => number | undefined): number | undefined {
  try {
    return parse(body);
  } catch (err) {
    if (err instanceof LogprobsParamError) throw invalid(err.message, err.param);
    throw err;
  }
}

function sampling(body: Body, defaultMaxTokens: number, logprobs: (body: Body) => number | undefined): SamplingParams {
  const model = body['model'];
  if (model !== undefined && typeof model !== 'string') {
    throw invalid("'model' must be a string", 'model');
  }
  const n = optionalNumber(body, 'n', 1, 1, true);
  void n;
  const stopValue = body['stop'];
  let stop: string[] = [];
  if (typeof stopValue === 'string') {
    stop = [stopValue];
  } else if (Array.isArray(stopValue)) {
    if (stopValue.length > 4 || !stopValue.every((s): s is string => typeof s === 'string')) {
      throw invalid("'stop' must be a string or an array of at most 4 strings", 'stop');
    }
    stop = stopValue;
  } else if (stopValue !== undefined && stopValue !== null) {
    throw invalid("'stop' must be a string or an array of at most 4 strings", 'stop');
  }
  const stream = body['stream'];
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw invalid("'stream' must be a boolean", 'stream');
  }
  const streamOptions = body['stream_options'];
  const includeUsage = typeof streamOptions === 'object' && streamOptions !== null && (streamOptions as Body)['include_usage'] === true;
  const maxTokens = optionalNumber(body, 'max_completion_tokens', 1, 1 << 20, true) ?? optionalNumber(body, 'max_tokens', 1, 1 << 20, true) ?? defaultMaxTokens;
  return {
    model,
    maxTokens,
    temperature: optionalNumber(body, 'temperature', 0, 2, false) ?? 1,
    topP: optionalNumber(body, 'top_p', Number.MIN_VALUE, 1, false) ?? 1,
    seed: optionalNumber(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true),
    stop: stop.filter((s) => s !== ''),
    stream: stream === true,
    includeUsage,
    logprobs: logprobsOf(body, logprobs),
  };
}

/**
 * The fill-in-the-middle prompt in the format of the model's family, told by its name and its
 * config's `model_type`: a client of the API sends only `prompt` and `suffix`.
 */
export function familyFimPrompt(model: Pick<ServiceModelInfo, 'name' | 'modelType'>, prefix: string, suffix: string): string {
  return resolveFimTemplate(model.name, model.modelType, undefined).render(prefix, suffix, { filePath: '', languageId: '', snippets: [] });
}

export function parseCompletion(value: unknown): CompletionParams {
  const body = asBody(value);
  let prompt = body['prompt'];
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') {
    prompt = prompt[0];
  }
  if (typeof prompt !== 'string') {
    throw invalid("'prompt' must be a string (one prompt per request)", 'prompt');
  }
  const suffix = body['suffix'];
  if (suffix !== undefined && suffix !== null && typeof suffix !== 'string') {
    throw invalid("'suffix' must be a string", 'suffix');
  }
  // OpenAI's default for the legacy completions endpoint is 16 tokens.
  return { ...sampling(body, 16, completionLogprobsParam), prompt, suffix: typeof suffix === 'string' ? suffix : undefined };
}

function messageText(role: string, content: unknown, param: string): string {
  if (typeof content === 'string') {
    return content;
  }
  if (Array.isArray(content) && content.every((p) => typeof p === 'object' && p !== null && (p as Body)['type'] === 'text' && typeof (p as Body)['text'] === 'string')) {
    return content.map((p) => (p as Body)['text'] as string).join('');
  }
  if ((content === null || content === undefined) && role === 'assistant') {
    return '';
  }
  throw invalid(`${param}.content must be a string or an array of text parts`, `${param}.content`);
}

/** One of `tool_calls` in OpenAI's shape: `{id, type: 'function', function: {name, arguments}}`. */
function openAiToolCall(value: unknown, param: string): ToolCall {
  if (!isObject(value) || !isObject(value['function'])) throw new FieldError(`${param} must be {id, type: 'function', function: {name, arguments}}`, param);
  const fn = value['function'];
  const id = value['id'];
  if (typeof id !== 'string' || id.length === 0 || id.length > CHAT_LIMITS.idChars) throw new FieldError(`${param}.id must be a string of 1 to ${CHAT_LIMITS.idChars} characters`, `${param}.id`);
  if (typeof fn['name'] !== 'string' || !TOOL_NAME.test(fn['name'])) throw new FieldError(`${param}.function.name must match ${TOOL_NAME.source}`, `${param}.function.name`);
  const args = fn['arguments'] ?? '{}';
  if (typeof args !== 'string' || args.length > CHAT_LIMITS.argumentsChars) throw new FieldError(`${param}.function.arguments must be JSON text of at most ${CHAT_LIMITS.argumentsChars} characters`, `${param}.function.arguments`);
  return { id, name: fn['name'], arguments: args };
}

function parseMessage(m: unknown, i: number): ChatMessage {
  const param = `messages[${i}]`;
  if (typeof m !== 'object' || m === null) {
    throw invalid(`${param} must be an object`, param);
  }
  const { role, content } = m as Body;
  if (typeof role !== 'string' || !['system', 'developer', 'user', 'assistant', 'tool'].includes(role)) {
    throw invalid(`${param}.role must be system, user, assistant or tool`, `${param}.role`);
  }
  const text = messageText(role, content, param);
  if (role === 'tool') {
    const id = (m as Body)['tool_call_id'];
    if (typeof id !== 'string' || id.length === 0 || id.length > CHAT_LIMITS.idChars) throw invalid(`${param}.tool_call_id must name the call this message answers`, `${param}.tool_call_id`);
    return { role, content: text, toolCallId: id };
  }
  const toolCalls = role === 'assistant' ? checkToolCalls((m as Body)['tool_calls'], `${param}.tool_calls`, openAiToolCall) : undefined;
  return { role: role === 'developer' ? 'system' : role, content: text, ...(toolCalls && toolCalls.length > 0 ? { toolCalls } : {}) };
}

/** One of `tools`: `{type: 'function', function: {name, description?, parameters?}}`. */
function openAiTool(value: unknown, param: string): ToolDefinition {
  if (!isObject(value) || value['type'] !== 'function' || !isObject(value['function'])) throw new FieldError(`${param} must be {type: 'function', function: {name, description, parameters}}`, param);
  const fn = value['function'];
  const base = `${param}.function`;
  return checkToolDefinition({ name: fn['name'], description: fn['description'], parameters: fn['parameters'] }, { name: `${base}.name`, description: `${base}.description`, parameters: `${base}.parameters` });
}

/** `tool_choice`: 'auto', 'none', 'required', or `{type: 'function', function: {name}}`. */
function toolChoiceOf(value: unknown, tools: ToolDefinition[] | undefined): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto' || value === 'none') return value;
  if (value === 'required') {
    if (!tools?.length) throw new FieldError("tool_choice 'required' needs at least one tool", 'tool_choice');
    return value;
  }
  if (isObject(value) && value['type'] === 'function' && isObject(value['function'])) return checkNamedChoice(value['function']['name'], tools, 'tool_choice.function.name');
  throw new FieldError("tool_choice must be 'auto', 'none', 'required' or {type: 'function', function: {name}}", 'tool_choice');
}

/** `response_format`: text, json_object, or json_schema with `json_schema: {name, schema}`. */
function responseFormatOf(value: unknown): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new FieldError('response_format must be an object', 'response_format');
  const type = value['type'];
  if (type === 'text' || type === 'json_object') return { type };
  if (type !== 'json_schema') throw new FieldError('response_format.type must be text, json_object or json_schema', 'response_format.type');
  const spec = value['json_schema'];
  if (!isObject(spec)) throw new FieldError('response_format.json_schema must be {name, schema}', 'response_format.json_schema');
  const name = spec['name'];
  if (name !== undefined && (typeof name !== 'string' || !TOOL_NAME.test(name))) throw new FieldError(`response_format.json_schema.name must match ${TOOL_NAME.source}`, 'response_format.json_schema.name');
  const schema = checkSchema(spec['schema'], 'response_format.json_schema.schema');
  return { type, ...(typeof name === 'string' ? { name } : {}), schema };
}

/** Runs a field check; its failure is the client's 400 naming the field. */
function fields<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof FieldError) throw invalid(err.message, err.path);
    throw err;
  }
}

export function parseChatCompletion(value: unknown): ChatCompletionParams {
  const body = asBody(value);
  const raw = body['messages'];
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > CHAT_LIMITS.messages) {
    throw invalid(`'messages' must be a non-empty array of at most ${CHAT_LIMITS.messages} messages`, 'messages');
  }
  const messages = fields(() => raw.map(parseMessage));
  const tools = fields(() => checkToolList(body['tools'], 'tools', openAiTool));
  const toolChoice = fields(() => toolChoiceOf(body['tool_choice'], tools));
  const responseFormat = fields(() => responseFormatOf(body['response_format']));
  // Chat answers need room; 512 keeps an unbounded request from holding a batch slot for long.
  return { ...sampling(body, 512, chatLogprobsParam), messages, tools, toolChoice, responseFormat };
}

/** The chat prompt of a parsed request: its messages, and its tools and choice when it has them. */
export function chatPrompt(p: ChatCompletionParams): PromptSource {
  return { messages: p.messages, ...(p.tools ? { tools: p.tools } : {}), ...(p.toolChoice ? { toolChoice: p.toolChoice } : {}) };
}

/** The one mapping from a request's parsed sampling fields to the engine host's request. */
export function hostRequest(p: SamplingParams & { responseFormat?: ResponseFormat | undefined }, prompt: PromptSource, priority: Priority): HostRequest {
  return {
    prompt,
    priority,
    maxTokens: p.maxTokens,
    temperature: p.temperature,
    topP: p.topP,
    stop: p.stop,
    ...(p.seed !== undefined ? { seed: p.seed } : {}),
    ...(p.logprobs !== undefined ? { logprobs: p.logprobs } : {}),
    ...(p.responseFormat !== undefined && p.responseFormat.type !== 'text' ? { responseFormat: p.responseFormat } : {}),
  };
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

export function finishReason(stopReason: StopReason): FinishReason {
  if (stopReason === 'tool-calls') return 'tool_calls';
  return stopReason === 'max-tokens' || stopReason === 'context-full' ? 'length' : 'stop';
}

/** The OpenAI error for a failed generation; unexpected failures are logged here, once. */
export function toApiError(err: unknown, log: Logger): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof BusyError) return new ApiError(429, `The engine is busy: ${err.message}`, 'rate_limit_error', 'server_busy');
  if (err instanceof ModelLoadError) {
    log.error('model unavailable', { error: err });
    return new ApiError(503, `The model could not be loaded: ${err.message}`, 'server_error', 'model_unavailable');
  }
  if (err instanceof AutoGlmError) {
    if (err.code === 'prompt-too-long') return invalid(err.message, 'prompt', 'context_length_exceeded');
    if (err.code === 'invalid-request' || err.code === 'empty-prompt' || err.code === 'no-chat-template') return invalid(err.message, null, err.code);
    if (err.code === 'shutting-down') return new ApiError(503, err.message, 'server_error', 'shutting_down');
  }
  log.error('generation failed', { error: err });
  return new ApiError(500, `Generation failed: ${errorMessage(err)}`, 'server_error', 'internal_error');
}
