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

/**
 * The best window of each same-language neighbour, best first, ranked by similarity of its
 * identifiers to `query` (the code around the cursor).
 */
export function rankSnippets(query: string, neighbours: readonly NeighbourFile[], languageId: string, currentPath: string, options: SnippetOptions = {}): Snippet[] {
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
    const lines = file.text.slice(0, options.maxCharsPerFile ?? 200_000).split(/\r?\n/);
    let best: Snippet | undefined;
    for (let start = 0; start < lines.length; start += step) {
      const text = lines.slice(start, start + windowLines).join('\n');
      const score = jaccard(queryIds, identifierSet(text));
      if (score >= minScore && (best === undefined || score > best.score)) {
        best = { path: file.path, text, score };
      }
      if (start + windowLines >= lines.length) {
        break;
      }
    }
    if (best !== undefined) {
      found.push(best);
    }
  }
  return found.sort((a, b) => b.score - a.score);
}
