import type { TokenTrail } from './tokenTrail';

/** Fewer non-blank characters than this are not worth showing on their own. */
const MIN_PREFIX_CHARS = 3;

/**
 * The part of a suggestion's first line the model is sure enough of: the line's tokens are taken
 * while the product of their probabilities stays at or above `threshold`, and the text is cut
 * there, backed off to the end of a word, so that a long line whose ending the model guesses
 * still offers the beginning it knows, instead of nothing. Undefined when too little is left, or
 * when the shown text cannot be matched to the generation's tokens.
 */
export function confidentPrefix(trail: TokenTrail, shown: string, threshold: number): string | undefined {
  const line = firstContentLine(shown);
  if (line === undefined || threshold <= 0) return undefined;
  const content = line.text.trim();
  const rawStart = trail.raw.indexOf(content);
  if (rawStart < 0) return undefined;
  const rawEnd = rawStart + content.length;
  // The same tokens the line's confidence is made of: every one before the line's end.
  let logSum = 0;
  let cutRaw = rawEnd;
  for (const token of trail.before(rawEnd)) {
    logSum += token.logprob;
    if (Math.exp(logSum) < threshold) {
      cutRaw = token.at;
      break;
    }
  }
  if (cutRaw <= rawStart) return undefined;
  const cut = backToWordEnd(shown, line.contentStart + (cutRaw - rawStart));
  const prefix = shown.slice(0, cut).trimEnd();
  return prefix.slice(line.contentStart).replace(/\s/g, '').length >= MIN_PREFIX_CHARS ? prefix : undefined;
}

/** The shown text's first line with something on it, and where its content starts in `shown`. */
function firstContentLine(shown: string): { text: string; contentStart: number } | undefined {
  let start = 0;
  for (;;) {
    const nl = shown.indexOf('\n', start);
    const end = nl < 0 ? shown.length : nl;
    const line = shown.slice(start, end);
    if (line.trim() !== '') return { text: line, contentStart: start + (line.length - line.trimStart().length) };
    if (nl < 0) return undefined;
    start = nl + 1;
  }
}

/** `at`, or the nearest earlier offset that does not split a word. */
function backToWordEnd(text: string, at: number): number {
  let cut = at;
  while (cut > 0 && cut < text.length && /[\p{L}\p{N}_$]/u.test(text[cut - 1]!) && /[\p{L}\p{N}_$]/u.test(text[cut]!)) cut--;
  return cut;
}
