import { indentString, indentWidth, isBlank, leadingWhitespace } from '../text';
import { beforeCursor, type Guard, keep } from './guard';

/**
 * On a blank cursor line, ghost text that starts with whitespace makes Tab indent instead of
 * accepting. The first line is put at the cursor's column (its leading whitespace goes) and the
 * later lines move by the same number of columns, so that the block keeps its shape.
 */
export const rebaseIndentation: Guard = ({ text, prefix, insertSpaces, tabSize }) => {
  const before = beforeCursor(prefix);
  const lines = text.split('\n');
  const first = lines[0]!;
  const lead = leadingWhitespace(first);
  if (!isBlank(before) || lead === '' || isBlank(first)) {
    return keep(text);
  }
  const shift = indentWidth(before + lead, tabSize) - indentWidth(before, tabSize);
  const moved = lines.slice(1).map((line) => {
    if (isBlank(line)) {
      return line;
    }
    const columns = Math.max(0, indentWidth(line, tabSize) - shift);
    return indentString(columns, insertSpaces, tabSize) + line.slice(leadingWhitespace(line).length);
  });
  return { text: [first.slice(lead.length), ...moved].join('\n'), cut: 'leading whitespace re-based on the cursor column' };
};
