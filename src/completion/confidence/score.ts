import type { TokenTrail, TrailToken } from './tokenTrail';

/**
 * How sure the model was of a suggestion, in [0, 1], from the tokens of its first line with
 * something on it (what a user reads and accepts with one Tab).
 * `mean`: the geometric mean of their probabilities; `min`: the least likely one; `first`: the
 * first generated token's; `line`: the whole line's (their product).
 */
export type ConfidenceMeasure = 'mean' | 'min' | 'first' | 'line';

export const CONFIDENCE_MEASURES: readonly ConfidenceMeasure[] = ['mean', 'min', 'first', 'line'];

/** End offset of the first line with something on it in `raw`, or -1 when every line is blank. */
function firstContentLineEnd(raw: string): number {
  let start = 0;
  for (;;) {
    const nl = raw.indexOf('\n', start);
    const end = nl < 0 ? raw.length : nl;
    if (raw.slice(start, end).trim() !== '') return end;
    if (nl < 0) return -1;
    start = nl + 1;
  }
}

/**
 * Where the shown text's first line ends in the raw output. Postprocessing re-indents and the
 * guards may cut the line's end, so the shown line's content is looked up in the raw text.
 */
export function shownFirstLineEnd(raw: string, shown: string): number {
  const rawEnd = firstContentLineEnd(raw);
  const shownEnd = firstContentLineEnd(shown);
  if (rawEnd < 0 || shownEnd < 0) return rawEnd;
  const content = shown.slice(0, shownEnd).trim();
  const found = raw.indexOf(content);
  return found < 0 || found > rawEnd ? rawEnd : Math.min(rawEnd, found + content.length);
}

export function scoreTokens(tokens: readonly TrailToken[], measure: ConfidenceMeasure): number | undefined {
  if (tokens.length === 0) return undefined;
  const sum = tokens.reduce((total, t) => total + t.logprob, 0);
  switch (measure) {
    case 'min':
      return Math.exp(Math.min(...tokens.map((t) => t.logprob)));
    case 'first':
      return Math.exp(tokens[0]!.logprob);
    case 'line':
      return Math.exp(sum);
    case 'mean':
      return Math.exp(sum / tokens.length);
    default: {
      const never: never = measure;
      throw new Error(`unknown confidence measure ${String(never)}`);
    }
  }
}

/** The confidence of `shown`, made from the generation recorded in `trail`; undefined when the backend gave no log-probabilities. */
export function confidenceOf(trail: TokenTrail, shown: string, measure: ConfidenceMeasure = 'mean'): number | undefined {
  const end = shownFirstLineEnd(trail.raw, shown);
  return end < 0 ? undefined : scoreTokens(trail.before(end), measure);
}
