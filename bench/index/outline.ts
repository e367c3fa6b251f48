/**
 * Outline time of the workspace index on a real TypeScript code base: every .ts file under
 * node_modules/effect/src, parsed, chunked and searched for definitions, one after the other.
 * Usage: npx tsx bench/index/outline.ts [--out bench/results/index-outline.json]
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { languageOfPath } from '../../src/codeIndex/languages';
import { syntaxAssetsFromPackages } from '../../src/codeIndex/packageAssets';
import { SyntaxOutliner } from '../../src/codeIndex/syntax';

const root = path.resolve(__dirname, '..', '..');
const corpus = path.join(root, 'node_modules', 'effect', 'src');

async function tsFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map((e) => (e.isDirectory() ? tsFiles(path.join(dir, e.name)) : Promise.resolve(e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []))),
  );
  return nested.flat().sort();
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: path.join(root, 'bench', 'results', 'index-outline.json') } } });
  const files = await tsFiles(corpus);
  const texts = await Promise.all(files.map(async (f) => ({ path: path.relative(corpus, f), text: await fs.readFile(f, 'utf8') })));
  const createStart = performance.now();
  const outliner = await SyntaxOutliner.create(syntaxAssetsFromPackages());
  const createMs = performance.now() - createStart;
  const times: number[] = [];
  const cutBy = { syntax: 0, lines: 0 };
  let chunks = 0;
  let definitions = 0;
  let chars = 0;
  let peakRss = process.memoryUsage().rss;
  const wallStart = performance.now();
  for (const file of texts) {
    const start = performance.now();
    const outline = outliner.outline({ path: file.path, languageId: languageOfPath(file.path) ?? 'plaintext', text: file.text });
    times.push(performance.now() - start);
    cutBy[outline.cutBy]++;
    chunks += outline.chunks.length;
    definitions += outline.definitions.length;
    chars += file.text.length;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const wallMs = performance.now() - wallStart;
  const sorted = [...times].sort((a, b) => a - b);
  const bytes = texts.reduce((sum, f) => sum + Buffer.byteLength(f.text), 0);
  const result = {
    benchmark: 'index-outline',
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version, loadAverageAtStart: os.loadavg().map((l) => round(l)) },
    corpus: { package: 'effect@3.19.0', folder: 'node_modules/effect/src', files: files.length, megabytes: round(bytes / 2 ** 20, 3), chars },
    createMs: round(createMs, 1),
    perFileMs: { median: round(quantile(sorted, 0.5), 3), p90: round(quantile(sorted, 0.9), 3), p99: round(quantile(sorted, 0.99), 3), max: round(sorted.at(-1) ?? NaN, 1), mean: round(wallMs / files.length, 3) },
    msPerMegabyte: round(wallMs / (bytes / 2 ** 20), 1),
    totalMs: round(wallMs, 1),
    cutBy,
    chunks,
    definitions,
    wasmMemoryMiB: round(outliner.wasmMemoryBytes() / 2 ** 20, 1),
    peakRssMiB: round(peakRss / 2 ** 20, 1),
  };
  outliner.dispose();
  await fs.writeFile(values.out!, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

void main();
