/**
 * Checks that the GGUF files hold the same model as the ONNX folder: on a few prompts the engine's
 * tokenizer and llama.cpp's (node-llama-cpp) give the same prompt ids, and fp32 ONNX in the engine
 * and the F32 GGUF in llama.cpp give the same greedy continuation. Also reports how far q4 (ONNX)
 * and Q4_0 (GGUF) agree, which is not expected to be exact (different 4-bit formats).
 * Usage: npx tsx tools/model/check_gguf.ts [modelDir] [tokens]  (default tools/model/work/random-qwen05b, 32)
 */
import * as path from 'node:path';
import type { Llama, Token } from 'node-llama-cpp';
import { Engine, generateText } from '../../src/engine';
import { commonPrefixLength, loadTokenizer } from '../../bench/common';

const PROMPTS = [
  'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n',
  'import { promises as fs } from "node:fs";\n\nexport async function readJson(file: string) {\n',
  '<|fim_prefix|>function add(a, b) {\n  return <|fim_suffix|>;\n}<|fim_middle|>',
  '<|im_start|>user\nWrite a quicksort in Rust.<|im_end|>\n<|im_start|>assistant\n',
];

interface Row {
  prompt: number;
  promptIdsEqual: boolean;
  promptTokens: number;
  engine: number[];
  llama: number[];
  agreeing: number;
}

/** Greedy continuation in llama.cpp with an F32 KV cache, so that only arithmetic order differs. */
async function llamaGreedy(llama: Llama, file: string, prompts: readonly string[], n: number): Promise<{ ids: Token[][]; out: Token[][] }> {
  const model = await llama.loadModel({ modelPath: file });
  const ids: Token[][] = [];
  const out: Token[][] = [];
  for (const text of prompts) {
    const context = await model.createContext({ contextSize: 512, batchSize: 512, threads: 2, flashAttention: false, experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32' });
    const tokens = model.tokenize(text, true);
    const generated: Token[] = [];
    for await (const t of context.getSequence().evaluate(tokens, { temperature: 0 })) {
      generated.push(t);
      if (generated.length >= n) break;
    }
    ids.push(tokens);
    out.push(generated);
    await context.dispose();
  }
  await model.dispose();
  return { ids, out };
}

async function engineGreedy(modelDir: string, variant: 'fp32' | 'q4', prompts: readonly number[][], n: number): Promise<{ out: number[][]; hasChatTemplate: boolean }> {
  const engine = await Engine.load({ modelDir, variant, provider: 'cpu', threads: 2 });
  const out: number[][] = [];
  for (const prompt of prompts) {
    const done = await generateText(engine, { prompt, maxTokens: n, temperature: 0, stopAtEos: false, usePrefixCache: false });
    out.push(done.tokenIds);
  }
  const hasChatTemplate = engine.model.hasChatTemplate;
  await engine.dispose();
  return { out, hasChatTemplate };
}

function compare(engineIds: readonly number[][], llamaIds: readonly Token[][], engineOut: readonly number[][], llamaOut: readonly Token[][]): Row[] {
  return engineIds.map((ids, i) => {
    const llamaPrompt = (llamaIds[i] ?? []).map(Number);
    const engine = engineOut[i] ?? [];
    const llama = (llamaOut[i] ?? []).map(Number);
    return {
      prompt: i,
      promptIdsEqual: ids.length === llamaPrompt.length && ids.every((t, j) => t === llamaPrompt[j]),
      promptTokens: ids.length,
      engine,
      llama,
      agreeing: commonPrefixLength(engine, llama),
    };
  });
}

async function main(): Promise<void> {
  const modelDir = path.resolve(process.argv[2] ?? 'tools/model/work/random-qwen05b');
  const n = Number(process.argv[3] ?? 32);
  const tokenizer = await loadTokenizer(modelDir);
  const engineIds = PROMPTS.map((p) => tokenizer.encode(p));
  // node-llama-cpp is ESM only (top-level await): loaded with import() from this CommonJS project
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never' });
  const f32 = await llamaGreedy(llama, path.join(modelDir, 'gguf', 'model-f32.gguf'), PROMPTS, n);
  const fp32 = await engineGreedy(modelDir, 'fp32', engineIds, n);
  const exact = compare(engineIds, f32.ids, fp32.out, f32.out);
  const q40 = await llamaGreedy(llama, path.join(modelDir, 'gguf', 'model-q4_0.gguf'), PROMPTS, n);
  const q4 = await engineGreedy(modelDir, 'q4', engineIds, n);
  const quant = compare(engineIds, q40.ids, q4.out, q40.out);
  const ok = fp32.hasChatTemplate && exact.every((r) => r.promptIdsEqual && r.agreeing === n);
  console.log(`tokens ${n}, engine hasChatTemplate ${fp32.hasChatTemplate}`);
  for (const r of exact) console.log('fp32 vs F32', JSON.stringify(r));
  for (const r of quant) console.log('q4 vs Q4_0', JSON.stringify({ prompt: r.prompt, promptIdsEqual: r.promptIdsEqual, agreeing: r.agreeing }));
  console.log(ok ? 'ok' : 'MISMATCH');
  process.exitCode = ok ? 0 : 1;
}

void main();
