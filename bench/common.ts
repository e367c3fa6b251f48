import { execSync, spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as Transformers from '@huggingface/transformers';
import { Engine, type EngineOptions } from '../src/engine';
import { readModelFolder } from '../src/engine/modelFolder';
import { TextTokenizer } from '../src/engine/tokenizer';

/** Shared helpers of the benchmarks: statistics, result files, the peer, machine facts. */

export interface BenchContext {
  modelDir: string;
  /** Folder the JSON results are written to. */
  outDir: string;
  /** Fewer rounds and tokens, for a smoke run. */
  quick: boolean;
  log(line: string): void;
}

export interface Benchmark {
  name: string;
  summary: string;
  run(ctx: BenchContext): Promise<Record<string, unknown>>;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function machine(): Record<string, unknown> {
  let ort = 'unknown';
  try {
    const pkg = path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'package.json');
    ort = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    // reported as unknown
  }
  let load: number[] = os.loadavg();
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = execSync("grep -m1 'model name' /proc/cpuinfo", { encoding: 'utf8' }).split(':')[1]?.trim() ?? cpuModel;
  } catch {
    // keep os.cpus()
  }
  load = load.map((l) => round(l, 2));
  return {
    cpu: cpuModel,
    cores: os.availableParallelism(),
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    onnxruntimeNode: ort,
    loadAverageAtStart: load,
  };
}

export async function writeResult(ctx: BenchContext, name: string, result: Record<string, unknown>): Promise<string> {
  await fs.mkdir(ctx.outDir, { recursive: true });
  const file = path.join(ctx.outDir, `${name}.json`);
  const body = { benchmark: name, date: new Date().toISOString(), machine: machine(), model: path.relative(process.cwd(), ctx.modelDir) || ctx.modelDir, ...result };
  await fs.writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

export async function loadEngine(modelDir: string, options: Partial<EngineOptions> = {}): Promise<Engine> {
  return Engine.load({ modelDir, provider: 'cpu', ...options });
}

/** The peer: transformers.js generating greedily on the same ONNX file. */
export interface Peer {
  generate(ids: readonly number[], newTokens: number): Promise<number[]>;
  dispose(): Promise<void>;
}

type PeerVariant = 'fp32' | 'q4' | 'int8' | 'fp16';

export async function loadPeer(modelDir: string, variant: PeerVariant, threads?: number): Promise<Peer> {
  // Imported only here: the CLI bundle keeps transformers.js external, and only benchmarks need it.
  let tf: typeof Transformers;
  try {
    tf = await import('@huggingface/transformers');
  } catch (err) {
    throw new Error(`the benchmark peer @huggingface/transformers is not installed (run the benchmarks from a checkout after npm install): ${(err as Error).message}`);
  }
  tf.env.allowRemoteModels = false;
  tf.env.localModelPath = `${path.dirname(path.resolve(modelDir))}${path.sep}`;
  const model = await tf.AutoModelForCausalLM.from_pretrained(path.basename(path.resolve(modelDir)), {
    dtype: variant,
    device: 'cpu',
    local_files_only: true,
    ...(threads ? { session_options: { intraOpNumThreads: threads } } : {}),
  });
  return {
    async generate(ids, newTokens) {
      const n = ids.length;
      const inputIds = new tf.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]);
      const attentionMask = new tf.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]);
      const out = (await model.generate({
        input_ids: inputIds,
        attention_mask: attentionMask,
        max_new_tokens: newTokens,
        min_new_tokens: newTokens,
        do_sample: false,
      } as never)) as { data: BigInt64Array };
      return Array.from(out.data.slice(n), Number);
    },
    async dispose() {
      await model.dispose();
    },
  };
}

/** Memory copy bandwidth in bytes copied per second (a buffer far larger than the caches, best of several runs). */
export function memoryCopyBandwidth(bytes = 256 << 20, runs = 5): number {
  const src = new Uint8Array(bytes).fill(1);
  const dst = new Uint8Array(bytes);
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    dst.set(src);
    best = Math.min(best, performance.now() - t);
  }
  return bytes / (best / 1000);
}

/** A worker comparing two equal buffers on request: memcmp reads both, writes nothing. */
const READER = `const { parentPort, workerData } = require('node:worker_threads');
const a = Buffer.alloc(workerData, 1);
const b = Buffer.alloc(workerData, 1);
parentPort.on('message', () => { Buffer.compare(a, b); parentPort.postMessage(0); });`;

/**
 * Memory read bandwidth in bytes per second with `threads` threads reading at once (each
 * comparing two buffers far larger than the caches; best of several runs): the limit a decode
 * step that reads every weight once cannot pass.
 */
export async function memoryReadBandwidth(threads: number, bytes = 256 << 20, runs = 5): Promise<number> {
  const workers = Array.from({ length: threads }, () => new Worker(READER, { eval: true, workerData: bytes }));
  const once = () => Promise.all(workers.map((w) => new Promise((resolve) => { w.once('message', resolve); w.postMessage(0); })));
  try {
    await once();
    let best = Infinity;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await once();
      best = Math.min(best, performance.now() - t);
    }
    return (2 * bytes * threads) / (best / 1000);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Wall-clock and process CPU milliseconds spent in `fn`. CPU time is less disturbed by other processes competing for the cores. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { value, wallMs, cpuMs: (used.user + used.system) / 1000 };
}

export function rssMiB(): number {
  return round(process.memoryUsage().rss / 2 ** 20, 1);
}

/** How many leading items two token lists share. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** A model folder's tokenizer alone, without loading its weights. */
export async function loadTokenizer(modelDir: string): Promise<TextTokenizer> {
  const folder = await readModelFolder(modelDir);
  return TextTokenizer.create(path.join(folder.dir, 'tokenizer.json'), folder.tokenizerJson, folder.tokenizerConfig);
}

/** Runs this command again in a fresh process with `args` and returns the JSON of its last output line. */
export function runCliProbe(args: readonly string[]): Promise<Record<string, unknown>> {
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot find the command to re-run');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, entry, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch (err) {
        reject(new Error(`${args.slice(0, 2).join(' ')} failed: ${(err as Error).message}: ${out.slice(-2000)}`));
      }
    });
  });
}
