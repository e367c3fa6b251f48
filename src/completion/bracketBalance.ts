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

/** What the bracket scan must skip: comments and string literals of the document's language. */
export interface CodeSyntax {
  lineComment?: string;
  blockComment?: readonly [open: string, close: string];
  /** Quote characters; all but the backtick end at the line break. */
  quotes: readonly string[];
}

type ScanMode = { kind: 'code' } | { kind: 'quote'; ch: string; part: number } | { kind: 'line-comment' } | { kind: 'block-comment' };

/**
 * Unmatched brackets when `parts` are read as one text: closers that close nothing or the wrong
 * kind, plus openers left open. Openers and a string that part `ownPart` leaves open count as
 * closed at its end: unfinished code in a completion is for the user to go on with, not a broken
 * structure (and an apostrophe in JSX text must not hide the suffix's brackets).
 */
export function bracketDebt(parts: readonly string[], syntax: CodeSyntax, ownPart = -1): number {
  const stack: { closer: string; part: number }[] = [];
  let unmatched = 0;
  let mode: ScanMode = { kind: 'code' };
  parts.forEach((text, part) => {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (mode.kind === 'quote') {
        if (ch === '\\') {
          i++;
        } else if (ch === mode.ch || (ch === '\n' && mode.ch !== '`')) {
          mode = { kind: 'code' };
        }
      } else if (mode.kind === 'line-comment') {
        mode = ch === '\n' ? { kind: 'code' } : mode;
      } else if (mode.kind === 'block-comment') {
        if (text.startsWith(syntax.blockComment![1], i)) {
          i += syntax.blockComment![1].length - 1;
          mode = { kind: 'code' };
        }
      } else if (syntax.lineComment !== undefined && text.startsWith(syntax.lineComment, i)) {
        mode = { kind: 'line-comment' };
      } else if (syntax.blockComment !== undefined && text.startsWith(syntax.blockComment[0], i)) {
        i += syntax.blockComment[0].length - 1;
        mode = { kind: 'block-comment' };
      } else if (syntax.quotes.includes(ch)) {
        mode = { kind: 'quote', ch, part };
      } else if (OPENERS[ch] !== undefined) {
        stack.push({ closer: OPENERS[ch], part });
      } else if (CLOSERS.has(ch)) {
        if (stack.length > 0 && stack[stack.length - 1]!.closer === ch) {
          stack.pop();
        } else {
          unmatched++;
        }
      }
    }
    while (part === ownPart && stack.length > 0 && stack[stack.length - 1]!.part === part) {
      stack.pop();
    }
    if (part === ownPart && mode.kind === 'quote' && mode.part === part) {
      mode = { kind: 'code' };
    }
  });
  return unmatched + stack.length;
}
