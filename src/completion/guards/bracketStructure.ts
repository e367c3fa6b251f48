import { bracketDebt, type CodeSyntax } from '../bracketBalance';
import { commentSyntax } from '../commentSyntax';
import { type Guard, keep } from './guard';

/** Languages whose brackets are not nested pairs (shell `case` patterns) or are prose. */
const UNPAIRED = new Set(['shellscript', 'makefile', 'markdown', 'plaintext', 'bat']);

/** A line at column 0 that is not a closer starts a top-level construct: the window's edge. */
const TOP_LEVEL = /^[^\s)\]}]/;

/** Comments and quotes of the language, for the bracket scan. */
export function codeSyntax(languageId: string): CodeSyntax {
  const syntax = commentSyntax(languageId);
  // Rust's `'a` lifetimes and JSON's lack of other quotes would open strings that never end.
  const quotes = languageId === 'rust' || languageId === 'json' ? ['"'] : ['"', "'", '`'];
  return { quotes, ...(syntax.line !== undefined ? { lineComment: syntax.line } : {}), ...(syntax.block !== undefined ? { blockComment: syntax.block } : {}) };
}

/** From the last top-level line before the cursor (its own line included): the enclosing construct. */
function windowStart(prefix: string): number {
  let end = prefix.length;
  while (end >= 0) {
    const start = prefix.lastIndexOf('\n', end - 1) + 1;
    if (TOP_LEVEL.test(prefix.slice(start, end + 1))) {
      return start;
    }
    if (start === 0) {
      return 0;
    }
    end = start - 1;
  }
  return 0;
}

/** Up to the next top-level line after the cursor's line. */
function windowEnd(suffix: string): number {
  let at = suffix.indexOf('\n');
  while (at >= 0) {
    if (TOP_LEVEL.test(suffix.slice(at + 1))) {
      return at + 1;
    }
    at = suffix.indexOf('\n', at + 1);
  }
  return suffix.length;
}

/**
 * The last word on brackets: a completion after which the enclosing construct has more
 * unmatched brackets than before (an extra or wrong closer) is dropped, not cut, since where it
 * went wrong is not known.
 */
export const keepBracketStructure: Guard = ({ text, prefix, suffix, languageId }) => {
  if (UNPAIRED.has(languageId)) {
    return keep(text);
  }
  const syntax = codeSyntax(languageId);
  const head = prefix.slice(windowStart(prefix));
  const tail = suffix.slice(0, windowEnd(suffix));
  const before = bracketDebt([head, tail], syntax);
  const after = bracketDebt([head, text, tail], syntax, 1);
  return after > before ? { drop: `unmatched brackets ${before} -> ${after}` } : keep(text);
};
