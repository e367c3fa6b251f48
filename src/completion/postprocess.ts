import { balanceAgainstSuffix } from './bracketBalance';
import { leadingWhitespace } from './text';

export interface PostprocessOptions {
  /** Text after the cursor in the document. */
  suffix: string;
  eol: '\n' | '\r\n';
  insertSpaces: boolean;
  tabSize: number;
}

/** Trailing whitespace of each line and trailing blank lines go; they only add noise to accept. */
export function trimLines(lines: readonly string[]): string[] {
  const out = lines.map((l) => l.trimEnd());
  while (out.length > 0 && out[out.length - 1] === '') {
    out.pop();
  }
  return out;
}

/**
 * Re-indents lines after the first with the document's style, so that a model that writes
 * spaces does not leave them in a tab-indented file (and the other way round).
 */
export function matchIndentation(lines: readonly string[], insertSpaces: boolean, tabSize: number): string[] {
  return lines.map((line, i) => {
    if (i === 0) {
      return line;
    }
    const indent = leadingWhitespace(line);
    if (indent === '') {
      return line;
    }
    let columns = 0;
    for (const ch of indent) {
      columns = ch === '\t' ? columns + tabSize - (columns % tabSize) : columns + 1;
    }
    const fresh = insertSpaces ? ' '.repeat(columns) : '\t'.repeat(Math.floor(columns / tabSize)) + ' '.repeat(columns % tabSize);
    return fresh + line.slice(indent.length);
  });
}

/**
 * Lines from the stream filters -> the text to insert: trimmed, re-indented, balanced against the
 * suffix and joined with the document's line break; undefined when nothing worth showing is left.
 */
export function postprocess(lines: readonly string[], options: PostprocessOptions): string | undefined {
  const trimmed = trimLines(lines);
  const indented = matchIndentation(trimmed, options.insertSpaces, options.tabSize);
  const balanced = balanceAgainstSuffix(indented.join('\n'), options.suffix);
  if (balanced.trim() === '') {
    return undefined;
  }
  return options.eol === '\n' ? balanced : balanced.replace(/\n/g, options.eol);
}
