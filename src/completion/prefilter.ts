import { isIdentifierChar } from './text';
import { type CompletionSettings, type CompletionSnapshot } from './types';

export type SkipReason = 'disabled' | 'language-disabled' | 'selection' | 'mid-word' | 'file-too-large' | 'intellisense-conflict';

export const SKIP_REASONS: readonly SkipReason[] = ['disabled', 'language-disabled', 'selection', 'mid-word', 'file-too-large', 'intellisense-conflict'];

export function isLanguageEnabled(languageId: string, languages: Readonly<Record<string, boolean>>): boolean {
  return languages[languageId] ?? languages['*'] ?? true;
}

/**
 * Why this request should not be completed at all, or undefined to go on. Cheap checks only:
 * this runs on every keystroke.
 */
export function prefilter(snapshot: CompletionSnapshot, settings: CompletionSettings): SkipReason | undefined {
  if (!settings.enabled) {
    return 'disabled';
  }
  if (!isLanguageEnabled(snapshot.languageId, settings.languages)) {
    return 'language-disabled';
  }
  if (!snapshot.selectionEmpty) {
    return 'selection';
  }
  if (snapshot.text.length > settings.maxFileChars) {
    return 'file-too-large';
  }
  const { text, offset } = snapshot;
  if (isIdentifierChar(charBefore(text, offset)) && isIdentifierChar(charAt(text, offset))) {
    return 'mid-word';
  }
  if (snapshot.selectedCompletion !== undefined && !agreesWithSelectedItem(snapshot)) {
    return 'intellisense-conflict';
  }
  return undefined;
}

/**
 * A completion shown with a selected IntelliSense item must start with what the widget would
 * insert. That is only possible when the item replaces the word being typed with a text that
 * begins with what was typed; a fuzzy match (`cnst` -> `const`) would rewrite the user's text.
 */
export function agreesWithSelectedItem(snapshot: CompletionSnapshot): boolean {
  const item = snapshot.selectedCompletion;
  if (item === undefined) {
    return true;
  }
  const { start, end } = item.range;
  if (start > snapshot.offset || end < snapshot.offset || end - start > 1000) {
    return false;
  }
  const typed = snapshot.text.slice(start, snapshot.offset);
  return item.text.startsWith(typed) && item.text.length >= snapshot.text.slice(start, end).length;
}

/** The character before `offset`, whole code point (so that non-BMP letters count as letters). */
function charBefore(text: string, offset: number): string | undefined {
  if (offset <= 0) {
    return undefined;
  }
  const low = text.charCodeAt(offset - 1);
  return low >= 0xdc00 && low <= 0xdfff && offset >= 2 ? text.slice(offset - 2, offset) : text[offset - 1];
}

function charAt(text: string, offset: number): string | undefined {
  const cp = text.codePointAt(offset);
  return cp === undefined ? undefined : String.fromCodePoint(cp);
}
