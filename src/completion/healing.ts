/** Longest text cut off the prompt for healing; a longer word is left as it is. */
const MAX_HEAL_CHARS = 32;

/**
 * The end of the text before the cursor that the prompt should leave out and the output must
 * start with (token healing, see the engine's `forcedPrefix`): a partial word with the one space
 * or tab before it, or a single trailing space or tab. Byte-level BPE tokenizers split text
 * before a word with its leading space (` maxSize`) and keep runs of spaces apart from the word
 * after them, so the prompt then ends where training text has a token boundary. Empty when the
 * text ends in anything else (punctuation, a line break).
 */
export function healText(prefix: string): string {
  const m = /(?:[ \t]?[\p{L}\p{N}_$]+|[ \t])$/u.exec(prefix);
  if (m === null || m[0].length > MAX_HEAL_CHARS) {
    return '';
  }
  return m[0];
}
