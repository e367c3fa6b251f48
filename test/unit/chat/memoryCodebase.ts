import type { CodebaseSearch, CodeSearchHit, IndexStatus, SymbolDefinition } from '../../../src/codeIndex/types';

/**
 * A workspace index over a few in-memory chunks, for pure-stage tests: a chunk scores by how many
 * of the query's words it contains; definitions are looked up by exact name.
 */
export class MemoryCodebase implements CodebaseSearch {
  readonly queries: string[] = [];
  constructor(
    private readonly chunks: Omit<CodeSearchHit, 'score'>[],
    private readonly defs: SymbolDefinition[] = [],
    private readonly state: IndexStatus = 'ready',
  ) {}

  search(query: string, limit: number): CodeSearchHit[] {
    this.queries.push(query);
    const words = query.toLowerCase().split(/\W+/).filter((w) => w.length > 2);
    return this.chunks
      .map((c) => ({ ...c, score: words.filter((w) => c.text.toLowerCase().includes(w)).length }))
      .filter((c) => c.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }

  definitions(name: string): SymbolDefinition[] {
    return this.defs.filter((d) => d.name === name);
  }

  status(): { status: IndexStatus; files: number } {
    return { status: this.state, files: new Set(this.chunks.map((c) => c.path)).size };
  }
}
