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
