import { type Logger, silentLogger } from '../common/logger';
import { type GuardSelection, runGuards } from './guards';
import { indentString, leadingWhitespace } from './text';

export interface PostprocessOptions {
  /** Text after the cursor in the document (its head is enough). */
  suffix: string;
  /** Text before the cursor in the document (its tail is enough). Default: ''. */
  prefix?: string;
  /** Picks the comment and string syntax the bracket guard skips. Default: none known. */
  languageId?: string;
  eol: '\n' | '\r\n';
  insertSpaces: boolean;
  tabSize: number;
  /** Guards to run (see `GUARDS`). Default: 'all'. */
  guards?: GuardSelection;
  /** Where the guards say why they cut or dropped, at debug. Default: silent. */
  logger?: Logger;
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
    return indentString(columns, insertSpaces, tabSize) + line.slice(indent.length);
  });
}

const lf = (text: string): string => text.replace(/\r\n/g, '\n');

/**
 * Lines from the stream filters -> the text to insert: trimmed, re-indented, through the guards
 * (which balance it against the suffix among other things) and joined with the document's line
 * break; undefined when nothing worth showing is left.
 */
export function postprocess(lines: readonly string[], options: PostprocessOptions): string | undefined {
  const trimmed = trimLines(lines);
  const indented = matchIndentation(trimmed, options.insertSpaces, options.tabSize);
  const guarded = runGuards(
    { text: indented.join('\n'), prefix: lf(options.prefix ?? ''), suffix: lf(options.suffix), languageId: options.languageId ?? '', insertSpaces: options.insertSpaces, tabSize: options.tabSize },
    options.guards ?? 'all',
    options.logger ?? silentLogger,
  );
  if (guarded === undefined || guarded.trim() === '') {
    return undefined;
  }
  return options.eol === '\n' ? guarded : guarded.replace(/\n/g, options.eol);
}
