import { bracketDebt, type CodeSyntax, unmatchedClosers } from '../bracketBalance';
import { isBlank } from '../text';
import { codeSyntax } from './bracketStructure';
import { afterCursor, beforeCursor, type Guard, keep } from './guard';

const CLOSER = /[)\]}]/;

/**
 * With text right of the cursor, a completion that goes on to more lines would push that text
 * below its last line, where it closes nothing: only a completion that breaks the line at the
 * cursor (a block body between `{` and `}`) may span lines.
 */
function firstLineOnly(text: string): string {
  const nl = text.indexOf('\n');
  return nl < 0 || isBlank(text.slice(0, nl)) ? text : text.slice(0, nl);
}

/**
 * When the rest of the line starts with a closer the editor auto-closed (`listFiles(║))`), the
 * completion ends where it closes that bracket itself, if that leaves the cursor line with fewer
 * unmatched brackets: the editor's closer closes it instead. `if (a && (b║)` + `) && c` is kept,
 * since there the editor's `)` closes the outer bracket.
 */
function endAtAutoClosed(text: string, before: string, after: string, syntax: CodeSyntax): string {
  const closer = after.trimStart()[0];
  if (closer === undefined || !CLOSER.test(closer) || text.includes('\n')) {
    return text;
  }
  const at = unmatchedClosers(text).find((i) => text[i] === closer);
  if (at === undefined) {
    return text;
  }
  const cut = text.slice(0, at).trimEnd();
  return bracketDebt([before, cut, after], syntax) < bracketDebt([before, text, after], syntax) ? cut : text;
}

/** A mid-line completion is kept to its line and balanced against the brackets right of the cursor. */
export const keepMidLineToOneLine: Guard = ({ text, prefix, suffix, languageId }) => {
  const after = afterCursor(suffix);
  if (isBlank(after)) {
    return keep(text);
  }
  const oneLine = firstLineOnly(text);
  const closed = endAtAutoClosed(oneLine, beforeCursor(prefix), after, codeSyntax(languageId));
  if (closed === text) {
    return keep(text);
  }
  return { text: closed, cut: oneLine === text ? 'ends at the closer right of the cursor' : 'mid-line completion kept to one line' };
};
