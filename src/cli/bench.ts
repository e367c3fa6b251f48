import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '../common/errors';
import { bundledModelDir } from '../engine';
import { benchmarks, llamaProbe, memoryProbe } from '../../bench';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIO } from './command';

const usage = `Usage: autoglm bench <name|all> [options]

Runs the engine benchmarks against transformers.js on the same ONNX files (and llama.cpp on the
same weights as GGUF) and writes JSON results.

Benchmarks:
${benchmarks.map((b) => `  ${b.name.padEnd(12)} ${b.summary}`).join('\n')}
  all          every benchmark above, in this order

Options:
  --model DIR    model folder (default: the bundled model)
  --out DIR      where the JSON results go (default: bench/results)
  --quick        fewer rounds and tokens (a smoke run; numbers are rough)`;

async function run(args: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { model: { type: 'string' }, out: { type: 'string' }, quick: { type: 'boolean' }, variant: { type: 'string' } },
    });
  } catch (err) {
    io.stderr(`autoglm bench: ${errorMessage(err)}\n\n${usage}\n`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  const name = positionals[0];
  const modelDir = path.resolve(values.model ?? bundledModelDir());
  if (name === 'memory-probe') {
    // Internal: one variant's memory, measured in this fresh process by the memory benchmark.
    io.stdout(`${JSON.stringify(await memoryProbe([modelDir, values.variant ?? 'fp32']))}\n`);
    return EXIT_OK;
  }
  if (name === 'llama-probe') {
    // Internal: one contender of the llama.cpp comparison, measured in this fresh process.
    io.stdout(`${JSON.stringify(await llamaProbe(positionals.slice(1)))}\n`);
    return EXIT_OK;
  }
  const chosen = name === 'all' ? benchmarks : benchmarks.filter((b) => b.name === name);
  if (!name || chosen.length === 0) {
    io.stderr(`autoglm bench: ${name ? `unknown benchmark '${name}'` : 'which benchmark?'}\n\n${usage}\n`);
    return EXIT_USAGE;
  }
  const ctx = { modelDir, outDir: path.resolve(values.out ?? 'bench/results'), quick: values.quick ?? false, log: (line: string) => io.stderr(`${line}\n`) };
  try {
    for (const bench of chosen) {
      io.stderr(`== ${bench.name}\n`);
      const result = await bench.run(ctx);
      io.stdout(`${JSON.stringify({ benchmark: bench.name, ...result })}\n`);
    }
    return EXIT_OK;
  } catch (err) {
    io.stderr(`autoglm bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT_FAILURE;
  }
}

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'run the engine benchmarks (decode, typing, concurrency, scale, llama, memory, ...)',
  usage,
  run,
};
