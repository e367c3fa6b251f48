import { commentSyntax } from './commentSyntax';
import { cursorLine, isBlank } from './text';

/** How much a completion may span: the rest of the cursor's line, or a block of lines. */
export type LineMode = 'single' | 'multi';

export type LineModeReason = 'comment' | 'mid-line' | 'empty-line' | 'block-opener' | 'line-end';

/** What may follow the cursor on its line and still count as "end of line": closers and separators. */
const TRAILING_CLOSERS = /^[\s)\]}>;,'"`]*$/;

/** Line endings that open a block whose body the user is about to write. */
const BLOCK_OPENER = /(?:[{([:]|=>|->|\bdo|\bthen|\bbegin)$/;

/** How far back an unclosed block comment is looked for, in characters. */
const BLOCK_COMMENT_LOOKBACK = 8_000;

/** True when the cursor is inside a line comment or an unclosed block comment. */
export function isInComment(text: string, offset: number, languageId: string): boolean {
  const syntax = commentSyntax(languageId);
  const { before } = cursorLine(text, offset);
  if (syntax.line !== undefined && lineCommentStart(before, syntax.line) >= 0) {
    return true;
  }
  if (syntax.block !== undefined) {
    const window = text.slice(Math.max(0, offset - BLOCK_COMMENT_LOOKBACK), offset);
    const open = window.lastIndexOf(syntax.block[0]);
    return open >= 0 && window.indexOf(syntax.block[1], open + syntax.block[0].length) < 0 && lineCommentStart(window.slice(lineStart(window, open), open), syntax.line ?? '') < 0 && !insideString(window.slice(lineStart(window, open), open));
  }
  return false;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Index of a line-comment marker outside string literals, or -1. */
function lineCommentStart(line: string, marker: string): number {
  if (marker === '') {
    return -1;
  }
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote !== undefined) {
      if (ch === '\\') {
        i++;
      } else if (ch === quote) {
        quote = undefined;
      }
    } else if (ch === '"' || ch === "'" || ch === '`') {
      quote = ch;
    } else if (line.startsWith(marker, i)) {
      return i;
    }
  }
  return -1;
}

function insideString(line: string): boolean {
  return lineCommentStart(`${line}\u0000`, '\u0000') < 0;
}

/**
 * One line when the cursor is mid-line or in a comment; several lines on an empty line or after
 * a block opener. At the end of any other line only that line is finished: the user is still
 * writing a statement, and a guess at the lines after it is more often wrong than useful.
 */
export function chooseLineMode(text: string, offset: number, languageId: string): { mode: LineMode; reason: LineModeReason } {
  if (isInComment(text, offset, languageId)) {
    return { mode: 'single', reason: 'comment' };
  }
  const { before, after } = cursorLine(text, offset);
  if (!TRAILING_CLOSERS.test(after)) {
    return { mode: 'single', reason: 'mid-line' };
  }
  if (isBlank(before)) {
    return { mode: 'multi', reason: 'empty-line' };
  }
  if (BLOCK_OPENER.test(before.trimEnd())) {
    return { mode: 'multi', reason: 'block-opener' };
  }
  return { mode: 'single', reason: 'line-end' };
}
