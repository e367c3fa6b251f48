/**
 * What a user would have accepted of the suggestions a replay showed: a right first line is taken
 * with Tab, otherwise the right start of a suggestion word by word (Ctrl+Right). Pure, so that
 * the replay and its unit test share one definition.
 */

/** The suggestion up to the end of its first line that has more than whitespace. */
export function firstLine(suggestion: string): string {
  const match = /^\s*?[^\n]*\S[^\n]*/.exec(suggestion);
  return match ? match[0] : '';
}

/** The first line with something on it is what the user goes on to type. */
export function firstLineRight(suggestion: string, upcoming: string): boolean {
  const line = firstLine(suggestion);
  return line.trim() !== '' && upcoming.startsWith(line);
}

/** Characters of `suggestion` that agree with `upcoming` from the start. */
function commonPrefix(suggestion: string, upcoming: string): number {
  let i = 0;
  while (i < suggestion.length && i < upcoming.length && suggestion[i] === upcoming[i]) i++;
  return i;
}

/**
 * Characters a user accepts: the whole suggestion when all of it is right, its first line when
 * that is right, else the right start cut back to the last word boundary (word-by-word accept
 * stops at the end of a word or a run of other characters).
 */
export function acceptedChars(suggestion: string, upcoming: string): number {
  const agree = commonPrefix(suggestion, upcoming);
  if (agree === suggestion.length) return agree;
  if (firstLineRight(suggestion, upcoming)) return firstLine(suggestion).length;
  let cut = agree;
  const word = (ch: string | undefined): boolean => ch !== undefined && /\w/.test(ch);
  // A word is right only when both texts end it at the same place.
  while (cut > 0 && word(suggestion[cut - 1]) && (word(suggestion[cut]) || word(upcoming[cut]))) cut--;
  return cut;
}

/**
 * Counts accepted characters along one typed file without counting a stretch twice: a suggestion
 * shown inside text an earlier accepted one already covered adds nothing.
 */
export class AcceptanceTally {
  accepted = 0;
  wrongShown = 0;
  rightShown = 0;
  private coveredUntil = -1;

  /** A suggestion shown at document offset `at`, with the text the user goes on to type. */
  shown(at: number, suggestion: string, upcoming: string): void {
    const right = firstLineRight(suggestion, upcoming);
    if (right) this.rightShown++;
    else this.wrongShown++;
    const chars = acceptedChars(suggestion, upcoming);
    if (chars > 0 && at >= this.coveredUntil) {
      this.accepted += chars;
      this.coveredUntil = at + chars;
    }
  }

  /** A new file: its offsets start again. */
  nextFile(): void {
    this.coveredUntil = -1;
  }
}
