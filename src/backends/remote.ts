/**
 * A remote OpenAI-compatible server as a Backend (vLLM, Ollama, LM Studio, llama.cpp's server,
 * another Open AutoGLM): streamed `/completions` and `/chat/completions`, timeouts, retries with
 * backoff only before the first byte (nothing has been shown yet, so a retry cannot duplicate
 * text), cancellation, and errors that say what went wrong.
 */
import { delay } from '../common/async';
import { BackendError, errorMessage, isAbortError } from '../common/errors';
import type { Logger } from '../common/logger';
import { estimateTokens } from '../common/tokens';
import { isStopReason, type ChatGenerationRequest, type GenerationChunk, type GenerationOptions, type GenerationRequest, type GenerationStats, type StopReason } from '../protocol/generation';
import { logprobsRequest, readLogprobs } from './remoteLogprobs';
import { openAiMessages, responseFormatRequest, ToolCallAssembler, toolsRequest } from './remoteTools';
import type { Backend, BackendInfo } from './backend';

export interface RemoteBackendOptions {
  /** The API root, e.g. `http://gpu-box:8000/v1` (requests go to `<baseUrl>/completions`). */
  baseUrl: string;
  /** Bearer token; the host reads it from SecretStorage. Empty or undefined: no Authorization header. */
  apiKey?: string;
  /** Model id as the server names it. */
  model: string;
  /** FIM template family of that model, when known (e.g. 'qwen2.5-coder'). */
  modelFamily?: string;
  /** Context window in tokens, when known. */
  contextLength?: number;
  /** Longest wait for the response headers of one attempt, in ms; default 30 000. */
  connectTimeoutMs?: number;
  /** Longest silence between two pieces of a stream, in ms; default 60 000. */
  idleTimeoutMs?: number;
  /** Extra attempts after a connection failure, HTTP 429, 502, 503 or 504; default 2. */
  maxRetries?: number;
  /** Wait before the first retry in ms, doubled for each next one; default 500. */
  retryBackoffMs?: number;
  logger: Logger;
  /** Replaces global fetch (tests). */
  fetch?: typeof fetch;
}

type Endpoint = 'completions' | 'chat/completions';

const RETRY_STATUS = new Set([429, 502, 503, 504]);

export class RemoteBackend implements Backend {
  private readonly base: string;
  /** The server answered 400 to a request for log-probabilities: later requests do not ask. */
  private logprobsRefused = false;

  constructor(private readonly options: RemoteBackendOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  info(): BackendInfo {
    return {
      kind: 'remote',
      modelName: this.options.model,
      ...(this.options.modelFamily !== undefined ? { modelFamily: this.options.modelFamily } : {}),
      ...(this.options.contextLength !== undefined ? { contextLength: this.options.contextLength } : {}),
      device: this.base,
      loaded: true,
    };
  }

  generate(request: GenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk> {
    return this.stream('completions', { prompt: request.prompt }, request, signal);
  }

  chat(request: ChatGenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk> {
    return this.stream('chat/completions', { messages: openAiMessages(request.messages), ...toolsRequest(request) }, request, signal);
  }

  /** The OpenAI API has no tokenizer endpoint: the project's one estimate. */
  async countTokens(text: string): Promise<number> {
    return estimateTokens(text);
  }

  /** The server's tokenizer is never at hand. */
  countTokensNow(_text: string): number | undefined {
    return undefined;
  }

  /** Model ids the server offers (`GET <baseUrl>/models`), to check a configuration. */
  async listModels(signal?: AbortSignal): Promise<string[]> {
    const res = await this.send('models', undefined, signal ?? new AbortController().signal, undefined);
    const body = (await res.json()) as { data?: { id?: unknown }[] };
    return (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
  }

  dispose(): void {
    // Nothing is held between requests.
  }

  private async *stream(endpoint: Endpoint, input: Record<string, unknown>, request: GenerationOptions, signal: AbortSignal): AsyncGenerator<GenerationChunk> {
    const body = {
      model: this.options.model,
      ...input,
      max_tokens: request.maxTokens,
      temperature: request.temperature ?? 0,
      ...(request.topP !== undefined ? { top_p: request.topP } : {}),
      ...(request.topK !== undefined && request.topK > 0 ? { top_k: request.topK } : {}),
      ...(request.repetitionPenalty !== undefined && request.repetitionPenalty !== 1 ? { repetition_penalty: request.repetitionPenalty } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(request.stop && request.stop.length > 0 ? { stop: request.stop.slice(0, 4) } : {}),
      ...logprobsRequest(endpoint, this.logprobsRefused ? undefined : request.logprobs),
      ...responseFormatRequest(request.responseFormat),
      stream: true,
      stream_options: { include_usage: true },
    };
    const started = performance.now();
    const log = this.options.logger.child({ ...(request.traceId !== undefined ? { traceId: request.traceId } : {}), component: 'remote' });
    let res: Response;
    try {
      res = await this.sendAskingLogprobs(endpoint, body, signal, request.traceId);
    } catch (err) {
      if (signal.aborted) return;
      throw err;
    }
    const ctl = new AbortController();
    const onAbort = (): void => ctl.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const idleMs = this.options.idleTimeoutMs ?? 60_000;
    let buffer = '';
    let firstTokenMs: number | undefined;
    let pieces = 0;
    let received = 0;
    let finish: string | null = null;
    let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
    const calls = new ToolCallAssembler(this.base);
    let done = false;
    try {
      while (!done) {
        const read = await readWithTimeout(reader, idleMs, ctl.signal);
        if (read === 'aborted') return;
        if (read === 'timeout') {
          throw new BackendError(`${this.base}: no data for ${idleMs} ms in the middle of the answer (${received} characters received)`, 'remote-timeout');
        }
        if (read.done) break;
        buffer += decoder.decode(read.value, { stream: true });
        let cut: RegExpExecArray | null;
        while (!done && (cut = /\r?\n\r?\n/.exec(buffer))) {
          // Events already received are dropped once the caller has aborted.
          if (signal.aborted) return;
          const event = buffer.slice(0, cut.index);
          buffer = buffer.slice(cut.index + cut[0].length);
          const data = event
            .split(/\r?\n/)
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).replace(/^ /, ''))
            .join('\n');
          if (data === '') continue;
          if (data === '[DONE]') {
            done = true;
            break;
          }
          let parsed: SseChunk;
          try {
            parsed = JSON.parse(data) as SseChunk;
          } catch {
            throw new BackendError(`${this.base}: the stream held an event that is not JSON: ${data.slice(0, 120)}`, 'remote-protocol');
          }
          if (parsed.error) {
            throw new BackendError(`${this.base}: the server failed mid-answer: ${parsed.error.message ?? JSON.stringify(parsed.error)}`, 'remote-stream-error');
          }
          if (parsed.usage) usage = parsed.usage;
          const choice = parsed.choices?.[0];
          if (!choice) continue;
          const text = endpoint === 'chat/completions' ? choice.delta?.content : choice.text;
          if (endpoint === 'chat/completions' && choice.delta?.tool_calls !== undefined && choice.delta.tool_calls !== null) {
            firstTokenMs ??= performance.now() - started;
            calls.add(choice.delta.tool_calls);
          }
          const logprobs = request.logprobs === undefined ? undefined : readLogprobs(endpoint, choice.logprobs);
          if (typeof text === 'string' && text !== '') {
            firstTokenMs ??= performance.now() - started;
            pieces++;
            received += text.length;
          }
          if ((typeof text === 'string' && text !== '') || (logprobs !== undefined && logprobs.length > 0)) {
            yield { type: 'text', text: typeof text === 'string' ? text : '', ...(logprobs !== undefined && logprobs.length > 0 ? { logprobs } : {}) };
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
      }
      if (!done) {
        throw new BackendError(`${this.base}: the server closed the stream before the end of the answer (${received} characters received)`, 'remote-stream-ended');
      }
      const toolCalls = calls.calls();
      for (const call of toolCalls) yield { type: 'tool-call', call };
      const totalMs = performance.now() - started;
      const generated = usage?.completion_tokens ?? pieces;
      const stats: GenerationStats = {
        promptTokens: usage?.prompt_tokens ?? 0,
        reusedTokens: 0,
        generatedTokens: generated,
        timeToFirstTokenMs: firstTokenMs ?? totalMs,
        tokensPerSecond: generated > 1 && firstTokenMs !== undefined && totalMs > firstTokenMs ? ((generated - 1) * 1000) / (totalMs - firstTokenMs) : 0,
        stopReason: toolCalls.length > 0 ? 'tool-calls' : stopReasonOf(finish),
      };
      log.debug('remote answer done', { endpoint, generated, toolCalls: toolCalls.length, ms: Math.round(totalMs) });
      yield { type: 'done', stats };
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof BackendError) throw err;
      throw new BackendError(`${this.base}: the connection failed in the middle of the answer (${received} characters received): ${describe(err)}`, 'remote-stream-ended', { cause: err });
    } finally {
      signal.removeEventListener('abort', onAbort);
      reader.cancel().catch(() => undefined);
    }
  }

  /**
   * `send`, and once more without log-probabilities when the server refuses the request for
   * them (a server without them must still complete; the confidence gate then lets its suggestions through).
   */
  private async sendAskingLogprobs(endpoint: Endpoint, body: Record<string, unknown>, signal: AbortSignal, traceId: string | undefined): Promise<Response> {
    try {
      return await this.send(endpoint, body, signal, traceId);
    } catch (err) {
      if (!(err instanceof StatusError) || err.status !== 400 || body['logprobs'] === undefined) throw err;
      this.logprobsRefused = true;
      this.options.logger.info('the server refused log-probabilities; asking without them from now on', { server: this.base, error: err.message });
      const { logprobs: _logprobs, top_logprobs: _top, ...without } = body;
      return this.send(endpoint, without, signal, traceId);
    }
  }

  /** One request with retries before the first byte; resolves with an OK response whose body is unread. */
  private async send(endpoint: string, body: unknown, signal: AbortSignal, traceId: string | undefined): Promise<Response> {
    const url = `${this.base}/${endpoint}`;
    const fetchFn = this.options.fetch ?? fetch;
    const retries = this.options.maxRetries ?? 2;
    const timeoutMs = this.options.connectTimeoutMs ?? 30_000;
    const headers: Record<string, string> = { accept: body === undefined ? 'application/json' : 'text/event-stream' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey) headers['authorization'] = `Bearer ${this.options.apiKey}`;
    if (traceId !== undefined && /^[\da-f]{32}$/.test(traceId)) headers['traceparent'] = `00-${traceId}-${randomSpan()}-01`;
    else if (traceId !== undefined) headers['x-request-id'] = traceId;
    for (let attempt = 0; ; attempt++) {
      const ctl = new AbortController();
      const onAbort = (): void => ctl.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        ctl.abort();
      }, timeoutMs);
      let failure: BackendError;
      try {
        const res = await fetchFn(url, { method: body === undefined ? 'GET' : 'POST', headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: ctl.signal });
        clearTimeout(timer);
        if (res.ok) {
          // The caller's signal keeps cancelling the body read.
          return res;
        }
        signal.removeEventListener('abort', onAbort);
        failure = await statusError(url, this.options.model, res);
        if (!RETRY_STATUS.has(res.status)) throw failure;
      } catch (err) {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) throw err;
        if (err instanceof BackendError) {
          if (!RETRY_STATUS.has(Number((err as { status?: number }).status))) throw err;
          failure = err;
        } else if (timedOut) {
          throw new BackendError(`${url}: no answer within ${timeoutMs} ms`, 'remote-timeout', { cause: err });
        } else if (isAbortError(err)) {
          throw err;
        } else {
          failure = new BackendError(`Cannot reach ${url}: ${describe(err)}`, 'remote-unreachable', { cause: err });
        }
      }
      if (attempt >= retries) throw failure;
      const wait = (this.options.retryBackoffMs ?? 500) * 2 ** attempt;
      this.options.logger.warn('remote request failed; retrying', { url, attempt: attempt + 1, waitMs: wait, reason: failure.message });
      await delay(wait, signal);
    }
  }
}

/**
 * The contract's stop reason for an OpenAI `finish_reason`. 'length' is the token limit and
 * 'tool_calls' a turn that ended in calls. The API does not tell a stop sequence from the
 * model's end of text (both are 'stop'), so 'stop' and every other reason ('content_filter',
 * none at all) count as the server ending the answer by itself: 'stop-token'. A server that
 * already speaks the contract keeps its value.
 */
export function stopReasonOf(finishReason: string | null): StopReason {
  if (finishReason === 'length') {
    return 'max-tokens';
  }
  if (finishReason === 'tool_calls') {
    return 'tool-calls';
  }
  return isStopReason(finishReason) ? finishReason : 'stop-token';
}

interface SseChunk {
  choices?: { text?: string; delta?: { content?: string | null; tool_calls?: unknown }; finish_reason?: string | null; logprobs?: unknown }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  error?: { message?: string };
}

class StatusError extends BackendError {
  constructor(message: string, code: string, readonly status: number) {
    super(message, code);
  }
}

async function statusError(url: string, model: string, res: Response): Promise<BackendError> {
  let detail = '';
  try {
    const text = await res.text();
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
      detail = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message ?? text);
    } catch {
      detail = text;
    }
  } catch {
    // The body is only for the message.
  }
  detail = detail.trim().slice(0, 300);
  const suffix = detail ? `: ${detail}` : '';
  const s = res.status;
  if (s === 401 || s === 403) return new StatusError(`${url} rejected the API key (HTTP ${s})${suffix}`, 'remote-auth', s);
  if (s === 404) return new StatusError(`${url}: not found (HTTP 404); check the base URL and the model id '${model}'${suffix}`, 'remote-not-found', s);
  if (s === 429) return new StatusError(`${url} is busy (HTTP 429)${suffix}`, 'remote-busy', s);
  if (s >= 500) return new StatusError(`${url} failed (HTTP ${s})${suffix}`, 'remote-server', s);
  return new StatusError(`${url} refused the request (HTTP ${s})${suffix}`, 'remote-request', s);
}

/** Reads one piece, or says why not: the caller aborted, or nothing came for `ms`. */
async function readWithTimeout(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number, signal: AbortSignal): Promise<Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>> | 'timeout' | 'aborted'> {
  if (signal.aborted) return 'aborted';
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      reader.read(),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), ms);
      }),
      new Promise<'aborted'>((resolve) => {
        onAbort = () => resolve('aborted');
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? errorMessage(err);
}

function randomSpan(): string {
  return Array.from({ length: 16 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
}
