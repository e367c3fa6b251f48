import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { generateText, type ModelVariant } from '../src/engine';
import { loadEngine, rssMiB, runCliProbe, writeResult, type Benchmark } from './common';
import { SCALE_MODEL_DIR } from './scale';

/**
 * Resident memory per model variant. Each variant is loaded in a fresh process (this command run
 * again with the hidden `memory-probe` benchmark) so that one load does not hide the next.
 */
export async function memoryProbe(args: string[]): Promise<Record<string, unknown>> {
  const [dir, variant] = args as [string, Exclude<ModelVariant, 'auto'>];
  const before = rssMiB();
  const engine = await loadEngine(dir, { variant });
  const loaded = rssMiB();
  await generateText(engine, { prompt: 'function add(a, b) {\n', maxTokens: 16, stopAtEos: false });
  const afterGenerate = rssMiB();
  await engine.dispose();
  return { variant, file: path.basename(engine.model.file), rssBeforeLoadMiB: before, rssAfterLoadMiB: loaded, rssAfterGenerateMiB: afterGenerate };
}

function runProbe(dir: string, variant: string): Promise<Record<string, unknown>> {
  return runCliProbe(['bench', 'memory-probe', '--model', dir, '--variant', variant]);
}

export const memoryBenchmark: Benchmark = {
  name: 'memory',
  summary: 'resident memory per model variant (bundled model, and the 0.5B-size model when present)',
  async run(ctx) {
    const models: Array<{ dir: string; variants: string[] }> = [{ dir: ctx.modelDir, variants: ['fp32', 'q4', 'int8'] }];
    if (!ctx.quick && existsSync(path.join(SCALE_MODEL_DIR, 'config.json'))) {
      models.push({ dir: path.resolve(SCALE_MODEL_DIR), variants: ['q4', 'fp32'] });
    }
    const results: Array<Record<string, unknown>> = [];
    for (const { dir, variants } of models) {
      for (const variant of variants) {
        ctx.log(`memory ${path.basename(dir)} ${variant}`);
        results.push({ model: path.relative(process.cwd(), dir), ...(await runProbe(dir, variant)) });
      }
    }
    const result = { note: 'resident set size of a fresh process: before load, after load, after a 16-token generation', results };
    await writeResult(ctx, 'memory', result);
    return result;
  },
};
