import { unmatchedClosers } from '../bracketBalance';
import { isBlank } from '../text';
import { afterCursor, type Guard, keep } from './guard';

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
 * completion ends where it closes that bracket itself: the editor's closer closes it instead,
 * and whatever the completion wrote after its own closer has no place before the editor's.
 */
function endAtAutoClosed(text: string, after: string): string {
  const closer = after.trimStart()[0];
  if (closer === undefined || !CLOSER.test(closer) || text.includes('\n')) {
    return text;
  }
  const at = unmatchedClosers(text).find((i) => text[i] === closer);
  // A closer after a comment marker may be inside the comment; the bracket guard reads those properly.
  return at === undefined || /\/[/*]/.test(text.slice(0, at)) ? text : text.slice(0, at).trimEnd();
}

/** A mid-line completion is kept to its line and balanced against the brackets right of the cursor. */
export const keepMidLineToOneLine: Guard = ({ text, suffix }) => {
  const after = afterCursor(suffix);
  if (isBlank(after)) {
    return keep(text);
  }
  const oneLine = firstLineOnly(text);
  const closed = endAtAutoClosed(oneLine, after);
  if (closed === text) {
    return keep(text);
  }
  return { text: closed, cut: oneLine === text ? 'ends at the closer right of the cursor' : 'mid-line completion kept to one line' };
};
