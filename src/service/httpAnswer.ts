/**
 * Answers one generation request of the HTTP API: runs it on the engine host under a time limit,
 * cancels it when the client goes away, and sends the text as one JSON answer or as SSE chunks.
 */
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import type { Logger } from '../common/logger';
import type { ChatEvent, GenerateStats } from '../engine';
import type { EngineHost, HostRequest } from './engineHost';
import { endSse, sendJson, sse, startSse } from './httpIo';
import type { TokenLogprob, ToolCall } from '../protocol/generation';
import { ApiError, finishReason, toApiError, type FinishReason, type SamplingParams } from './openai';
import { chatLogprobs, completionLogprobs } from './openaiLogprobs';

export type GenerationApi = 'completions' | 'chat';

export interface AnswerContext {
  readonly host: EngineHost;
  readonly log: Logger;
  /** Longest a generation may run, in ms. */
  readonly timeoutMs: number;
  /** Log the completion text (off by default). */
  readonly logPrompts: boolean;
}

/** What every chunk of one answer repeats. */
interface AnswerHead {
  readonly api: GenerationApi;
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

function answerHead(api: GenerationApi, model: string): AnswerHead {
  return { api, id: `${api === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomBytes(12).toString('hex')}`, created: Math.floor(Date.now() / 1000), model };
}

function usageOf(stats: GenerateStats): Usage {
  return { prompt_tokens: stats.promptTokens, completion_tokens: stats.generatedTokens, total_tokens: stats.promptTokens + stats.generatedTokens };
}

function chunkObject(head: AnswerHead): 'chat.completion.chunk' | 'text_completion' {
  return head.api === 'chat' ? 'chat.completion.chunk' : 'text_completion';
}

/** Text and the log-probabilities of its tokens (when the request asked for them), at `offset` in the whole answer. */
interface Piece {
  text: string;
  logprobs: readonly TokenLogprob[] | undefined;
  offset: number;
}

function logprobsOf(head: AnswerHead, piece: Piece | undefined): unknown {
  if (piece?.logprobs === undefined) return null;
  return head.api === 'chat' ? chatLogprobs(piece.logprobs) : completionLogprobs(piece.logprobs, piece.offset);
}

/** A streamed piece of text (or, with `piece` undefined, the end with its finish reason). */
function deltaChunk(head: AnswerHead, piece: Piece | undefined, finish: FinishReason | null): unknown {
  const { id, created, model } = head;
  const logprobs = logprobsOf(head, piece);
  return head.api === 'chat'
    ? { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: piece === undefined ? {} : { content: piece.text }, logprobs, finish_reason: finish }] }
    : { id, object: 'text_completion', created, model, choices: [{ index: 0, text: piece?.text ?? '', logprobs, finish_reason: finish }] };
}

/** A call in OpenAI's shape; `index` numbers the calls of a streamed answer. */
function openAiCall(call: ToolCall, index?: number): Record<string, unknown> {
  return { ...(index !== undefined ? { index } : {}), id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

/** The assistant's message: with calls, `content` is null unless it also said something, as OpenAI answers. */
function assistantMessage(text: string, calls: readonly ToolCall[]): Record<string, unknown> {
  if (calls.length === 0) return { role: 'assistant', content: text };
  return { role: 'assistant', content: text === '' ? null : text, tool_calls: calls.map((c) => openAiCall(c)) };
}

function wholeAnswer(head: AnswerHead, whole: Piece, calls: readonly ToolCall[], finish: FinishReason, usage: Usage): unknown {
  const { id, created, model } = head;
  const logprobs = logprobsOf(head, whole);
  return head.api === 'chat'
    ? { id, object: 'chat.completion', created, model, choices: [{ index: 0, message: assistantMessage(whole.text, calls), logprobs, finish_reason: finish }], usage }
    : { id, object: 'text_completion', created, model, choices: [{ index: 0, text: whole.text, logprobs, finish_reason: finish }], usage };
}

/** An answer sent as server-sent events; the status goes out with the first event of the generation. */
class SseAnswer {
  private opened = false;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly head: AnswerHead,
  ) {}

  open(): void {
    if (this.opened) {
      return;
    }
    this.opened = true;
    startSse(this.res);
    if (this.head.api === 'chat') {
      const { id, created, model } = this.head;
      sse(this.res, { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    }
  }

  text(piece: Piece): void {
    sse(this.res, deltaChunk(this.head, piece, null));
  }

  /** One call, whole, as the first and only fragment of its index. */
  toolCall(call: ToolCall, index: number): void {
    const { id, created, model } = this.head;
    sse(this.res, { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { tool_calls: [openAiCall(call, index)] }, logprobs: null, finish_reason: null }] });
  }

  finish(finish: FinishReason, usage: Usage | undefined): void {
    sse(this.res, deltaChunk(this.head, undefined, finish));
    if (usage) {
      const { id, created, model } = this.head;
      sse(this.res, { id, object: chunkObject(this.head), created, model, choices: [], usage });
    }
    endSse(this.res);
  }
}

/** Aborts the generation when the client goes away or the time limit passes, and tells which it was. */
function generationLimit(res: http.ServerResponse, log: Logger, api: GenerationApi, timeoutMs: number): { signal: AbortSignal; timedOut(): boolean; clear(): void } {
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, timeoutMs);
  res.on('close', () => {
    if (!res.writableFinished) {
      log.debug('client went away; cancelling', { api });
      ctl.abort();
    }
  });
  return { signal: ctl.signal, timedOut: () => timedOut, clear: () => clearTimeout(timer) };
}

/** What a generation's events call back: each event, each piece of text or of log-probabilities, each tool call. */
interface Listener {
  event(): void;
  text(text: string, logprobs: readonly TokenLogprob[] | undefined): void;
  toolCall(call: ToolCall): void;
}

/** Reads the generation's events; the stats, or undefined when it was cancelled. */
async function consume(events: AsyncIterable<ChatEvent>, on: Listener): Promise<GenerateStats | undefined> {
  let stats: GenerateStats | undefined;
  for await (const event of events) {
    on.event();
    if (event.type === 'delta') {
      if (event.text !== '' || event.logprobs !== undefined) {
        on.text(event.text, event.logprobs);
      }
    } else if (event.type === 'tool-call') {
      on.toolCall(event.call);
    } else {
      stats = event.stats;
    }
  }
  return stats;
}

/** Runs `request` and answers it in full or, when `p.stream`, as SSE. Failures are thrown as ApiError. */
export async function answerGeneration(res: http.ServerResponse, ctx: AnswerContext, api: GenerationApi, p: SamplingParams, request: HostRequest): Promise<void> {
  const limit = generationLimit(res, ctx.log, api, ctx.timeoutMs);
  const head = answerHead(api, ctx.host.modelInfo().name);
  const stream = p.stream ? new SseAnswer(res, head) : undefined;
  let text = '';
  const logprobs: TokenLogprob[] | undefined = request.logprobs === undefined ? undefined : [];
  const calls: ToolCall[] = [];
  let stats: GenerateStats | undefined;
  try {
    stats = await consume(ctx.host.generate(api, request, limit.signal, ctx.log), {
      event: () => stream?.open(),
      text: (piece, records) => {
        stream?.text({ text: piece, logprobs: records, offset: text.length });
        text += piece;
        logprobs?.push(...(records ?? []));
      },
      toolCall: (call) => {
        stream?.toolCall(call, calls.length);
        calls.push(call);
      },
    });
  } catch (err) {
    throw toApiError(err, ctx.log);
  } finally {
    limit.clear();
  }
  if (!stats) {
    if (limit.timedOut()) {
      throw new ApiError(504, `The generation did not finish within ${ctx.timeoutMs} ms`, 'server_error', 'timeout');
    }
    // The client left: nothing to answer.
    res.destroy();
    return;
  }
  if (ctx.logPrompts) ctx.log.debug('completion text', { text, toolCalls: calls });
  const usage = usageOf(stats);
  const finish = finishReason(stats.stopReason);
  if (stream) {
    stream.finish(finish, p.includeUsage ? usage : undefined);
    return;
  }
  sendJson(res, 200, wholeAnswer(head, { text, logprobs, offset: 0 }, calls, finish, usage));
}
