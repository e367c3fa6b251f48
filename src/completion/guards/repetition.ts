import { type Guard, keep } from './guard';

/** Copies of a unit kept: a fourth copy in a row is taken for a loop, not for code. */
const MAX_COPIES = 3;
/** Longest unit, in tokens, that is looked for. */
const MAX_UNIT = 4;
const TOKEN = /[\p{L}\p{N}_$]+|[^\s\p{L}\p{N}_$]/gu;

interface Token {
  text: string;
  end: number;
  word: boolean;
}

function tokenize(line: string): Token[] {
  return [...line.matchAll(TOKEN)].map((m) => ({ text: m[0], end: m.index + m[0].length, word: /[\p{L}\p{N}_$]/u.test(m[0]) }));
}

function sameUnit(tokens: readonly Token[], a: number, b: number, n: number): boolean {
  for (let k = 0; k < n; k++) {
    if (tokens[a + k]!.text !== tokens[b + k]!.text) {
      return false;
    }
  }
  return true;
}

function copiesAt(tokens: readonly Token[], start: number, n: number): number {
  let copies = 1;
  while (start + (copies + 1) * n <= tokens.length && sameUnit(tokens, start, start + copies * n, n)) {
    copies++;
  }
  return copies;
}

/**
 * Where to cut a line in which a unit of 1..4 tokens (with a word in it: `)))` is code) repeats
 * more than MAX_COPIES times in a row: after the last word of the MAX_COPIES-th copy, so that
 * `data, data, data, ...` ends as `data, data, data` rather than on a dangling separator.
 */
export function repetitionCut(line: string): number | undefined {
  const tokens = tokenize(line);
  for (let start = 0; start < tokens.length; start++) {
    for (let n = 1; n <= MAX_UNIT && start + n * (MAX_COPIES + 1) <= tokens.length; n++) {
      if (!tokens.slice(start, start + n).some((t) => t.word) || copiesAt(tokens, start, n) <= MAX_COPIES) {
        continue;
      }
      let last = start + MAX_COPIES * n - 1;
      while (!tokens[last]!.word) {
        last--;
      }
      return tokens[last]!.end;
    }
  }
  return undefined;
}

/** Stops the completion inside the first line that loops on a word or a short phrase. */
export const cutRepetition: Guard = ({ text }) => {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const cut = repetitionCut(lines[i]!);
    if (cut !== undefined) {
      return { text: [...lines.slice(0, i), lines[i]!.slice(0, cut)].join('\n'), cut: 'a word or phrase repeated in a row' };
    }
  }
  return keep(text);
};
