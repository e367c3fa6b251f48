/**
 * Word-by-word accept (Ctrl+Right) seen from the document: the editor's stable API tells an
 * extension when a whole suggestion is accepted (the item's command) but not when part of it is,
 * so a partial accept is recognised as one edit that inserts, at the suggestion's start, more
 * than one character of it and less than all. Typing makes one-character edits; a paste that
 * happens to match the suggestion is rare enough to count the same.
 */
export interface ShownSuggestion {
  /** Document offset where the ghost text starts. */
  offset: number;
  text: string;
}

export interface InsertEdit {
  offset: number;
  /** Characters the edit replaced (0 for an insertion). */
  removed: number;
  inserted: string;
}

export function isPartialAccept(shown: ShownSuggestion, edit: InsertEdit): boolean {
  return edit.offset === shown.offset && edit.removed === 0 && edit.inserted.length > 1 && edit.inserted.length < shown.text.length && shown.text.startsWith(edit.inserted);
}
