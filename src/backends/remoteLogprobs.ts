/**
 * Log-probabilities from an OpenAI-compatible server, asked for and read back in the API's two
 * shapes (legacy completions: `logprobs: n` -> `{tokens, token_logprobs, top_logprobs}`; chat:
 * `logprobs: true, top_logprobs: n` -> `{content: [{token, logprob, top_logprobs}]}`) and turned
 * into the generation contract's records. What a server sends is checked field by field: a
 * malformed entry is left out, never trusted.
 */
import type { TokenLogprob, TokenProbability } from '../protocol/generation';

export type LogprobsEndpoint = 'completions' | 'chat/completions';

/** The request fields that ask for `top` alternatives per token. */
export function logprobsRequest(endpoint: LogprobsEndpoint, top: number | undefined): Record<string, unknown> {
  if (top === undefined) return {};
  return endpoint === 'chat/completions' ? { logprobs: true, ...(top > 0 ? { top_logprobs: top } : {}) } : { logprobs: top };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function probability(token: unknown, logprob: unknown): TokenProbability | undefined {
  return typeof token === 'string' && isNumber(logprob) ? { token, logprob } : undefined;
}

const defined = <T>(v: T | undefined): v is T => v !== undefined;

function chatRecords(value: { content?: unknown }): TokenLogprob[] {
  if (!Array.isArray(value.content)) return [];
  return value.content.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const e = entry as { token?: unknown; logprob?: unknown; top_logprobs?: unknown };
    const own = probability(e.token, e.logprob);
    if (own === undefined) return [];
    const top = Array.isArray(e.top_logprobs) ? e.top_logprobs.map((t: { token?: unknown; logprob?: unknown } | null) => probability(t?.token, t?.logprob)).filter(defined) : [];
    return [{ ...own, top }];
  });
}

function completionRecords(value: { tokens?: unknown; token_logprobs?: unknown; top_logprobs?: unknown }): TokenLogprob[] {
  const { tokens, token_logprobs: logprobs, top_logprobs: tops } = value;
  if (!Array.isArray(tokens) || !Array.isArray(logprobs)) return [];
  return tokens.flatMap((token: unknown, i) => {
    const own = probability(token, logprobs[i]);
    if (own === undefined) return [];
    const alternatives: unknown = Array.isArray(tops) ? tops[i] : undefined;
    const top = typeof alternatives === 'object' && alternatives !== null ? Object.entries(alternatives).map(([t, lp]) => probability(t, lp)).filter(defined).sort((a, b) => b.logprob - a.logprob) : [];
    return [{ ...own, top }];
  });
}

/** The records of one streamed choice's `logprobs`, or undefined when it has none. */
export function readLogprobs(endpoint: LogprobsEndpoint, value: unknown): TokenLogprob[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return endpoint === 'chat/completions' ? chatRecords(value) : completionRecords(value);
}
