import { type CompletionSnapshot, type OffsetRange } from './types';

/** How much text either side of the shown completion must be unchanged, in characters. */
const CONTEXT_CHARS = 500;

/** Where a suggestion starts, and the text around it that must stay as it was. */
export interface Anchor {
  path: string;
  /** Offset where the suggestion starts. */
  anchor: number;
  /** Text before the anchor (tail). */
  before: string;
  /** Text after the replaced range (head). */
  after: string;
}

interface Shown extends Anchor {
  text: string;
  /** The trace id of the generation that made it. */
  origin: string | undefined;
}

export function anchorOf(snapshot: CompletionSnapshot, range: OffsetRange): Anchor {
  return {
    path: snapshot.path,
    anchor: range.start,
    before: snapshot.text.slice(Math.max(0, range.start - CONTEXT_CHARS), range.start),
    after: snapshot.text.slice(range.end, range.end + CONTEXT_CHARS),
  };
}

/**
 * What the user typed at `anchor` since it was taken, when `snapshot` is the same document with
 * only text inserted at the anchor (the text around it unchanged); undefined otherwise.
 */
export function typedSince(anchor: Anchor, snapshot: CompletionSnapshot): string | undefined {
  if (snapshot.path !== anchor.path || snapshot.selectedCompletion !== undefined || snapshot.offset < anchor.anchor) {
    return undefined;
  }
  const { text, offset } = snapshot;
  if (text.slice(anchor.anchor - anchor.before.length, anchor.anchor) !== anchor.before || !text.startsWith(anchor.after, offset)) {
    return undefined;
  }
  return text.slice(anchor.anchor, offset);
}

/**
 * Typed-ahead reuse: while the user types the next characters of the suggestion on screen,
 * the rest of it is still the answer, so it is shown again without a new generation. A few
 * recent suggestions are kept, so that deleting a typo returns to the one it interrupted.
 */
export class TypedAhead {
  private shown: Shown[] = [];

  constructor(private readonly keep = 8) {}

  remember(snapshot: CompletionSnapshot, text: string, range: OffsetRange, origin?: string): void {
    this.shown.unshift({ ...anchorOf(snapshot, range), text, origin });
    this.shown.length = Math.min(this.shown.length, this.keep);
  }

  forget(): void {
    this.shown = [];
  }

  /** The rest of the shown suggestion, when `snapshot` is its start plus some of it typed. */
  match(snapshot: CompletionSnapshot): { text: string; range: OffsetRange; origin: string | undefined } | undefined {
    for (const shown of this.shown) {
      const found = this.matchOne(shown, snapshot);
      if (found !== undefined) {
        return found;
      }
    }
    return undefined;
  }

  private matchOne(shown: Shown, snapshot: CompletionSnapshot): { text: string; range: OffsetRange; origin: string | undefined } | undefined {
    const typed = typedSince(shown, snapshot);
    if (typed === undefined || typed === '' || typed.length >= shown.text.length || !shown.text.startsWith(typed)) {
      return undefined;
    }
    const rest = shown.text.slice(typed.length);
    return rest.trim() === '' ? undefined : { text: rest, range: { start: snapshot.offset, end: snapshot.offset }, origin: shown.origin };
  }
}
