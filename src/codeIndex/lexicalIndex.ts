/**
 * BM25 search over chunks, through minisearch (BM25+ scoring; chosen over flexsearch and
 * @orama/orama by `bench/index/lexicalLibraries.ts`: on questions that name a function of an
 * out-of-corpus repository, recall@10 0.56 against 0.41 and 0.27, at 17 MB of heap for 6,000
 * chunks). A chunk's own definitions are a separate, boosted field: the chunk that defines
 * `priceOf` should outrank the ten that call it.
 */
import MiniSearch from 'minisearch';
import { codeTerms } from './terms';
import type { CodeChunk } from './types';

interface LexicalDocument {
  id: number;
  symbols: string;
  text: string;
}

/** How much more a term counts in the names a chunk defines than in its text. */
const SYMBOL_BOOST = 3;

export interface LexicalHit {
  id: number;
  score: number;
}

export class LexicalIndex {
  private readonly search = new MiniSearch<LexicalDocument>({
    fields: ['symbols', 'text'],
    tokenize: codeTerms,
    processTerm: (term) => term,
    // Removing a file's chunks leaves tombstones; vacuuming them in the background keeps the
    // index from growing while the user edits.
    autoVacuum: { minDirtCount: 200, minDirtFactor: 0.2, batchSize: 500, batchWait: 10 },
  });

  add(id: number, chunk: CodeChunk): void {
    this.search.add({ id, symbols: chunk.symbols.join(' '), text: chunk.text });
  }

  remove(id: number): void {
    if (this.search.has(id)) this.search.discard(id);
  }

  query(text: string, limit: number): LexicalHit[] {
    return this.search
      .search(text, { combineWith: 'OR', boost: { symbols: SYMBOL_BOOST } })
      .slice(0, limit)
      .map((r) => ({ id: r.id as number, score: r.score }));
  }

  get size(): number {
    return this.search.documentCount;
  }
}
