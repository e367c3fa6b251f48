const OPENERS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS = new Set([')', ']', '}']);
const QUOTES = new Set(['"', "'", '`']);
const STRIPPABLE = /^[\s)\]}"'`;,]*$/;

/**
 * Positions in `text` of closers that close nothing opened in `text` itself (they close
 * brackets of the prefix), and of a quote left open at the end (it closes a prefix string).
 */
export function unmatchedClosers(text: string): number[] {
  const stack: string[] = [];
  const found: number[] = [];
  let quote: { ch: string; at: number } | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote !== undefined) {
      if (ch === '\\') {
        i++;
      } else if (ch === quote.ch || (ch === '\n' && quote.ch !== '`')) {
        quote = undefined;
      }
      continue;
    }
    if (QUOTES.has(ch)) {
      quote = { ch, at: i };
    } else if (OPENERS[ch] !== undefined) {
      stack.push(OPENERS[ch]);
    } else if (CLOSERS.has(ch)) {
      if (stack.length > 0 && stack[stack.length - 1] === ch) {
        stack.pop();
      } else {
        found.push(i);
      }
    }
  }
  if (quote !== undefined && text.indexOf('\n', quote.at) < 0) {
    found.push(quote.at);
  }
  return found.sort((a, b) => a - b);
}

/**
 * Drops the closing part of a completion that the suffix already holds, so that accepting it
 * does not leave `))` or a doubled `}`. Only closers the completion did not open itself (and a
 * trailing `;`/`,`) are candidates. When the suffix continues on the cursor's line, the tail must
 * be what that line starts with; otherwise it must equal the next non-blank line, indentation
 * included, so that a method's `}` is not taken for its class's.
 */
export function balanceAgainstSuffix(completion: string, suffix: string): string {
  const trimmed = completion.trimEnd();
  const candidates = unmatchedClosers(trimmed);
  const trailingPunctuation = /[;,]+$/.exec(trimmed);
  if (trailingPunctuation !== null) {
    candidates.push(trailingPunctuation.index);
  }
  const nl = suffix.indexOf('\n');
  const restOfLine = nl < 0 ? suffix : suffix.slice(0, nl);
  const compact = (s: string): string => s.replace(/\s+/g, '');
  for (const at of [...new Set(candidates)].sort((a, b) => a - b)) {
    const tail = trimmed.slice(at);
    if (!STRIPPABLE.test(tail)) {
      continue;
    }
    if (restOfLine.trim() !== '') {
      if (compact(restOfLine).startsWith(compact(tail))) {
        return trimmed.slice(0, at).trimEnd();
      }
      continue;
    }
    const lineStart = trimmed.lastIndexOf('\n', at - 1) + 1;
    if (trimmed.slice(lineStart, at).trim() !== '' || tail.includes('\n')) {
      continue;
    }
    const next = suffix.split(/\r?\n/).slice(1).find((l) => l.trim() !== '');
    if (next !== undefined && trimmed.slice(lineStart).trimEnd() === next.trimEnd()) {
      return trimmed.slice(0, lineStart).trimEnd();
    }
  }
  return completion;
}
