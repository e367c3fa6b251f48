/**
 * The workspace index on a real repository (`repository.ts`: effect's TypeScript sources, copied
 * to a temporary folder so that a change can be made): time and memory to build it, to restore
 * it from its saved copy (a window reload), and to take one changed file; and what a keystroke
 * feels while it builds: a keystroke every 100 ms is simulated on the same event loop, and how
 * late each one runs is measured, during the build (parser in its worker, as the extension runs
 * it), during the same build with the parser on the editor's thread, and with nothing running.
 *
 *   npx tsx --expose-gc bench/index/build.ts [--out bench/results/index-build.json]
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, round } from '../common';
import { buildIndex } from './indexFolder';
import { loadRepository } from './repository';

const KEYSTROKE_MS = 100;

interface Lateness {
  keystrokes: number;
  p50: number;
  p95: number;
  max: number;
}

/** Runs `work` while a keystroke is due every 100 ms; returns how late each one ran. */
async function keystrokesDuring<T>(work: () => Promise<T>): Promise<{ value: T; lateness: Lateness }> {
  const late: number[] = [];
  let due = performance.now() + KEYSTROKE_MS;
  let stop = false;
  const tick = (): void => {
    late.push(performance.now() - due);
    due += KEYSTROKE_MS;
    if (!stop) setTimeout(tick, Math.max(0, due - performance.now()));
  };
  setTimeout(tick, KEYSTROKE_MS);
  const value = await work();
  stop = true;
  late.sort((a, b) => a - b);
  return { value, lateness: { keystrokes: late.length, p50: round(median(late), 1), p95: round(late[Math.floor(late.length * 0.95)] ?? NaN, 1), max: round(late[late.length - 1] ?? NaN, 1) } };
}

async function copyRepository(files: readonly { path: string; text: string }[]): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-index-bench-'));
  for (const f of files) {
    await fs.mkdir(path.dirname(path.join(dir, f.path)), { recursive: true });
    await fs.writeFile(path.join(dir, f.path), f.text);
  }
  return dir;
}

const mb = (bytes: number): number => round(bytes / 1e6, 1);

async function main(): Promise<void> {
  const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : 'bench/results/index-build.json';
  const repo = await loadRepository();
  const root = await copyRepository(repo.files);
  const store = path.join(root, '..', `${path.basename(root)}-index.json`);
  const bytes = repo.files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);

  const idle = await keystrokesDuring(() => new Promise((r) => setTimeout(r, 3000)));
  // The same build with the parser on this thread: what a keystroke would feel without the worker.
  const inThread = await keystrokesDuring(() => buildIndex(root, { outliner: 'thread' }));
  const inThreadMs = inThread.value.report.ms;
  const wasmMB = mb(inThread.value.wasmBytes ?? 0);
  inThread.value.dispose();
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = process.memoryUsage().rss;
  const built = await keystrokesDuring(() => buildIndex(root, { storeFile: store }));
  global.gc?.();
  const memory = { heapMB: mb(process.memoryUsage().heapUsed - heapBefore), rssGrowthMB: mb(process.memoryUsage().rss - rssBefore), parserWasmMB: wasmMB };

  const changed = repo.files.find((f) => f.path === 'Effect.ts') ?? repo.files[0]!;
  await fs.appendFile(path.join(root, changed.path), '\nexport const addedByTheBenchmark = (n: number): number => n + 1\n');
  const t0 = performance.now();
  built.value.builder.fileChanged(changed.path);
  await built.value.builder.settled();
  const updateMs = performance.now() - t0;
  const found = built.value.index.definitions('addedByTheBenchmark').length === 1;
  built.value.dispose();

  const restored = await keystrokesDuring(() => buildIndex(root, { storeFile: store }));
  restored.value.dispose();
  const storeBytes = (await fs.stat(store)).size;

  const result = {
    benchmark: 'workspace index: build, restore, update, keystrokes while building',
    repository: repo.name,
    files: repo.files.length,
    sourceMB: mb(bytes),
    cpus: os.cpus().length,
    loadAverage1m: round(os.loadavg()[0]!),
    build: { ms: Math.round(built.value.report.ms), filesPerSecond: Math.round((built.value.report.files * 1000) / built.value.report.ms), chunks: built.value.index.chunkCount, ...memory },
    restoreAfterReload: { ms: Math.round(restored.value.report.ms), restored: restored.value.report.restored, cutAgain: restored.value.report.cut, savedMB: mb(storeBytes) },
    updateOneFile: { file: changed.path, fileKB: round(Buffer.byteLength(changed.text) / 1024, 0), ms: round(updateMs, 1), newDefinitionFound: found },
    buildWithParserOnThisThread: { ms: Math.round(inThreadMs) },
    keystrokeLatenessMs: { idle: idle.lateness, whileBuilding: built.lateness, whileBuildingParserOnThisThread: inThread.lateness, whileRestoring: restored.lateness },
    date: new Date().toISOString(),
  };
  await fs.rm(root, { recursive: true, force: true });
  await fs.rm(store, { force: true });
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

void main();
