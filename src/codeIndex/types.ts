/**
 * Plain values of the workspace index: what a file is cut into (chunks along its syntax) and
 * what it defines (symbols). Lines are zero-based and inclusive at both ends.
 */

export type SymbolKind = 'function' | 'method' | 'class' | 'interface' | 'type' | 'enum' | 'variable' | 'module' | 'struct' | 'trait' | 'macro';

/** A named definition found in a syntax tree. */
export interface SymbolDefinition {
  name: string;
  kind: SymbolKind;
  /** Workspace-relative path with forward slashes. */
  path: string;
  startLine: number;
  endLine: number;
  /**
   * What a prompt shows of it: the declaration up to its body for functions and methods, the
   * whole declaration for types, interfaces, enums and short classes (cut to a line cap).
   */
  text: string;
  /** Name of the enclosing class, struct, impl or module, for members. */
  container?: string;
  /**
   * Visible outside its file or module by the language's rule (`export`, `pub`, `public`, a
   * capital in Go, no leading `_` in Python, not `static` in C); absent when it is not.
   */
  exported?: true;
}

/** A piece of a file that search returns and a prompt can carry: whole declarations where they fit. */
export interface CodeChunk {
  path: string;
  startLine: number;
  endLine: number;
  text: string;
  /** Names defined in this chunk (its declarations and their members). */
  symbols: string[];
  /**
   * The head line of the declaration this chunk is a part of (`export class Cache<V> {`), when a
   * declaration too long for one chunk was cut into its members and the chunk does not start it.
   */
  context?: string;
}

export interface FileOutline {
  chunks: CodeChunk[];
  definitions: SymbolDefinition[];
  /** 'syntax' when a grammar cut the file, 'lines' for the line-window fallback. */
  cutBy: 'syntax' | 'lines';
  /** Why a file was cut by lines; absent when a grammar cut it. */
  reason?: LineCutReason;
}

/**
 * Why a file was cut into line windows: no grammar for its language, its grammar failed to load,
 * it is over the size cap, its parse ran past the time cap, or the parser failed on it.
 */
export type LineCutReason = 'no-grammar' | 'grammar-unavailable' | 'too-large' | 'timeout' | 'parse-failed';

export interface SourceFile {
  path: string;
  languageId: string;
  text: string;
}

/** A chunk search found, with its BM25 score (higher is better; comparable within one query only). */
export interface CodeSearchHit extends CodeChunk {
  score: number;
}

export type IndexStatus = 'off' | 'building' | 'ready';

/** What chat and completion ask of the workspace index. */
export interface CodebaseSearch {
  /** The chunks most relevant to `query` (a question, code, identifiers), best first. */
  search(query: string, limit: number): CodeSearchHit[];
  /** Definitions named exactly `name`, best guess first (exported, top-level). */
  definitions(name: string): SymbolDefinition[];
  /** Whether there is anything to search yet. */
  status(): { status: IndexStatus; files: number };
}
