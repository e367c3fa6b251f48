import { repetitionCut } from './guards/repetition';
import { indentWidth, isBlank } from './text';

const CLOSER_START = /^\s*[)\]}]/;

/**
 * Stops where the code leaves the block the cursor is in: at the first non-blank line indented
 * less than `minIndent` columns. A line that starts with a closing bracket is kept (it closes the
 * block; bracket balance later drops it when the suffix already does), anything else is not.
 * The first line continues the cursor's line and is never checked.
 */
export async function* stopAtDedent(lines: AsyncIterable<string>, minIndent: number, tabSize: number): AsyncGenerator<string> {
  let first = true;
  for await (const line of lines) {
    if (!first && !isBlank(line) && indentWidth(line, tabSize) < minIndent) {
      if (CLOSER_START.test(line)) {
        yield line;
      }
      return;
    }
    first = false;
    yield line;
  }
}

/** Lines too short or too plain to call a repetition (`}`, `end`, `];`). */
export function isTrivialLine(line: string): boolean {
  const t = line.trim();
  return t.length < 4 || !/[\p{L}\p{N}]/u.test(t);
}

/**
 * Stops where the model starts looping: a non-trivial line equal to the line before it, or one
 * already seen twice.
 */
export async function* stopAtRepeatedLines(lines: AsyncIterable<string>): AsyncGenerator<string> {
  const seen = new Map<string, number>();
  let previous: string | undefined;
  for await (const line of lines) {
    const key = line.trim();
    if (!isTrivialLine(line)) {
      const times = seen.get(key) ?? 0;
      if (key === previous || times >= 2) {
        return;
      }
      seen.set(key, times + 1);
    }
    if (key !== '') {
      previous = key;
    }
    yield line;
  }
}

/**
 * Stops before a line that repeats the first non-blank line after the cursor's line: from there
 * the model is writing what is already in the document. Trivial lines (`}`) must match with
 * their indentation, since an inner block closes with the same bracket.
 */
export async function* stopAtSuffix(lines: AsyncIterable<string>, suffix: string): AsyncGenerator<string> {
  const target = firstLineAfterCursorLine(suffix);
  let first = true;
  for await (const line of lines) {
    if (!first && target !== undefined && (isTrivialLine(target) ? line.trimEnd() === target.trimEnd() : line.trim() === target.trim())) {
      return;
    }
    first = false;
    yield line;
  }
}

function firstLineAfterCursorLine(suffix: string): string | undefined {
  const lines = suffix.split(/\r?\n/);
  return lines.slice(1).find((l) => !isBlank(l));
}

/**
 * Text deltas up to where a line starts looping on a word or phrase (`data, data, data, ...`):
 * the repetition guard's cut, made while streaming so that the generation stops there instead of
 * spending its remaining tokens on the loop. The line in progress is held back (the line splitter
 * after this waits for whole lines anyway), so that the cut can fall in text already received.
 * `onCut` is called when it cuts.
 */
export async function* stopAtRepetitionInLine(texts: AsyncIterable<string>, onCut?: () => void): AsyncGenerator<string> {
  let pending = '';
  for await (const text of texts) {
    pending += text;
    const nl = pending.lastIndexOf('\n');
    // A word at the very end may still grow (`ab ab ab ab` + `c`): it is judged once it is complete.
    const cut = repetitionCut(pending.slice(nl + 1).replace(/[\p{L}\p{N}_$]+$/u, ''));
    if (cut !== undefined) {
      onCut?.();
      yield pending.slice(0, nl + 1 + cut);
      return;
    }
    if (nl >= 0) {
      yield pending.slice(0, nl + 1);
      pending = pending.slice(nl + 1);
    }
  }
  if (pending !== '') {
    yield pending;
  }
}
