/** Small text helpers shared by the stages; all offsets are UTF-16 code units. */

const IDENTIFIER_CHAR = /[\p{L}\p{N}_$]/u;

export function isIdentifierChar(ch: string | undefined): boolean {
  return ch !== undefined && ch !== '' && IDENTIFIER_CHAR.test(ch);
}

/** Start offset of the line that holds `offset`. */
export function lineStartAt(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Offset of the line break (or end of text) that ends the line holding `offset`; a `\r` before `\n` is excluded. */
export function lineEndAt(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  if (nl < 0) {
    return text.length;
  }
  return nl > 0 && text[nl - 1] === '\r' ? nl - 1 : nl;
}

/** Text of the cursor's line before and after the cursor. */
export function cursorLine(text: string, offset: number): { before: string; after: string } {
  return { before: text.slice(lineStartAt(text, offset), offset), after: text.slice(offset, Math.max(offset, lineEndAt(text, offset))) };
}

export function leadingWhitespace(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? '';
}

/** Indentation width in columns, tabs advancing to the next tab stop. */
export function indentWidth(line: string, tabSize: number): number {
  let col = 0;
  for (const ch of leadingWhitespace(line)) {
    col = ch === '\t' ? col + tabSize - (col % tabSize) : col + 1;
  }
  return col;
}

/** Indentation of `columns` columns in the document's style: spaces, or tabs padded with spaces. */
export function indentString(columns: number, insertSpaces: boolean, tabSize: number): string {
  return insertSpaces ? ' '.repeat(columns) : '\t'.repeat(Math.floor(columns / tabSize)) + ' '.repeat(columns % tabSize);
}

export function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** Splits on `\n` or `\r\n`. */
export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}
