import { type CompletionSnapshot, type OffsetRange } from './types';

/** How much text either side of the shown completion must be unchanged, in characters. */
const CONTEXT_CHARS = 500;

interface Shown {
  path: string;
  /** Offset where the shown text starts. */
  anchor: number;
  /** Text before the anchor when it was shown (tail). */
  before: string;
  /** Text after the replaced range when it was shown (head). */
  after: string;
  text: string;
}

/**
 * Typed-ahead reuse: while the user types the next characters of the suggestion on screen,
 * the rest of it is still the answer, so it is shown again without a new generation. A few
 * recent suggestions are kept, so that deleting a typo returns to the one it interrupted.
 */
export class TypedAhead {
  private shown: Shown[] = [];

  constructor(private readonly keep = 8) {}

  remember(snapshot: CompletionSnapshot, text: string, range: OffsetRange): void {
    this.shown.unshift({
      path: snapshot.path,
      anchor: range.start,
      before: snapshot.text.slice(Math.max(0, range.start - CONTEXT_CHARS), range.start),
      after: snapshot.text.slice(range.end, range.end + CONTEXT_CHARS),
      text,
    });
    this.shown.length = Math.min(this.shown.length, this.keep);
  }

  forget(): void {
    this.shown = [];
  }

  /** The rest of the shown suggestion, when `snapshot` is its start plus some of it typed. */
  match(snapshot: CompletionSnapshot): { text: string; range: OffsetRange } | undefined {
    for (const shown of this.shown) {
      const found = this.matchOne(shown, snapshot);
      if (found !== undefined) {
        return found;
      }
    }
    return undefined;
  }

  private matchOne(shown: Shown, snapshot: CompletionSnapshot): { text: string; range: OffsetRange } | undefined {
    if (snapshot.path !== shown.path || snapshot.selectedCompletion !== undefined || snapshot.offset <= shown.anchor) {
      return undefined;
    }
    const { text, offset } = snapshot;
    const typed = text.slice(shown.anchor, offset);
    if (typed.length >= shown.text.length || !shown.text.startsWith(typed)) {
      return undefined;
    }
    if (text.slice(shown.anchor - shown.before.length, shown.anchor) !== shown.before || !text.startsWith(shown.after, offset)) {
      return undefined;
    }
    const rest = shown.text.slice(typed.length);
    return rest.trim() === '' ? undefined : { text: rest, range: { start: offset, end: offset } };
  }
}
