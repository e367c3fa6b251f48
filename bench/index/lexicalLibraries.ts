/**
 * Which BM25 library the workspace index uses, chosen by measurement: minisearch, flexsearch and
 * @orama/orama index the same chunks (40-line windows of effect@3.19.0's TypeScript sources,
 * MIT, not in the bundled model's corpus) with the same terms (`codeTerms`), then answer the same
 * queries: the 10 lines around a call site of a function defined exactly once elsewhere in the
 * package, where the right answer is the chunk that defines the callee. Measured: recall@1/5/10,
 * build time, heap growth, query latency, and the size of the serialised index.
 *
 *   npx tsx bench/index/lexicalLibraries.ts [--out bench/results/index-lexical-libraries.json]
 */
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import MiniSearch from 'minisearch';
import FlexSearch from 'flexsearch';
import { create, insertMultiple, search as oramaSearch, type AnyOrama } from '@orama/orama';
import { codeTerms } from '../../src/codeIndex/terms';
import { median, round } from '../common';
import { callSites, loadRepository, windowChunks, type BenchChunk, type CallSite } from './repository';

interface Library {
  name: string;
  version: string;
  build(chunks: readonly BenchChunk[]): Promise<Searcher>;
}

interface Searcher {
  search(query: string, limit: number): Promise<number[]> | number[];
  serialisedBytes(): number;
}

const terms = (text: string): string[] => codeTerms(text);

const miniSearch: Library = {
  name: 'minisearch',
  version: pkgVersion('minisearch'),
  async build(chunks) {
    const ms = new MiniSearch<{ id: number; text: string }>({ fields: ['text'], tokenize: terms, processTerm: (t) => t });
    ms.addAll(chunks.map((c, id) => ({ id, text: c.text })));
    return {
      search: (q, limit) => ms.search(q, { combineWith: 'OR' }).slice(0, limit).map((r) => r.id as number),
      serialisedBytes: () => JSON.stringify(ms).length,
    };
  },
};

const flexSearch: Library = {
  name: 'flexsearch',
  version: pkgVersion('flexsearch'),
  async build(chunks) {
    const index = new FlexSearch.Index({ tokenize: 'strict', encode: terms, resolution: 9 });
    chunks.forEach((c, id) => index.add(id, c.text));
    return {
      search: (q, limit) => index.search(q, { limit, suggest: true }) as number[],
      serialisedBytes: () => {
        let bytes = 0;
        index.export((key: string | number, data: unknown) => {
          bytes += String(key).length + (typeof data === 'string' ? data.length : JSON.stringify(data ?? '').length);
        });
        return bytes;
      },
    };
  },
};

const orama: Library = {
  name: '@orama/orama',
  version: pkgVersion('@orama/orama'),
  async build(chunks) {
    const db: AnyOrama = create({
      schema: { n: 'number', text: 'string' } as const,
      components: { tokenizer: { language: 'english', normalizationCache: new Map(), tokenize: (raw: string) => terms(raw) } },
    });
    await insertMultiple(db, chunks.map((c, n) => ({ id: String(n), n, text: c.text })), 1000);
    return {
      search: async (q, limit) => {
        const result = await oramaSearch(db, { term: q, properties: ['text'], limit, threshold: 1 });
        return result.hits.map((h) => Number(h.id));
      },
      serialisedBytes: () => JSON.stringify(db.data).length,
    };
  },
};

function pkgVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

interface LibraryResult {
  library: string;
  version: string;
  buildMs: number;
  heapMB: number;
  serialisedMB: number;
  queryMs: { p50: number; p95: number };
  /** The call site's surrounding code as the query (what completion has). */
  recall: Record<'at1' | 'at5' | 'at10', number>;
  /** A question naming the callee (`how does fooBar work`), what a chat question has. */
  recallByName: Record<'at1' | 'at5' | 'at10', number>;
}

async function recallOf(searcher: Searcher, sites: readonly CallSite[], query: (s: CallSite) => string, times: number[]): Promise<Record<'at1' | 'at5' | 'at10', number>> {
  const hits = { at1: 0, at5: 0, at10: 0 };
  for (const site of sites) {
    const s = performance.now();
    const ids = await searcher.search(query(site), 10);
    times.push(performance.now() - s);
    const rank = ids.findIndex((id) => site.targets.includes(id));
    if (rank === 0) hits.at1++;
    if (rank >= 0 && rank < 5) hits.at5++;
    if (rank >= 0 && rank < 10) hits.at10++;
  }
  return { at1: round(hits.at1 / sites.length, 3), at5: round(hits.at5 / sites.length, 3), at10: round(hits.at10 / sites.length, 3) };
}

async function measure(library: Library, chunks: readonly BenchChunk[], sites: readonly CallSite[]): Promise<LibraryResult> {
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const searcher = await library.build(chunks);
  const buildMs = performance.now() - t0;
  global.gc?.();
  const heapMB = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  const times: number[] = [];
  const recall = await recallOf(searcher, sites, (s) => s.query, times);
  const recallByName = await recallOf(searcher, sites, (s) => `how does ${s.name} work`, times);
  times.sort((a, b) => a - b);
  return {
    library: library.name,
    version: library.version,
    buildMs: round(buildMs, 0),
    heapMB: round(heapMB, 1),
    serialisedMB: round(searcher.serialisedBytes() / 1e6, 2),
    queryMs: { p50: round(median(times), 2), p95: round(times[Math.floor(times.length * 0.95)] ?? NaN, 2) },
    recall,
    recallByName,
  };
}

async function main(): Promise<void> {
  const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : 'bench/results/index-lexical-libraries.json';
  const repo = await loadRepository();
  const chunks = windowChunks(repo.files, 40);
  const sites = callSites(repo, chunks, 200, 1234);
  console.log(`${repo.name}: ${repo.files.length} files, ${chunks.length} chunks, ${sites.length} call sites`);
  const results: LibraryResult[] = [];
  // Two rounds in alternating order; the second round's figures are reported (warm JIT for all).
  for (const round of [0, 1]) {
    const order = round === 0 ? [miniSearch, flexSearch, orama] : [orama, flexSearch, miniSearch];
    for (const library of order) {
      const r = await measure(library, chunks, sites);
      if (round === 1) results.push(r);
      console.log(JSON.stringify(r));
    }
  }
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, `${JSON.stringify({ repository: repo.name, files: repo.files.length, chunks: chunks.length, callSites: sites.length, results, date: new Date().toISOString() }, null, 2)}\n`);
}

void main();
