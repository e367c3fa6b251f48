import { generateText, type Engine } from '../src/engine';
import { loadEngine, median, round, timed, writeResult, type BenchContext, type Benchmark } from './common';

/**
 * Aggregate decode throughput with 1, 4, 8 and 16 requests running at once (different prompts,
 * same length). The sequential rate is the 1-request rate; continuous batching should multiply it.
 */
export const CONCURRENCY_PROMPTS = [
  'import { readFile } from "node:fs/promises";\n',
  'function fibonacci(n) {\n',
  'export class Queue<T> {\n',
  'def parse_args(argv):\n',
  'const server = http.createServer((req, res) => {\n',
  'SELECT id, name FROM users WHERE',
  '#include <stdio.h>\nint main(void) {\n',
  'interface Options {\n  timeout: number;\n',
  'for (let i = 0; i < items.length; i++) {\n',
  'class Stack:\n    def __init__(self):\n',
  'export default function App() {\n  return (\n',
  'fn main() {\n    let mut v = Vec::new();\n',
  'package main\n\nimport "fmt"\n\nfunc main() {\n',
  '/**\n * Returns the sum of the values.\n */\n',
  'try {\n  const data = JSON.parse(text);\n',
  'public static void main(String[] args) {\n',
];

/** Aggregate tokens per wall-clock second and per CPU second of this process. */
async function aggregate(engine: Engine, concurrency: number, tokens: number): Promise<{ wall: number; cpu: number }> {
  const { value: results, wallMs, cpuMs } = await timed(() =>
    Promise.all(
      Array.from({ length: concurrency }, (_, i) =>
        generateText(engine, { prompt: CONCURRENCY_PROMPTS[i % CONCURRENCY_PROMPTS.length]!, maxTokens: tokens, stopAtEos: false, usePrefixCache: false }),
      ),
    ),
  );
  const generated = results.reduce((n, r) => n + r.stats.generatedTokens, 0);
  return { wall: (generated * 1000) / wallMs, cpu: (generated * 1000) / cpuMs };
}

export async function measureConcurrency(ctx: BenchContext, variant: 'fp32' | 'q4', levels: number[], tokens: number, rounds: number): Promise<Record<string, unknown>> {
  const engine = await loadEngine(ctx.modelDir, { variant, maxBatch: 16, prefixCacheBytes: 0 });
  await aggregate(engine, 2, 8); // warm-up
  const rates = new Map<number, number[]>(levels.map((l) => [l, []]));
  const ratios = new Map<number, number[]>(levels.map((l) => [l, []]));
  const cpuRatios = new Map<number, number[]>(levels.map((l) => [l, []]));
  for (let r = 0; r < rounds; r++) {
    // Measure the sequential rate in each round, next to the others, and compare within the round.
    const base = await aggregate(engine, 1, tokens);
    for (const level of levels) {
      const rate = level === 1 ? base : await aggregate(engine, level, tokens);
      rates.get(level)!.push(rate.wall);
      ratios.get(level)!.push(rate.wall / base.wall);
      cpuRatios.get(level)!.push(rate.cpu / base.cpu);
    }
    ctx.log(`  round ${r + 1}: ${levels.map((l) => `${l}: ${round(rates.get(l)!.at(-1)!, 0)} tok/s (x${round(ratios.get(l)!.at(-1)!, 1)}, per CPU s x${round(cpuRatios.get(l)!.at(-1)!, 1)})`).join(', ')}`);
  }
  await engine.dispose();
  return {
    variant,
    tokensPerRequest: tokens,
    rounds,
    aggregateTokensPerSecond: Object.fromEntries(levels.map((l) => [l, round(median(rates.get(l)!), 1)])),
    speedupOverSequential: Object.fromEntries(levels.map((l) => [l, round(median(ratios.get(l)!), 2)])),
    tokensPerCpuSecondOverSequential: Object.fromEntries(levels.map((l) => [l, round(median(cpuRatios.get(l)!), 2)])),
  };
}

export const concurrencyBenchmark: Benchmark = {
  name: 'concurrency',
  summary: 'aggregate tokens/s at 1, 4, 8 and 16 concurrent requests (continuous batching)',
  async run(ctx) {
    const levels = [1, 4, 8, 16];
    const results: Record<string, unknown> = {};
    for (const variant of ['fp32', 'q4'] as const) {
      ctx.log(`concurrency ${variant}`);
      results[variant] = await measureConcurrency(ctx, variant, levels, ctx.quick ? 24 : 64, ctx.quick ? 2 : 4);
    }
    const result = { target: 'aggregate at 8 concurrent >= 4x the sequential rate', results };
    await writeResult(ctx, 'concurrency', result);
    return result;
  },
};
