import { unmatchedClosers } from '../bracketBalance';
import { isTrivialLine } from '../stopFilters';
import { isBlank } from '../text';
import { afterCursor, beforeCursor, type Guard, type GuardInput, nextNonBlankLine } from './guard';

const compact = (s: string): string => s.replace(/\s+/g, '');
const CLOSER = /[)\]}]/;

/** `if (║) {` + `ready) {`: the end that repeats the rest of the cursor line goes. */
function trimRestOfLine(text: string, suffix: string): string | undefined {
  const rest = afterCursor(suffix).trim();
  const trimmed = text.trimEnd();
  if (rest === '' || !trimmed.endsWith(rest)) {
    return undefined;
  }
  return trimmed.slice(0, trimmed.length - rest.length);
}

/**
 * `return n ║` + ` }` before a line that starts with `}`: closers that close blocks opened above
 * the cursor line, written after code on the completion's last line, duplicate the closers the
 * next line holds. Closers on a line of their own are `balanceAgainstSuffix`'s, which compares
 * indentation; closers of brackets the cursor line opened are the completion's own.
 */
function trimOuterClosers(text: string, prefix: string, suffix: string): string | undefined {
  const next = nextNonBlankLine(suffix);
  if (next === undefined || !isBlank(afterCursor(suffix))) {
    return undefined;
  }
  const before = beforeCursor(prefix);
  const trimmed = text.trimEnd();
  const joined = before + trimmed;
  const outer = new Set(unmatchedClosers(joined).filter((at) => CLOSER.test(joined[at]!)).map((at) => at - before.length));
  let at = trimmed.length;
  while (at > 0 && (outer.has(at - 1) || /\s/.test(trimmed[at - 1]!))) {
    at--;
  }
  const run = trimmed.slice(at);
  const lineStart = trimmed.lastIndexOf('\n', at - 1) + 1;
  const codeBefore = lineStart === 0 ? before + trimmed.slice(0, at) : trimmed.slice(lineStart, at);
  if (compact(run) === '' || run.includes('\n') || isBlank(codeBefore) || !compact(next).startsWith(compact(run))) {
    return undefined;
  }
  return trimmed.slice(0, at).trimEnd();
}

/** The completion stops before a line that is the next line of the document (`stopAtSuffix` never checks the first). */
function trimNextLine(text: string, prefix: string, suffix: string): string | undefined {
  const next = nextNonBlankLine(suffix);
  if (next === undefined || isTrivialLine(next)) {
    return undefined;
  }
  const lines = text.split('\n');
  const from = isBlank(beforeCursor(prefix)) ? 0 : 1;
  const at = lines.findIndex((line, i) => i >= from && line.trim() === next.trim());
  return at < 0 ? undefined : lines.slice(0, at).join('\n').trimEnd();
}

const RULES: readonly [reason: string, rule: (text: string, prefix: string, suffix: string) => string | undefined][] = [
  ['repeats the rest of the cursor line', (text, _prefix, suffix) => trimRestOfLine(text, suffix)],
  ['closes a block the next line closes', trimOuterClosers],
  ['repeats the next line of the document', trimNextLine],
];

/** What the document already has right of the cursor or on the next line is not suggested again. */
export function trimSuffixDuplicate({ text, prefix, suffix }: GuardInput): ReturnType<Guard> {
  const cuts: string[] = [];
  let current = text;
  for (const [reason, rule] of RULES) {
    const trimmed = rule(current, prefix, suffix);
    if (trimmed !== undefined && trimmed !== current) {
      cuts.push(reason);
      current = trimmed;
    }
  }
  if (cuts.length === 0) {
    return { text };
  }
  return isBlank(current) ? { drop: `only a duplicate: ${cuts.join(', ')}` } : { text: current, cut: cuts.join(', ') };
}
