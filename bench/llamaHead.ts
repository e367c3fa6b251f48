import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { median, round, writeResult, type BenchContext, type Benchmark } from './common';
import { buildWorkload, contenderSummary, medianOf, probe, probeRatios, type Probe } from './llama';
import type { ContenderName, LlamaWorkload } from './llamaProbe';
import { SCALE_MODEL_DIR } from './scale';

/**
 * The q4 file users download, against llama.cpp: published q4 files of tied-embedding models
 * (Qwen2.5's among them) keep the output projection as an fp32 table behind a Transpose. The
 * benchmark writes that layout from the 0.5B-size model's own q4 file (its 4-bit projection
 * dequantized into the table, weights in external data) and runs the engine on it with the
 * projection quantized at load time (the default) and without, beside llama.cpp's Q4_0 of the
 * same weights: fresh processes, rounds rotating who goes first, medians of per-round ratios.
 */
export const PUBLISHED_LAYOUT_DIR = `${SCALE_MODEL_DIR}-published`;
const METADATA = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.jinja'];

/** Writes the published layout beside the scale model once; returns its folder. */
async function publishedLayout(ctx: BenchContext, scaleDir: string): Promise<string> {
  const dir = path.resolve(PUBLISHED_LAYOUT_DIR);
  if (existsSync(path.join(dir, 'onnx', 'model_q4.onnx'))) return dir;
  ctx.log(`writing the published q4 layout to ${PUBLISHED_LAYOUT_DIR}`);
  await fs.mkdir(path.join(dir, 'onnx'), { recursive: true });
  for (const name of METADATA) {
    if (existsSync(path.join(scaleDir, name))) await fs.copyFile(path.join(scaleDir, name), path.join(dir, name));
  }
  // The project's ONNX tool, run from source (it reads onnx.proto from beside itself).
  const args = ['tsx', 'tools/model/onnxRewrite.ts', path.join(scaleDir, 'onnx', 'model_q4.onnx'), path.join(dir, 'onnx', 'model_q4.onnx'), '--fp32-tied-head', '--external'];
  await promisify(execFile)('npx', args, { maxBuffer: 1 << 20 });
  return dir;
}

const CONTENDERS: readonly ContenderName[] = ['autoglm', 'autoglm-fp32-head', 'llama.cpp'];

type Round = Record<ContenderName, Probe>;

async function runRound(ctx: BenchContext, r: number, workload: string, dirs: { published: string; gguf: string }): Promise<Round> {
  const got: Partial<Round> = {};
  for (let k = 0; k < CONTENDERS.length; k++) {
    const c = CONTENDERS[(r + k) % CONTENDERS.length]!;
    got[c] = await probe(workload, c, 'q4', dirs.published, dirs.gguf);
    ctx.log(`  round ${r + 1} ${c}: decode ${got[c].decodeTokensPerSecond} tok/s, typing TTFT ${round(median(got[c].typing.ttftMs), 1)} ms, peak ${got[c].peakRssBatch1MiB} MiB`);
  }
  return got as Round;
}

/** `a` over `b` per round: speed ratios (above 1: `a` is faster), and memory as size. */
function pairRatios(rounds: readonly Round[], a: ContenderName, b: ContenderName, w: LlamaWorkload): Record<string, unknown> {
  const r = (f: (x: Round) => number) => medianOf(rounds, f);
  return {
    ...probeRatios(rounds, (x) => x[a], (x) => x[b], w),
    typingDecode: r((x) => x[a].typing.decodeTokensPerSecond / x[b].typing.decodeTokensPerSecond),
    concurrency8: r((x) => x[a].concurrencyTokensPerSecond[8]! / x[b].concurrencyTokensPerSecond[8]!),
  };
}

export const llamaHeadBenchmark: Benchmark = {
  name: 'llama-head',
  summary: 'a q4 file in the published layout (fp32 tied output projection) with and without load-time quantization of the projection, against llama.cpp Q4_0',
  async run(ctx) {
    const scaleDir = path.resolve(SCALE_MODEL_DIR);
    const gguf = path.join(scaleDir, 'gguf', 'model-q4_0.gguf');
    if (!existsSync(path.join(scaleDir, 'onnx', 'model_q4.onnx')) || !existsSync(gguf)) {
      const result = { available: false, note: `missing the q4 ONNX or Q4_0 GGUF file in ${SCALE_MODEL_DIR}; make them as bench/README.md says` };
      await writeResult({ ...ctx, modelDir: scaleDir }, 'llama-head', result);
      return result;
    }
    const published = await publishedLayout(ctx, scaleDir);
    const w = await buildWorkload(scaleDir, ctx.quick);
    const workload = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-llama-head-')), 'workload.json');
    await fs.writeFile(workload, JSON.stringify(w));
    const rounds: Round[] = [];
    for (let r = 0; r < (ctx.quick ? 1 : 3); r++) rounds.push(await runRound(ctx, r, workload, { published, gguf }));
    await fs.rm(path.dirname(workload), { recursive: true, force: true });
    const result = {
      rounds: rounds.length,
      threads: w.threads,
      layout: 'onnx/model_q4.onnx of the 0.5B-size model with its output projection as an fp32 [151936, 896] table behind a Transpose, weights in external data',
      contenders: {
        headQuantized: contenderSummary(rounds, (x) => x['autoglm'], w),
        fp32Head: contenderSummary(rounds, (x) => x['autoglm-fp32-head'], w),
        llamaCpp: contenderSummary(rounds, (x) => x['llama.cpp'], w),
      },
      headQuantizedOverFp32Head: pairRatios(rounds, 'autoglm', 'autoglm-fp32-head', w),
      headQuantizedOverLlamaCpp: pairRatios(rounds, 'autoglm', 'llama.cpp', w),
      fp32HeadOverLlamaCpp: pairRatios(rounds, 'autoglm-fp32-head', 'llama.cpp', w),
      headQuantized: rounds.map((x) => [x['autoglm']['headQuantized'], x['autoglm-fp32-head']['headQuantized']]),
      typingOutputsEqual: rounds.map((x) => JSON.stringify(x['autoglm'].typing.outputs) === JSON.stringify(x['autoglm-fp32-head'].typing.outputs)),
      loadAverage: rounds.map((x) => CONTENDERS.map((c) => x[c].loadAverage)),
      perRound: rounds,
    };
    await writeResult({ ...ctx, modelDir: scaleDir }, 'llama-head', result);
    return result;
  },
};
