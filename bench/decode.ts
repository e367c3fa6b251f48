import { generateText, type ModelVariant } from '../src/engine';
import { loadEngine, loadPeer, median, round, timed, writeResult, type BenchContext, type Benchmark } from './common';

/**
 * Batch-1 decode speed: the engine and transformers.js generate greedily from the same prompt on
 * the same ONNX file, in alternating rounds so that load from other processes hits both alike.
 * Decode rate = (N - 1) / (time for N new tokens - time for 1 new token), in wall-clock time and
 * in this process's CPU time (the latter is steadier when other processes compete for the cores).
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
  const timeEngine = (tokens: number) => timed(() => generateText(engine, { prompt: ids, maxTokens: tokens, stopAtEos: false, usePrefixCache: false }));
  const timePeer = (tokens: number) => timed(() => peer.generate(ids, tokens));
  // Warm-up, and a check that both produce the same greedy tokens.
  const ours = (await generateText(engine, { prompt: ids, maxTokens: 16, stopAtEos: false })).tokenIds;
  const theirs = await peer.generate(ids, 16);
  const rate = (one: { wallMs: number; cpuMs: number }, many: { wallMs: number; cpuMs: number }) => ({
    wall: ((n - 1) * 1000) / Math.max(1e-6, many.wallMs - one.wallMs),
    cpu: ((n - 1) * 1000) / Math.max(1e-6, many.cpuMs - one.cpuMs),
  });
  const engineRates: number[] = [];
  const peerRates: number[] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    // Alternate who goes first in a round.
    const runEngine = async () => rate(await timeEngine(1), await timeEngine(n));
    const runPeer = async () => rate(await timePeer(1), await timePeer(n));
    let e;
    let p;
    if (r % 2 === 0) {
      e = await runEngine();
      p = await runPeer();
    } else {
      p = await runPeer();
      e = await runEngine();
    }
    engineRates.push(e.wall);
    peerRates.push(p.wall);
    ratios.push(e.wall / p.wall);
    cpuRatios.push(e.cpu / p.cpu);
    ctx.log(`  round ${r + 1}: engine ${round(e.wall, 1)} tok/s, peer ${round(p.wall, 1)} tok/s, ratio ${round(e.wall / p.wall)} (per CPU second: ${round(e.cpu / p.cpu)})`);
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
    cpuTimeRatioMedian: round(median(cpuRatios)),
    cpuTimeRatioPerRound: cpuRatios.map((x) => round(x)),
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
