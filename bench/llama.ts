import { execFile } from 'node:child_process';
import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { qwenCoderTemplate } from '../src/completion/fimTemplates';
import { commonPrefixLength, loadTokenizer, median, memoryReadBandwidth, round, runCliProbe, writeResult, type BenchContext, type Benchmark } from './common';
import { CONCURRENCY_PROMPTS } from './concurrency';
import type { ContenderName, LlamaWorkload } from './llamaProbe';
import { SCALE_MODEL_DIR } from './scale';
import { TYPING_SOURCE } from './typing';

/**
 * The engine against llama.cpp on the same weights: the random-weight model with
 * Qwen2.5-Coder-0.5B dimensions as ONNX (the engine) and as GGUF (llama.cpp through
 * node-llama-cpp, and native llama-bench when built). Every contender runs in a fresh process per
 * round, rounds alternate who goes first, and each figure is the median of per-round ratios.
 */
export const LLAMA_BENCH_BIN = 'tools/model/work/llama.cpp/build/bin/llama-bench';

interface Variant {
  name: 'q4' | 'int8' | 'fp32';
  gguf: string;
  label: string;
}

const VARIANTS: readonly Variant[] = [
  { name: 'q4', gguf: 'model-q4_0.gguf', label: '4-bit: q4 (MatMulNBits) vs Q4_0' },
  { name: 'int8', gguf: 'model-q8_0.gguf', label: '8-bit: int8 (MatMulInteger) vs Q8_0' },
  { name: 'fp32', gguf: 'model-f32.gguf', label: 'fp32 vs F32' },
];

export type Probe = Record<string, unknown> & {
  decodeTokens: number[];
  decodeTokensPerSecond: number;
  timeToFirstTokenMs: Record<string, number>;
  typing: { ttftMs: number[]; decodeTokensPerSecond: number; outputs: number[][] };
  concurrencyTokensPerSecond: Record<string, number>;
  peakRssBatch1MiB: number;
  peakRssMiB: number;
  loadMs: number;
  loadAverage: number;
};

const PREFILL_LENGTHS = [512, 1536];
const TYPING_HEAD_TOKENS = 1000;
const TYPING_SUFFIX_CHARS = 200;

/** The same token ids for every contender, written to a file each probe reads. */
export async function buildWorkload(modelDir: string, quick: boolean): Promise<LlamaWorkload> {
  const tokenizer = await loadTokenizer(modelDir);
  const source = readFileSync(path.resolve(TYPING_SOURCE), 'utf8');
  const sourceIds = tokenizer.encode(source);
  if (sourceIds.length < Math.max(...PREFILL_LENGTHS)) throw new Error(`${TYPING_SOURCE} is shorter than the longest prefill prompt`);
  const start = tokenizer.decode(sourceIds.slice(0, TYPING_HEAD_TOKENS)).length;
  const keystrokes = quick ? 6 : 30;
  const typingPrompts = Array.from({ length: keystrokes }, (_, i) => {
    const cursor = start + i + 1;
    const text = qwenCoderTemplate.render(source.slice(0, cursor), source.slice(cursor, cursor + TYPING_SUFFIX_CHARS), { filePath: '', languageId: '', snippets: [] });
    return tokenizer.encode(text);
  });
  return {
    decode: { prompt: tokenizer.encode('import { promises as fs } from "node:fs";\n\nexport async function readJson(file: string) {\n'), tokens: quick ? 16 : 64 },
    prefill: PREFILL_LENGTHS.map((n) => ({ label: String(n), prompt: sourceIds.slice(0, n) })),
    typing: { prompts: typingPrompts, tokens: quick ? 8 : 16 },
    concurrency: { prompts: CONCURRENCY_PROMPTS.slice(0, 8).map((p) => tokenizer.encode(p)), tokens: quick ? 8 : 32, levels: [1, 4, 8] },
    threads: 2,
    contextSize: 2048,
  };
}

/** Bytes of weights read per generated token: every tensor, but only one row of an embedding the output does not reuse. */
async function ggufBytesPerToken(file: string): Promise<number> {
  const { readGgufFileInfo } = await import('node-llama-cpp');
  const info = await readGgufFileInfo(file, { readTensorInfo: true });
  const tensors = [...(info.fullTensorInfo ?? [])].sort((a, b) => Number(a.fileOffset) - Number(b.fileOffset));
  const size = statSync(file).size;
  const bytes = new Map(tensors.map((t, i) => [t.name, Number(tensors[i + 1]?.fileOffset ?? size) - Number(t.fileOffset)]));
  const untied = bytes.has('output.weight');
  return [...bytes].reduce((n, [name, b]) => n + (untied && name === 'token_embd.weight' ? 0 : b), 0);
}

function onnxBytesPerToken(modelDir: string, variant: string): number {
  const sizes = JSON.parse(readFileSync(path.join(modelDir, 'sizes.json'), 'utf8')) as { weight_bytes_per_token: Record<string, number> };
  return sizes.weight_bytes_per_token[variant] ?? NaN;
}

/** Native llama-bench, one repetition per round: prompt processing and generation tokens/s. */
async function llamaBench(gguf: string, w: LlamaWorkload): Promise<Record<string, number>> {
  const args = ['-m', gguf, '-t', String(w.threads), '-p', PREFILL_LENGTHS.join(','), '-n', String(w.decode.tokens), '-r', '1', '-o', 'json'];
  const { stdout } = await promisify(execFile)(path.resolve(LLAMA_BENCH_BIN), args, { maxBuffer: 16 << 20 });
  const rows = JSON.parse(stdout) as Array<{ n_prompt: number; n_gen: number; avg_ts: number }>;
  const out: Record<string, number> = {};
  for (const r of rows) out[r.n_gen > 0 ? `tg${r.n_gen}` : `pp${r.n_prompt}`] = round(r.avg_ts, 2);
  return out;
}

/** One contender in a fresh process; `gguf` is llama.cpp's file, `modelDir` the engine's folder. */
export async function probe(workload: string, contender: ContenderName, variant: string, modelDir: string, gguf: string): Promise<Probe> {
  const loadAverage = round(os.loadavg()[0]!, 2);
  const result = await runCliProbe(['bench', 'llama-probe', workload, contender, variant, modelDir, gguf]);
  return { ...(result as Probe), loadAverage };
}

interface Round {
  engine: Probe;
  llama: Probe;
  lookup?: Probe;
  native?: Record<string, number>;
}

async function runRound(ctx: BenchContext, r: number, variant: Variant, workload: string, modelDir: string, native: boolean, w: LlamaWorkload): Promise<Round> {
  const contenders: ContenderName[] = variant.name === 'q4' ? ['autoglm', 'llama.cpp', 'autoglm-lookup'] : ['autoglm', 'llama.cpp'];
  const got = new Map<ContenderName, Probe>();
  for (let k = 0; k < contenders.length; k++) {
    const c = contenders[(r + k) % contenders.length]!;
    got.set(c, await probe(workload, c, variant.name, modelDir, path.join(modelDir, 'gguf', variant.gguf)));
    ctx.log(`  round ${r + 1} ${variant.name} ${c}: decode ${got.get(c)!.decodeTokensPerSecond} tok/s, typing TTFT ${round(median(got.get(c)!.typing.ttftMs), 1)} ms`);
  }
  const round_: Round = { engine: got.get('autoglm')!, llama: got.get('llama.cpp')! };
  if (got.has('autoglm-lookup')) round_.lookup = got.get('autoglm-lookup')!;
  if (native) round_.native = await llamaBench(path.join(modelDir, 'gguf', variant.gguf), w);
  return round_;
}

export const medianOf = <R>(rounds: readonly R[], f: (r: R) => number) => round(median(rounds.map(f)), 2);

export function contenderSummary<R>(rounds: readonly R[], pick: (r: R) => Probe, w: LlamaWorkload): Record<string, unknown> {
  const m = (f: (p: Probe) => number) => medianOf(rounds, (r) => f(pick(r)));
  return {
    decodeTokensPerSecond: m((p) => p.decodeTokensPerSecond),
    timeToFirstTokenMs: Object.fromEntries(w.prefill.map((p) => [p.label, m((x) => x.timeToFirstTokenMs[p.label]!)])),
    typingMedianTtftMs: m((p) => median(p.typing.ttftMs)),
    typingDecodeTokensPerSecond: m((p) => p.typing.decodeTokensPerSecond),
    concurrencyTokensPerSecond: Object.fromEntries(w.concurrency.levels.map((l) => [l, m((p) => p.concurrencyTokensPerSecond[l]!)])),
    peakRssBatch1MiB: m((p) => p.peakRssBatch1MiB),
    peakRssMiB: m((p) => p.peakRssMiB),
    loadMs: m((p) => p.loadMs),
  };
}

/** engine / llama.cpp per round, as speed (above 1: the engine is faster) or, for memory, as size. */
/** Contender `a` over `b` per round, medians: speed ratios (above 1: `a` is faster), and memory as size. */
export function probeRatios<R>(rounds: readonly R[], a: (r: R) => Probe, b: (r: R) => Probe, w: LlamaWorkload): Record<string, unknown> {
  const r = (f: (x: R) => number) => medianOf(rounds, f);
  return {
    decode: r((x) => a(x).decodeTokensPerSecond / b(x).decodeTokensPerSecond),
    timeToFirstToken: Object.fromEntries(w.prefill.map((p) => [p.label, r((x) => b(x).timeToFirstTokenMs[p.label]! / a(x).timeToFirstTokenMs[p.label]!)])),
    typingTtft: r((x) => median(b(x).typing.ttftMs) / median(a(x).typing.ttftMs)),
    peakMemoryBatch1: r((x) => a(x).peakRssBatch1MiB / b(x).peakRssBatch1MiB),
  };
}

function ratios(rounds: readonly Round[], w: LlamaWorkload): Record<string, unknown> {
  const r = (f: (x: Round) => number) => medianOf(rounds, f);
  return {
    ...probeRatios(rounds, (x) => x.engine, (x) => x.llama, w),
    concurrency: Object.fromEntries(w.concurrency.levels.map((l) => [l, r((x) => x.engine.concurrencyTokensPerSecond[l]! / x.llama.concurrencyTokensPerSecond[l]!)])),
    ...(rounds[0]?.native
      ? {
          decodeVsLlamaBench: r((x) => x.engine.decodeTokensPerSecond / x.native![`tg${w.decode.tokens}`]!),
          prefillVsLlamaBench: Object.fromEntries(w.prefill.map((p) => [p.label, r((x) => (p.prompt.length * 1000) / x.engine.timeToFirstTokenMs[p.label]! / x.native![`pp${p.label}`]!)])),
        }
      : {}),
  };
}

function lookupSummary(rounds: readonly Round[]): Record<string, unknown> | undefined {
  const withLookup = rounds.filter((r) => r.lookup);
  if (withLookup.length === 0) return undefined;
  const drafted = withLookup.reduce((n, r) => n + Number(r.lookup!['draftedTokens']), 0);
  const accepted = withLookup.reduce((n, r) => n + Number(r.lookup!['acceptedDraftTokens']), 0);
  return {
    typingDecodeTokensPerSecond: medianOf(withLookup, (r) => r.lookup!.typing.decodeTokensPerSecond),
    typingDecodeSpeedup: medianOf(withLookup, (r) => r.lookup!.typing.decodeTokensPerSecond / r.engine.typing.decodeTokensPerSecond),
    typingTtftRatio: medianOf(withLookup, (r) => median(r.engine.typing.ttftMs) / median(r.lookup!.typing.ttftMs)),
    draftedTokens: drafted,
    acceptedDraftTokens: accepted,
    acceptanceRate: round(accepted / Math.max(1, drafted), 3),
    outputsEqualWithoutLookup: withLookup.every((r) => JSON.stringify(r.lookup!.typing.outputs) === JSON.stringify(r.engine.typing.outputs)),
  };
}

function variantSummary(variant: Variant, rounds: readonly Round[], w: LlamaWorkload, modelDir: string, bandwidth: number): Promise<Record<string, unknown>> {
  return ggufBytesPerToken(path.join(modelDir, 'gguf', variant.gguf)).then((ggufBytes) => {
    const onnxBytes = onnxBytesPerToken(modelDir, variant.name);
    const engine = contenderSummary(rounds, (r) => r.engine, w);
    const llama = contenderSummary(rounds, (r) => r.llama, w);
    const share = (rate: number, bytes: number) => round((rate * bytes) / bandwidth, 3);
    return {
      label: variant.label,
      gguf: variant.gguf,
      engine,
      llamaCpp: llama,
      ...(rounds[0]?.native ? { llamaBench: Object.fromEntries(Object.keys(rounds[0].native).map((k) => [k, medianOf(rounds, (r) => r.native![k]!)])) } : {}),
      engineOverLlamaCpp: ratios(rounds, w),
      engineBatchingSpeedup8: medianOf(rounds, (r) => r.engine.concurrencyTokensPerSecond[8]! / r.engine.concurrencyTokensPerSecond[1]!),
      llamaBatchingSpeedup8: medianOf(rounds, (r) => r.llama.concurrencyTokensPerSecond[8]! / r.llama.concurrencyTokensPerSecond[1]!),
      bytesReadPerToken: { engine: onnxBytes, llamaCpp: ggufBytes },
      bandwidthShare: { engine: share(engine.decodeTokensPerSecond as number, onnxBytes), llamaCpp: share(llama.decodeTokensPerSecond as number, ggufBytes) },
      greedyLeadingAgreement: rounds.map((r) => commonPrefixLength(r.engine.decodeTokens, r.llama.decodeTokens)),
      engineInt8Rewritten: rounds[0]?.engine['int8Rewritten'],
      llamaContext: { contextSize: rounds[0]?.llama['contextSize'], flashAttention: rounds[0]?.llama['flashAttention'], threads: rounds[0]?.llama['threads'] },
      lookup: lookupSummary(rounds),
      perRound: rounds,
    };
  });
}

function missingFiles(modelDir: string): string[] {
  const need = ['config.json', 'sizes.json', ...VARIANTS.map((v) => path.join('gguf', v.gguf))];
  return need.filter((f) => !existsSync(path.join(modelDir, f)));
}

export const llamaBenchmark: Benchmark = {
  name: 'llama',
  summary: 'the engine against llama.cpp (node-llama-cpp, llama-bench) on the same 0.5B-size weights: decode, prefill, typing, batching, memory',
  async run(ctx) {
    const modelDir = path.resolve(SCALE_MODEL_DIR);
    const missing = missingFiles(modelDir);
    if (missing.length > 0) {
      const result = { available: false, note: `missing ${missing.join(', ')} in ${SCALE_MODEL_DIR}; make them as bench/README.md says` };
      await writeResult({ ...ctx, modelDir }, 'llama', result);
      return result;
    }
    const w = await buildWorkload(modelDir, ctx.quick);
    const workload = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-llama-')), 'workload.json');
    await fs.writeFile(workload, JSON.stringify(w));
    const native = existsSync(LLAMA_BENCH_BIN);
    const bandwidth = await memoryReadBandwidth(w.threads);
    const rounds = ctx.quick ? 1 : 3;
    const results: Record<string, unknown> = {};
    for (const variant of ctx.quick ? VARIANTS.slice(0, 1) : VARIANTS) {
      ctx.log(`llama ${variant.name}`);
      const got: Round[] = [];
      for (let r = 0; r < rounds; r++) got.push(await runRound(ctx, r, variant, workload, modelDir, native, w));
      results[variant.name] = await variantSummary(variant, got, w, modelDir, bandwidth);
    }
    await fs.rm(path.dirname(workload), { recursive: true, force: true });
    const result = {
      rounds,
      threads: w.threads,
      workload: {
        decodePromptTokens: w.decode.prompt.length,
        decodeTokens: w.decode.tokens,
        prefillTokens: w.prefill.map((p) => p.prompt.length),
        typing: { source: TYPING_SOURCE, keystrokes: w.typing.prompts.length, meanPromptTokens: round(w.typing.prompts.reduce((n, p) => n + p.length, 0) / w.typing.prompts.length, 1), suffixChars: TYPING_SUFFIX_CHARS, tokensPerKeystroke: w.typing.tokens },
        concurrency: { levels: w.concurrency.levels, tokensPerRequest: w.concurrency.tokens },
      },
      llamaBench: native ? LLAMA_BENCH_BIN : 'not built (tools/model/build_llama_cpp.sh)',
      memoryReadBytesPerSecond: Math.round(bandwidth),
      definitions: {
        ratios: 'engine / llama.cpp as speed (above 1: the engine is faster), except peak memory (engine size / llama.cpp size); medians of per-round ratios',
        decode: 'tokens after the first / time after the first token, batch 1, greedy',
        timeToFirstToken: 'prompt of N tokens, no cache, until the first generated token',
        typing: 'FIM request per typed character, each contender with its own prompt cache; median TTFT over the keystrokes after the first',
        bandwidthShare: `decode tokens/s * bytes of weights read per token / memory read bandwidth of ${w.threads} threads (memcmp of 256 MiB buffers)`,
        peakMemory: 'peak resident set of the fresh process after the batch-1 phases (load, decode, prefill, typing)',
      },
      results,
    };
    await writeResult({ ...ctx, modelDir }, 'llama', result);
    return result;
  },
};
