/**
 * A guard is one small pure check of a finished completion against the document around the
 * cursor: it keeps the text, cuts it (saying why) or drops it (saying why). The order in which
 * they run is the list in `./index.ts`.
 */
export interface GuardInput {
  /** The completion so far, lines joined with `\n`, indented in the document's style. */
  text: string;
  /** Tail of the document before the cursor, `\n` line breaks. */
  prefix: string;
  /** Head of the document after the cursor, `\n` line breaks. */
  suffix: string;
  languageId: string;
  insertSpaces: boolean;
  tabSize: number;
}

/** `cut` names why the text changed (no code in it: it is logged); `drop` why nothing is shown. */
export type GuardResult = { text: string; cut?: string } | { drop: string };

export type Guard = (input: GuardInput) => GuardResult;

export const GUARD_NAMES = ['repetition', 'mid-line', 'indentation', 'operator', 'closers', 'suffix-duplicate', 'bracket-structure'] as const;

export type GuardName = (typeof GUARD_NAMES)[number];

/** The guards to run: all of them, or only those named (to measure each one's effect). */
export type GuardSelection = readonly GuardName[] | 'all';

export function isGuardOn(selection: GuardSelection, name: GuardName): boolean {
  return selection === 'all' || selection.includes(name);
}

/** The cursor line's text before the cursor. */
export function beforeCursor(prefix: string): string {
  return prefix.slice(prefix.lastIndexOf('\n') + 1);
}

/** The cursor line's text after the cursor. */
export function afterCursor(suffix: string): string {
  const nl = suffix.indexOf('\n');
  return nl < 0 ? suffix : suffix.slice(0, nl);
}

/** The first non-blank line after the cursor's line, if any. */
export function nextNonBlankLine(suffix: string): string | undefined {
  return suffix.split('\n').slice(1).find((l) => l.trim() !== '');
}

export function keep(text: string): GuardResult {
  return { text };
}
