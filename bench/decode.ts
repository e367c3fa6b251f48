import { generateText, type ModelVariant } from '../src/engine';
import { loadEngine, loadPeer, median, round, writeResult, type BenchContext, type Benchmark } from './common';

/**
 * Batch-1 decode speed: the engine and transformers.js generate greedily from the same prompt on
 * the same ONNX file, in alternating rounds so that load from other processes hits both alike.
 * Decode rate = (N - 1) / (time for N new tokens - time for 1 new token).
 */
export interface DecodeOptions {
  variant: Exclude<ModelVariant, 'auto'>;
  newTokens: number;
  rounds: number;
  promptText: string;
}

export async function measureDecode(ctx: BenchContext, modelDir: string, options: DecodeOptions): Promise<Record<string, unknown>> {
  const engine = await loadEngine(modelDir, { variant: options.variant, prefixCacheBytes: 0 });
  const peer = await loadPeer(modelDir, options.variant);
  const ids = engine.encode(options.promptText);
  const n = options.newTokens;
  const timeEngine = async (tokens: number): Promise<number> => {
    const t = performance.now();
    await generateText(engine, { prompt: ids, maxTokens: tokens, stopAtEos: false, usePrefixCache: false });
    return performance.now() - t;
  };
  const timePeer = async (tokens: number): Promise<number> => {
    const t = performance.now();
    await peer.generate(ids, tokens);
    return performance.now() - t;
  };
  // Warm-up, and a check that both produce the same greedy tokens.
  const ours = (await generateText(engine, { prompt: ids, maxTokens: 16, stopAtEos: false })).tokenIds;
  const theirs = await peer.generate(ids, 16);
  const engineRates: number[] = [];
  const peerRates: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const e1 = await timeEngine(1);
    const eN = await timeEngine(n);
    const p1 = await timePeer(1);
    const pN = await timePeer(n);
    const er = ((n - 1) * 1000) / Math.max(1e-6, eN - e1);
    const pr = ((n - 1) * 1000) / Math.max(1e-6, pN - p1);
    engineRates.push(er);
    peerRates.push(pr);
    ratios.push(er / pr);
    ctx.log(`  round ${r + 1}: engine ${round(er, 1)} tok/s, peer ${round(pr, 1)} tok/s, ratio ${round(er / pr)}`);
  }
  await engine.dispose();
  await peer.dispose();
  return {
    variant: options.variant,
    promptTokens: ids.length,
    newTokens: n,
    rounds: options.rounds,
    sameGreedyTokensAsPeer: JSON.stringify(ours) === JSON.stringify(theirs),
    engineTokensPerSecond: round(median(engineRates), 1),
    peerTokensPerSecond: round(median(peerRates), 1),
    ratioMedian: round(median(ratios)),
    ratioPerRound: ratios.map((x) => round(x)),
  };
}

export const decodeBenchmark: Benchmark = {
  name: 'decode',
  summary: 'batch-1 decode tokens/s against transformers.js on the same ONNX files (fp32, q4)',
  async run(ctx) {
    const variants: Array<'fp32' | 'q4'> = ['fp32', 'q4'];
    const results: Record<string, unknown> = {};
    for (const variant of variants) {
      ctx.log(`decode ${variant}`);
      results[variant] = await measureDecode(ctx, ctx.modelDir, {
        variant,
        newTokens: ctx.quick ? 32 : 128,
        rounds: ctx.quick ? 2 : 6,
        promptText: 'import { readFile } from "node:fs/promises";\n\nexport async function loadConfig(path: string) {\n',
      });
    }
    const result = { target: 'engine >= 1.5x peer', results };
    await writeResult(ctx, 'decode', result);
    return result;
  },
};
