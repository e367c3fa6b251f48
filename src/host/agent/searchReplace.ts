/**
 * propose_edits' edits as plain data, and how one applies to a file's text: a search/replace
 * whose `old_text` must occur exactly once, or the whole new content of the file.
 */
import { ToolInputError } from '../../agent/types';

export interface TextEdit {
  readonly path: string;
  /** Undefined: `newText` is the whole content of the file (which may not exist yet). */
  readonly oldText: string | undefined;
  readonly newText: string;
}

function occurrences(text: string, part: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(part); at !== -1; at = text.indexOf(part, at + part.length)) {
    found.push(at);
  }
  return found;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
  }
  return line;
}

/**
 * The text after `edit`, or a ToolInputError naming the file and why the edit does not fit. A
 * model usually writes `\n`: in a file with `\r\n` line ends the edit is matched and written with
 * the file's own.
 */
export function applyTextEdit(current: string | undefined, edit: TextEdit): string {
  if (edit.oldText === undefined) {
    return edit.newText;
  }
  if (current === undefined) {
    throw new ToolInputError(`${edit.path} does not exist; to create it, give its whole content as \`new_text\` without \`old_text\`.`);
  }
  if (edit.oldText.length === 0) {
    throw new ToolInputError(`\`old_text\` for ${edit.path} is empty; omit it to replace the whole file, or give the exact text to replace.`);
  }
  const crlf = current.includes('\r\n') && !edit.oldText.includes('\r\n');
  const oldText = crlf ? edit.oldText.replace(/\n/g, '\r\n') : edit.oldText;
  const newText = crlf ? edit.newText.replace(/\r?\n/g, '\r\n') : edit.newText;
  const found = occurrences(current, oldText);
  if (found.length === 0) {
    throw new ToolInputError(`\`old_text\` was not found in ${edit.path}; read the file again and copy the exact text, whitespace included.`);
  }
  if (found.length > 1) {
    const lines = found.slice(0, 5).map((at) => lineOf(current, at)).join(', ');
    throw new ToolInputError(`\`old_text\` occurs ${found.length} times in ${edit.path} (lines ${lines}${found.length > 5 ? ', ...' : ''}); include more surrounding lines so that it occurs exactly once.`);
  }
  const at = found[0]!;
  return current.slice(0, at) + newText + current.slice(at + oldText.length);
}

function readEdit(raw: unknown, index: number): TextEdit {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ToolInputError(`edits[${index}] must be an object with \`path\` and \`new_text\`.`);
  }
  const { path, old_text: oldText, new_text: newText } = raw as Record<string, unknown>;
  if (typeof path !== 'string' || path.trim().length === 0) {
    throw new ToolInputError(`edits[${index}].path must name a file in the workspace.`);
  }
  if (typeof newText !== 'string') {
    throw new ToolInputError(`edits[${index}].new_text must be a string.`);
  }
  if (oldText !== undefined && oldText !== null && typeof oldText !== 'string') {
    throw new ToolInputError(`edits[${index}].old_text must be a string, or left out to give the whole file.`);
  }
  return { path, oldText: typeof oldText === 'string' ? oldText : undefined, newText };
}

/** The `edits` argument, checked: at least one, at most `maxEdits`. */
export function readEdits(args: Record<string, unknown>, maxEdits: number): TextEdit[] {
  const edits = args.edits;
  if (!Array.isArray(edits) || edits.length === 0) {
    throw new ToolInputError('`edits` must be a non-empty list of {path, old_text?, new_text}.');
  }
  if (edits.length > maxEdits) {
    throw new ToolInputError(`At most ${maxEdits} edits fit in one call; split the change into several calls.`);
  }
  return edits.map(readEdit);
}

/** The edits grouped by file, in the order each file first appears; a file's edits keep their order. */
export function editsByFile<K>(edits: readonly TextEdit[], key: (edit: TextEdit) => K): Map<K, TextEdit[]> {
  const groups = new Map<K, TextEdit[]>();
  for (const edit of edits) {
    const k = key(edit);
    groups.set(k, [...(groups.get(k) ?? []), edit]);
  }
  return groups;
}

/** The part of `before` that differs from `after`: replacing [start, endBefore) with `text` turns one into the other. */
export function changedSpan(before: string, after: string): { start: number; endBefore: number; text: string } {
  const limit = Math.min(before.length, after.length);
  let start = 0;
  while (start < limit && before.charCodeAt(start) === after.charCodeAt(start)) {
    start++;
  }
  let tail = 0;
  while (tail < limit - start && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) {
    tail++;
  }
  return { start, endBefore: before.length - tail, text: after.slice(start, after.length - tail) };
}
