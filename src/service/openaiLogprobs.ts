/**
 * Log-probabilities in the OpenAI API's two shapes: `/v1/completions` asks with `logprobs: n`
 * and answers `{tokens, token_logprobs, top_logprobs, text_offset}`; `/v1/chat/completions` asks
 * with `logprobs: true` and `top_logprobs: n` and answers `{content: [{token, logprob, bytes,
 * top_logprobs}]}`. The engine's records (the generation contract's TokenLogprob) become either.
 */
import { MAX_TOP_LOGPROBS, type TokenLogprob } from '../protocol/generation';

type Body = Record<string, unknown>;

/** A parse failure naming the field, turned into the API's 400 by the caller. */
export class LogprobsParamError extends Error {
  constructor(
    message: string,
    readonly param: string,
  ) {
    super(message);
  }
}

function topCount(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_TOP_LOGPROBS) {
    throw new LogprobsParamError(`'${name}' must be an integer between 0 and ${MAX_TOP_LOGPROBS}`, name);
  }
  return value;
}

/** `/v1/completions`: `logprobs` is the number of alternatives per token; absent or null asks for none. */
export function completionLogprobsParam(body: Body): number | undefined {
  const value = body['logprobs'];
  return value === undefined || value === null ? undefined : topCount(value, 'logprobs');
}

/** `/v1/chat/completions`: `logprobs: true` turns them on, `top_logprobs` (which needs it) adds alternatives. */
export function chatLogprobsParam(body: Body): number | undefined {
  const on = body['logprobs'];
  const top = body['top_logprobs'];
  if (on !== undefined && on !== null && typeof on !== 'boolean') {
    throw new LogprobsParamError("'logprobs' must be a boolean", 'logprobs');
  }
  if (top !== undefined && top !== null && on !== true) {
    throw new LogprobsParamError("'top_logprobs' needs 'logprobs': true", 'top_logprobs');
  }
  if (on !== true) {
    return undefined;
  }
  return top === undefined || top === null ? 0 : topCount(top, 'top_logprobs');
}

/** The legacy completions shape; `offset` is where the first token's text starts in the whole answer. */
export function completionLogprobs(records: readonly TokenLogprob[], offset: number): unknown {
  const text_offset: number[] = [];
  let at = offset;
  for (const r of records) {
    text_offset.push(at);
    at += r.token.length;
  }
  return {
    tokens: records.map((r) => r.token),
    token_logprobs: records.map((r) => r.logprob),
    top_logprobs: records.map((r) => Object.fromEntries(r.top.map((t) => [t.token, t.logprob]))),
    text_offset,
  };
}

const bytesOf = (token: string): number[] => [...new TextEncoder().encode(token)];

/** The chat completions shape. */
export function chatLogprobs(records: readonly TokenLogprob[]): unknown {
  return {
    content: records.map((r) => ({ token: r.token, logprob: r.logprob, bytes: bytesOf(r.token), top_logprobs: r.top.map((t) => ({ token: t.token, logprob: t.logprob, bytes: bytesOf(t.token) })) })),
    refusal: null,
  };
}
