/**
 * The `@` of the chat input: typed at the start or after a space it opens the context picker (an
 * e-mail address or `a@b` does not); the picker's choice then takes the place of that `@`.
 */

/** True when the `@` just typed before `cursor` starts a mention. */
export function startsMention(value: string, cursor: number): boolean {
  if (value[cursor - 1] !== '@') {
    return false;
  }
  const before = value.slice(0, cursor - 1);
  return before === '' || /\s$/.test(before);
}

/** `value` with `text` put over the selection, replacing an `@` right before it; and the new cursor. */
export function insertMention(value: string, start: number, end: number, text: string): { value: string; cursor: number } {
  const from = value[start - 1] === '@' ? start - 1 : start;
  return { value: value.slice(0, from) + text + value.slice(end), cursor: from + text.length };
}
