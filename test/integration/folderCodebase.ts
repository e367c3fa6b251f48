import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CodebaseSearch, CodeChunk, CodeSearchHit, IndexStatus, SymbolDefinition } from '../../src/codeIndex/types';

const DECLARATION = /^export\s+(?:async\s+)?(function|interface|class|type|const)\s+([A-Za-z_$][\w$]*)/m;
const KINDS: Readonly<Record<string, SymbolDefinition['kind']>> = { function: 'function', interface: 'interface', class: 'class', type: 'type', const: 'variable' };

/**
 * A stand-in for the workspace index over the TypeScript files of one fixture folder, so that the
 * chat's extension-host tests know exactly which chunks there are (the real index is tested in
 * `codeIndex.test.ts`): a chunk is a run of
 * non-blank lines (the fixtures keep one declaration per run), search counts the query's words
 * a chunk contains, definitions come from the `export` line that opens a chunk.
 */
export class FolderCodebase implements CodebaseSearch {
  private readonly chunks: CodeChunk[];

  constructor(root: string, folder: string) {
    this.chunks = fs
      .readdirSync(path.join(root, folder))
      .filter((f) => f.endsWith('.ts'))
      .sort()
      .flatMap((f) => chunksOf(`${folder}/${f}`, fs.readFileSync(path.join(root, folder, f), 'utf8')));
  }

  search(query: string, limit: number): CodeSearchHit[] {
    const words = query.toLowerCase().split(/[^a-z0-9_]+/).filter((w) => w.length > 3);
    return this.chunks
      .map((c) => ({ ...c, score: words.filter((w) => c.text.toLowerCase().includes(w)).length }))
      .filter((c) => c.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, limit);
  }

  definitions(name: string): SymbolDefinition[] {
    return this.chunks.flatMap((c) => {
      const m = DECLARATION.exec(c.text);
      return m && m[2] === name ? [{ name, kind: KINDS[m[1]!]!, path: c.path, startLine: c.startLine, endLine: c.endLine, text: c.text }] : [];
    });
  }

  status(): { status: IndexStatus; files: number } {
    return { status: 'ready', files: new Set(this.chunks.map((c) => c.path)).size };
  }
}

function chunksOf(file: string, text: string): CodeChunk[] {
  const lines = text.split('\n');
  const chunks: CodeChunk[] = [];
  let start = -1;
  lines.forEach((line, i) => {
    const blank = line.trim() === '';
    if (!blank && start < 0) {
      start = i;
    }
    if (start >= 0 && (blank || i === lines.length - 1)) {
      const end = blank ? i - 1 : i;
      const body = lines.slice(start, end + 1).join('\n');
      const name = DECLARATION.exec(body)?.[2];
      chunks.push({ path: file, startLine: start, endLine: end, text: body, symbols: name ? [name] : [] });
      start = -1;
    }
  });
  return chunks;
}
