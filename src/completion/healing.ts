/** Longest text cut off the prompt for healing; a longer run is left as it is. */
const MAX_HEAL_CHARS = 32;

/**
 * The end of the text before the cursor that the prompt should leave out and the output must
 * start with (token healing, see the engine's `forcedPrefix`): the last word or run of
 * punctuation with the one space or tab before it, or a single trailing space or tab. Byte-level
 * BPE tokenizers split text into such pieces before merging (` maxSize`, ` =>`, `));`), and a
 * piece cut short by the cursor (`maxSi`, `)`) is spelled with tokens the model rarely saw
 * followed by the rest of the piece. Without it the prompt ends where training text has a token
 * boundary. Empty when the text ends in a line break or nothing.
 */
export function healText(prefix: string): string {
  const m = /(?:[ \t]?[\p{L}\p{N}_$]+|[ \t]?[^\s\p{L}\p{N}_$]+|[ \t])$/u.exec(prefix);
  if (m === null || m[0].length > MAX_HEAL_CHARS) {
    return '';
  }
  return m[0];
}
