import type { Eagerness } from './confidence/gate';

/**
 * Plain values that cross the boundary between the editor host and the completion pipeline.
 * The host builds them from editor objects; nothing here knows about the editor.
 */

/** A half-open range of UTF-16 offsets in the document text: [start, end). */
export interface OffsetRange {
  start: number;
  end: number;
}

export interface NeighbourFile {
  /** Workspace-relative path (or URI) shown to the model in file headers. */
  path: string;
  languageId: string;
  text: string;
}

/** The item the IntelliSense widget has selected: inserting it replaces `range` with `text`. */
export interface SelectedCompletionItem {
  text: string;
  range: OffsetRange;
}

export interface CompletionSnapshot {
  /** Document URI or workspace-relative path; also the key that ties requests to one document. */
  path: string;
  languageId: string;
  /** The whole document text, line breaks as they are in the document. */
  text: string;
  /** Cursor offset into `text` (UTF-16 code units, as the editor's `offsetAt` gives it). */
  offset: number;
  /** Zero-based cursor line and character; used in logs and tests, offsets drive the work. */
  line: number;
  character: number;
  /** The document's line break; completions are returned with this one. */
  eol: '\n' | '\r\n';
  indentation: {
    /** True when the editor inserts spaces for Tab. */
    insertSpaces: boolean;
    /** Columns per tab stop. */
    tabSize: number;
  };
  /** False while the user has a non-empty selection; nothing is completed then. */
  selectionEmpty: boolean;
  /** IntelliSense item currently selected in the suggest widget, if any. */
  selectedCompletion?: SelectedCompletionItem;
  /** Other open or recently edited files, most recent first. */
  neighbours: readonly NeighbourFile[];
}

export type DebounceSetting = 'adaptive' | number;

export interface CompletionSettings {
  /** Master switch. Default: true. */
  enabled: boolean;
  /** Per-language switch by language id; `'*'` is the fallback. A missing entry means enabled. */
  languages: Readonly<Record<string, boolean>>;
  /** Wait after the last keystroke before generating, in ms, or 'adaptive'. Default: 'adaptive'. */
  debounceMs: DebounceSetting;
  /** Most lines in one multi-line completion. Default: 8. */
  maxLines: number;
  /** Most tokens generated for one completion. Default: 128. */
  maxTokens: number;
  /** Token budget of the prompt: code windows, file header and neighbour snippets. Default: 1024. */
  promptTokens: number;
  /** Fill-in-the-middle template family id, or 'auto' to pick from the model. Default: 'auto'. */
  fimTemplate: string;
  /** Files longer than this many characters are not completed. Default: 2,000,000 characters. */
  maxFileChars: number;
  /** How sure the model must be before a suggestion is shown (the confidence gate). Default: 'balanced'. */
  eagerness: Eagerness;
}

export const DEFAULT_COMPLETION_SETTINGS: Readonly<CompletionSettings> = Object.freeze({
  enabled: true,
  languages: Object.freeze({}),
  debounceMs: 'adaptive',
  maxLines: 8,
  maxTokens: 128,
  promptTokens: 1024,
  fimTemplate: 'auto',
  maxFileChars: 2_000_000,
  eagerness: 'balanced',
});

/** 'in-flight': a generation started for an earlier keystroke, which the user has been typing along with. */
export type CompletionSource = 'generated' | 'cache' | 'typed-ahead' | 'in-flight';

export interface CompletionResultStats {
  /** Time spent in `provide`, not counting the debounce wait, in ms. */
  latencyMs: number;
  /** Debounce wait before generating, in ms (0 when served without generating). */
  debounceMs: number;
  /** Prompt tokens as the backend counted them (0 when served without generating). */
  promptTokens: number;
  /** Prompt tokens the backend served from its prefix cache. */
  reusedTokens: number;
  source: CompletionSource;
  /**
   * Carried in the pipeline's and the backend's logs. For a suggestion served again from memory
   * (typed-ahead, in-flight) it is the trace id of the generation that made it.
   */
  traceId: string;
  /** How sure the model was of a generated suggestion's first line, in [0, 1]; absent when served from memory or without log-probabilities. */
  confidence?: number;
}

export interface CompletionResult {
  /** Text that replaces `range`; line breaks are the document's. */
  text: string;
  /** Offsets in the snapshot's document that `text` replaces (empty range at the cursor, usually). */
  range: OffsetRange;
  stats: CompletionResultStats;
}
