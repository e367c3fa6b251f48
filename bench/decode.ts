import { generateText } from '../src/engine';
import { loadEngine, loadPeer, median, round, timed, writeResult, type BenchContext, type Benchmark } from './common';

/**
 * Batch-1 decode speed: the engine and transformers.js generate greedily from the same prompt on
 * the same ONNX file, in alternating rounds so that load from other processes hits both alike.
 * Decode rate = (N - 1) / (time for N new tokens - time for 1 new token), in wall-clock time and
 * in this process's CPU time (the latter is steadier when other processes compete for the cores).
 */
export interface DecodeOptions {
  /** The variants transformers.js (the peer) loads by the same file name. */
  variant: 'fp32' | 'q4' | 'int8' | 'fp16';
  newTokens: number;
  rounds: number;
  promptText: string;
}

export async function measureDecode(ctx: BenchContext, modelDir: string, options: DecodeOptions): Promise<Record<string, unknown>> {
  const engine = await loadEngine(modelDir, { variant: options.variant, prefixCacheBytes: 0 });
  // The peer as users get it (onnxruntime's default threads), and with the engine's thread count.
  const peer = await loadPeer(modelDir, options.variant);
  const engineThreads = engine.model.threads;
  const peerSameThreads = engineThreads === undefined ? undefined : await loadPeer(modelDir, options.variant, engineThreads);
  const ids = engine.encode(options.promptText);
  const n = options.newTokens;
  type Rate = { wall: number; cpu: number };
  const rate = (one: { wallMs: number; cpuMs: number }, many: { wallMs: number; cpuMs: number }): Rate => ({
    wall: ((n - 1) * 1000) / Math.max(1e-6, many.wallMs - one.wallMs),
    cpu: ((n - 1) * 1000) / Math.max(1e-6, many.cpuMs - one.cpuMs),
  });
  const contenders: Array<{ name: string; run: (tokens: number) => Promise<unknown> }> = [
    { name: 'engine', run: (tokens) => generateText(engine, { prompt: ids, maxTokens: tokens, stopAtEos: false, usePrefixCache: false }) },
    { name: 'peer', run: (tokens) => peer.generate(ids, tokens) },
    ...(peerSameThreads ? [{ name: 'peerSameThreads', run: (tokens: number) => peerSameThreads.generate(ids, tokens) }] : []),
  ];
  // Warm-up, and a check that both produce the same greedy tokens.
  const ours = (await generateText(engine, { prompt: ids, maxTokens: 16, stopAtEos: false })).tokenIds;
  const theirs = await peer.generate(ids, 16);
  const rates = new Map<string, Rate[]>(contenders.map((c) => [c.name, []]));
  for (let r = 0; r < options.rounds; r++) {
    // Rotate who goes first in a round.
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(r + k) % contenders.length]!;
      rates.get(c.name)!.push(rate(await timed(() => c.run(1)), await timed(() => c.run(n))));
    }
    const e = rates.get('engine')!.at(-1)!;
    ctx.log(`  round ${r + 1}: ${contenders.map((c) => `${c.name} ${round(rates.get(c.name)!.at(-1)!.wall, 1)} tok/s`).join(', ')}; engine/peer ${round(e.wall / rates.get('peer')!.at(-1)!.wall)}`);
  }
  await engine.dispose();
  await peer.dispose();
  await peerSameThreads?.dispose();
  const summary = (name: string) => {
    const mine = rates.get('engine')!;
    const theirs = rates.get(name)!;
    return {
      tokensPerSecond: round(median(theirs.map((x) => x.wall)), 1),
      engineOverPeer: round(median(mine.map((x, i) => x.wall / theirs[i]!.wall))),
      engineOverPeerPerRound: mine.map((x, i) => round(x.wall / theirs[i]!.wall)),
      engineOverPeerPerCpuSecond: round(median(mine.map((x, i) => x.cpu / theirs[i]!.cpu))),
    };
  };
  return {
    variant: options.variant,
    promptTokens: ids.length,
    newTokens: n,
    rounds: options.rounds,
    engineThreads: engineThreads ?? 'onnxruntime default',
    sameGreedyTokensAsPeer: JSON.stringify(ours) === JSON.stringify(theirs),
    engineTokensPerSecond: round(median(rates.get('engine')!.map((x) => x.wall)), 1),
    peer: summary('peer'),
    ...(peerSameThreads ? { peerWithEngineThreads: summary('peerSameThreads') } : {}),
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
