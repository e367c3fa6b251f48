import { type NeighbourFile } from './types';

/** A window of lines from another file, with how similar it is to the code around the cursor. */
export interface Snippet {
  path: string;
  text: string;
  /** Jaccard similarity of identifier sets, 0..1. */
  score: number;
}

export interface SnippetOptions {
  /** Lines per sliding window. Default: 12. */
  windowLines?: number;
  /** Lines the window moves each step. Default: 6. */
  stepLines?: number;
  /** Windows scoring below this are not worth prompt tokens. Default: 0.1. */
  minScore?: number;
  /** Most neighbour files looked at, most recent first. Default: 20. */
  maxFiles?: number;
  /** Only this many leading characters of a neighbour are scanned. Default: 200,000. */
  maxCharsPerFile?: number;
}

/** Languages whose files are useful context for each other. */
const LANGUAGE_GROUP: Readonly<Record<string, string>> = {
  typescript: 'js', typescriptreact: 'js', javascript: 'js', javascriptreact: 'js',
  c: 'c', cpp: 'c', 'objective-c': 'c',
};

export function sameLanguage(a: string, b: string): boolean {
  return (LANGUAGE_GROUP[a] ?? a) === (LANGUAGE_GROUP[b] ?? b);
}

const IDENTIFIER = /[\p{L}_$][\p{L}\p{N}_$]*/gu;

/** Identifiers of two characters or more: single letters match everything and say nothing. */
export function identifierSet(text: string): Set<string> {
  const set = new Set<string>();
  for (const m of text.matchAll(IDENTIFIER)) {
    if (m[0].length > 1) {
      set.add(m[0]);
    }
  }
  return set;
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) {
    return 0;
  }
  let shared = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const item of small) {
    if (large.has(item)) {
      shared++;
    }
  }
  return shared / (a.size + b.size - shared);
}

interface IndexedWindow {
  text: string;
  ids: Set<string>;
}

/**
 * Sliding windows of neighbour files with their identifier sets, kept between requests: the
 * neighbours rarely change while the user types, and re-scanning them on every keystroke would
 * cost more than the rest of the pipeline.
 */
export class SnippetIndex {
  private readonly files = new Map<string, { text: string; windowLines: number; step: number; windows: IndexedWindow[] }>();

  constructor(private readonly maxFiles = 64) {}

  windows(path: string, text: string, windowLines: number, step: number): IndexedWindow[] {
    const known = this.files.get(path);
    if (known !== undefined && known.text === text && known.windowLines === windowLines && known.step === step) {
      return known.windows;
    }
    const windows = slidingWindows(text, windowLines, step);
    this.files.delete(path);
    this.files.set(path, { text, windowLines, step, windows });
    if (this.files.size > this.maxFiles) {
      this.files.delete(this.files.keys().next().value!);
    }
    return windows;
  }
}

function slidingWindows(text: string, windowLines: number, step: number): IndexedWindow[] {
  const lines = text.split(/\r?\n/);
  const windows: IndexedWindow[] = [];
  for (let start = 0; start < lines.length; start += step) {
    const windowText = lines.slice(start, start + windowLines).join('\n');
    windows.push({ text: windowText, ids: identifierSet(windowText) });
    if (start + windowLines >= lines.length) {
      break;
    }
  }
  return windows;
}

/**
 * The best window of each same-language neighbour, best first, ranked by similarity of its
 * identifiers to `query` (the code around the cursor). `index` keeps the windows between calls.
 */
export function rankSnippets(query: string, neighbours: readonly NeighbourFile[], languageId: string, currentPath: string, options: SnippetOptions = {}, index?: SnippetIndex): Snippet[] {
  const windowLines = options.windowLines ?? 12;
  const step = options.stepLines ?? 6;
  const minScore = options.minScore ?? 0.1;
  const queryIds = identifierSet(query);
  if (queryIds.size === 0) {
    return [];
  }
  const found: Snippet[] = [];
  for (const file of neighbours.slice(0, options.maxFiles ?? 20)) {
    if (file.path === currentPath || !sameLanguage(file.languageId, languageId)) {
      continue;
    }
    const text = file.text.slice(0, options.maxCharsPerFile ?? 200_000);
    const windows = index !== undefined ? index.windows(file.path, text, windowLines, step) : slidingWindows(text, windowLines, step);
    let best: Snippet | undefined;
    for (const window of windows) {
      const score = jaccard(queryIds, window.ids);
      if (score >= minScore && (best === undefined || score > best.score)) {
        best = { path: file.path, text: window.text, score };
      }
    }
    if (best !== undefined) {
      found.push(best);
    }
  }
  return found.sort((a, b) => b.score - a.score);
}
