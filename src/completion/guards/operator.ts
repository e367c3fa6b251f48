import { beforeCursor, type Guard, keep } from './guard';

/**
 * Longest first, so that `=>` is not read as `=`. `(` is not among them: `((` and `( (` open
 * nested expressions; an extra one is left to the bracket guards.
 */
const OPERATORS = ['===', '!==', '...', '=>', '->', '==', '!=', '<=', '>=', '&&', '||', '??', '+=', '-=', '*=', '/=', ':=', '::', '..', '=', ',', '.', ':'];

/**
 * Operators that written twice in a row make no token in common languages (`,,` `=>=>`).
 * `=`, `:` and `..` are left alone: `a =` + `= b` may well mean `a == b`, `:` + `:` is `::`.
 */
const NEVER_DOUBLED = new Set(['===', '!==', '...', '=>', '->', '==', '!=', '<=', '>=', '&&', '||', '??', '+=', '-=', '*=', '/=', ':=', ',', '.']);

function operatorAtEnd(text: string): string | undefined {
  return OPERATORS.find((op) => text.endsWith(op));
}

function operatorAtStart(text: string): string | undefined {
  return OPERATORS.find((op) => text.startsWith(op));
}

/**
 * A completion that starts with the operator the user has just typed (`const n = ` + `= 1`)
 * loses the copy. Doubled across a space it is always a copy when it stands alone (`= 1`, not
 * the Ruby symbol `:a`); doubled without one only where the pair is no token of its own.
 */
export const trimTypedOperator: Guard = ({ text, prefix }) => {
  const before = beforeCursor(prefix);
  const typed = operatorAtEnd(before.trimEnd());
  const lead = /^[ \t]*/.exec(text)![0];
  const start = text.slice(lead.length);
  if (typed === undefined || operatorAtStart(start) !== typed) {
    return keep(text);
  }
  const spaced = /[ \t]$/.test(before) || lead !== '';
  const rest = start.slice(typed.length);
  const copy = spaced ? /^(\s|$)/.test(rest) : NEVER_DOUBLED.has(typed);
  if (!copy) {
    return keep(text);
  }
  const trimmed = /[ \t]$/.test(before) ? rest.replace(/^[ \t]+/, '') : rest;
  return trimmed.trim() === '' ? { drop: 'only the operator already typed' } : { text: trimmed, cut: 'operator already typed before the cursor' };
};
