/**
 * Prompt-lookup drafts for speculative decoding without a second model: code often repeats
 * what is already nearby, so the tokens that followed the most recent earlier occurrence of the
 * sequence's last n tokens are a cheap guess of what comes next.
 */
export interface PromptLookupOptions {
  /** Most draft tokens per verify step; default 4. */
  maxDraft: number;
  /** Longest suffix (in tokens) looked up first; shorter ones down to 2 are tried after; default 3. */
  ngram: number;
}

export const DEFAULT_PROMPT_LOOKUP: PromptLookupOptions = { maxDraft: 4, ngram: 3 };

/** Shortest suffix worth matching: a single token repeats too often to predict anything. */
const MIN_NGRAM = 2;

/**
 * Up to `limit` tokens that followed the latest earlier occurrence of the last n tokens of
 * `tokens` (n from `ngram` down to 2); empty when nothing matches.
 */
export function findDraft(tokens: readonly number[], ngram: number, limit: number): number[] {
  if (limit <= 0) {
    return [];
  }
  for (let n = Math.min(ngram, tokens.length - 1); n >= MIN_NGRAM; n--) {
    const start = latestMatch(tokens, n);
    if (start >= 0) {
      return tokens.slice(start + n, Math.min(tokens.length, start + n + limit)) as number[];
    }
  }
  return [];
}

/** Start of the latest occurrence of the last `n` tokens that ends before the end, or -1. */
function latestMatch(tokens: readonly number[], n: number): number {
  const tail = tokens.length - n;
  for (let start = tail - 1; start >= 0; start--) {
    let k = 0;
    while (k < n && tokens[start + k] === tokens[tail + k]) k++;
    if (k === n) {
      return start;
    }
  }
  return -1;
}
