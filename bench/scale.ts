import { existsSync, statSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { measureConcurrency } from './concurrency';
import { measureDecode } from './decode';
import { memoryCopyBandwidth, round, writeResult, type Benchmark } from './common';

/**
 * Decode at real scale: a random-weight model with Qwen2.5-Coder-0.5B dimensions (written on
 * demand by tools/model/random_qwen05b.py). Compared with transformers.js on the same files and
 * with this machine's limit: at batch 1 every weight is read once per token, so tokens/s cannot
 * exceed memory bandwidth / weight bytes.
 */
export const SCALE_MODEL_DIR = 'tools/model/work/random-qwen05b';

function weightBytes(dir: string, variant: 'fp32' | 'q4'): number {
  const onnx = path.join(dir, 'onnx');
  const base = variant === 'fp32' ? 'model.onnx' : 'model_q4.onnx';
  return readdirSync(onnx)
    .filter((f) => f === base || f.startsWith(`${base}_data`))
    .reduce((n, f) => n + statSync(path.join(onnx, f)).size, 0);
}

export const scaleBenchmark: Benchmark = {
  name: 'scale',
  summary: 'batch-1 decode on a random-weight model of Qwen2.5-Coder-0.5B size, against transformers.js and the memory-bandwidth limit',
  async run(ctx) {
    const dir = path.resolve(SCALE_MODEL_DIR);
    if (!existsSync(path.join(dir, 'config.json'))) {
      const result = { available: false, note: `no model at ${SCALE_MODEL_DIR}; write it with tools/model/random_qwen05b.py (bench/README.md)` };
      await writeResult({ ...ctx, modelDir: dir }, 'scale', result);
      return result;
    }
    const bandwidth = memoryCopyBandwidth();
    ctx.log(`memory copy bandwidth ${round(bandwidth / 1e9, 2)} GB/s`);
    const results: Record<string, unknown> = {};
    for (const variant of ['q4', 'fp32'] as const) {
      ctx.log(`scale decode ${variant}`);
      const measured = await measureDecode({ ...ctx, modelDir: dir }, dir, {
        variant,
        newTokens: ctx.quick ? 6 : 12,
        rounds: ctx.quick ? 1 : 3,
        promptText: 'export function add(a: number, b: number): number {\n',
      });
      const bytes = weightBytes(dir, variant);
      const limit = bandwidth / bytes;
      results[variant] = {
        ...measured,
        weightBytes: bytes,
        machineLimitTokensPerSecond: round(limit, 2),
        engineFractionOfLimit: round((measured['engineTokensPerSecond'] as number) / limit, 2),
        peerFractionOfLimit: round((measured['peer'] as { tokensPerSecond: number }).tokensPerSecond / limit, 2),
      };
    }
    ctx.log('scale concurrency q4 (1 and 8 requests)');
    const concurrency = await measureConcurrency({ ...ctx, modelDir: dir }, 'q4', [1, 8], ctx.quick ? 4 : 8, 1);
    const result = {
      available: true,
      concurrencyQ4: concurrency,
      memoryCopyBytesPerSecond: Math.round(bandwidth),
      limitDefinition: 'memory copy bandwidth (bytes copied per second, 256 MiB buffer) / bytes of weights read per token',
      results,
    };
    await writeResult({ ...ctx, modelDir: dir }, 'scale', result);
    return result;
  },
};
