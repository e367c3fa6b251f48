import { promises as fs } from 'node:fs';
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { Engine, type GenerateRequest } from '../src/engine';
import { DEFAULT_PROMPT_LOOKUP } from '../src/engine/promptLookup';
import { commonPrefixLength, round } from './common';

/**
 * One contender of the llama.cpp comparison, measured in a fresh process (`autoglm bench
 * llama-probe`): load, batch-1 decode, time to first token after long prompts, the typing replay
 * with the contender's own prompt cache, concurrent requests, and peak resident memory. The
 * workload (token ids) is written by the parent, so both sides run exactly the same tokens.
 */
export interface LlamaWorkload {
  decode: { prompt: number[]; tokens: number };
  prefill: Array<{ label: string; prompt: number[] }>;
  typing: { prompts: number[][]; tokens: number };
  concurrency: { prompts: number[][]; tokens: number; levels: number[] };
  threads: number;
  contextSize: number;
}

/** `autoglm-fp32-head`: the engine without quantizing an fp32 output projection at load time. */
export type ContenderName = 'autoglm' | 'autoglm-lookup' | 'autoglm-fp32-head' | 'llama.cpp';

interface Generated {
  tokens: number[];
  ttftMs: number;
  totalMs: number;
}

/** What each contender can do: a greedy generation (fresh, or reusing its prompt cache) and k at once. */
interface Runner {
  generate(prompt: readonly number[], tokens: number, cached: boolean): Promise<Generated>;
  concurrent(prompts: readonly number[][], tokens: number): Promise<number>;
  extra(): Record<string, unknown>;
  dispose(): Promise<void>;
}

async function timeStream(stream: AsyncIterable<readonly number[]>, limit: number): Promise<Generated> {
  const t0 = performance.now();
  let ttftMs = NaN;
  const tokens: number[] = [];
  for await (const ids of stream) {
    if (ids.length > 0 && tokens.length === 0) ttftMs = performance.now() - t0;
    tokens.push(...ids);
    if (tokens.length >= limit) break;
  }
  return { tokens: tokens.slice(0, limit), ttftMs, totalMs: performance.now() - t0 };
}

async function* engineTokens(engine: Engine, request: GenerateRequest): AsyncIterable<readonly number[]> {
  for await (const event of engine.generate(request)) {
    if (event.type === 'delta') yield event.tokenIds;
  }
}

async function engineRunner(modelDir: string, variant: string, contender: ContenderName, w: LlamaWorkload): Promise<Runner> {
  const engine = await Engine.load({
    modelDir,
    variant: variant as 'q4',
    provider: 'cpu',
    threads: w.threads,
    speculation: contender === 'autoglm-lookup' ? { promptLookup: DEFAULT_PROMPT_LOOKUP } : false,
    quantizeHead: contender !== 'autoglm-fp32-head',
  });
  const request = (prompt: readonly number[], tokens: number, cached: boolean): GenerateRequest => ({
    prompt,
    maxTokens: tokens,
    temperature: 0,
    stopAtEos: false,
    usePrefixCache: cached,
    priority: 'interactive',
  });
  return {
    generate: (prompt, tokens, cached) => timeStream(engineTokens(engine, request(prompt, tokens, cached)), tokens),
    async concurrent(prompts, tokens) {
      const all = await Promise.all(prompts.map((p) => timeStream(engineTokens(engine, request(p, tokens, false)), tokens)));
      return all.reduce((n, g) => n + g.tokens.length, 0);
    },
    extra() {
      const s = engine.stats();
      return { int8Rewritten: engine.model.int8Rewritten, headQuantized: engine.model.headQuantized, draftedTokens: s.draftedTokens, acceptedDraftTokens: s.acceptedDraftTokens };
    },
    dispose: () => engine.dispose(),
  };
}

/**
 * Brings a llama.cpp sequence to `prompt` and returns the tokens still to evaluate: with `cached`,
 * the KV of the longest common prefix is kept (what llama-server's prompt cache does), otherwise
 * the history is cleared. At least one token is always evaluated, since that yields the logits.
 */
async function llamaPrepare(seq: LlamaContextSequence, prompt: readonly number[], cached: boolean): Promise<Token[]> {
  if (!cached) {
    await seq.clearHistory();
    return prompt as Token[];
  }
  const keep = Math.min(commonPrefixLength(seq.contextTokens, prompt), prompt.length - 1);
  if (keep < seq.nextTokenIndex) await seq.eraseContextTokenRanges([{ start: keep, end: seq.nextTokenIndex }]);
  return prompt.slice(keep) as Token[];
}

async function* llamaTokens(seq: LlamaContextSequence, pending: Promise<Token[]>): AsyncIterable<readonly number[]> {
  for await (const token of seq.evaluate(await pending, { temperature: 0 })) yield [token];
}

async function llamaRunner(ggufFile: string, w: LlamaWorkload): Promise<Runner> {
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  const model: LlamaModel = await llama.loadModel({ modelPath: ggufFile });
  let context: LlamaContext = await model.createContext({ contextSize: w.contextSize, threads: w.threads });
  const seq = context.getSequence();
  let parallel: { context: LlamaContext; sequences: LlamaContextSequence[] } | undefined;
  const openParallel = async (n: number) => {
    if (!parallel || parallel.sequences.length < n) {
      await parallel?.context.dispose();
      const ctx = await model.createContext({ contextSize: w.contextSize, threads: w.threads, sequences: n });
      parallel = { context: ctx, sequences: Array.from({ length: n }, () => ctx.getSequence()) };
    }
    return parallel.sequences;
  };
  return {
    generate: (prompt, tokens, cached) => timeStream(llamaTokens(seq, llamaPrepare(seq, prompt, cached)), tokens),
    async concurrent(prompts, tokens) {
      const sequences = await openParallel(Math.max(...w.concurrency.levels));
      const all = await Promise.all(prompts.map((p, i) => timeStream(llamaTokens(sequences[i]!, llamaPrepare(sequences[i]!, p, false)), tokens)));
      return all.reduce((n, g) => n + g.tokens.length, 0);
    },
    extra: () => ({ contextSize: context.contextSize, flashAttention: context.flashAttention, threads: context.currentThreads }),
    async dispose() {
      await parallel?.context.dispose();
      await context.dispose();
      await model.dispose();
      context = undefined as never;
    },
  };
}

/** Decode rate over the tokens after the first, which is what a user waits for after the prompt. */
function decodeRate(runs: readonly Generated[]): number {
  const tokens = runs.reduce((n, g) => n + g.tokens.length - 1, 0);
  const ms = runs.reduce((n, g) => n + g.totalMs - g.ttftMs, 0);
  return (tokens * 1000) / ms;
}

function peakRssMiB(): number {
  return round(process.resourceUsage().maxRSS / 1024, 1);
}

async function measurePrefill(runner: Runner, w: LlamaWorkload): Promise<Record<string, number>> {
  const prefill: Record<string, number> = {};
  for (const p of w.prefill) prefill[p.label] = round((await runner.generate(p.prompt, 1, false)).ttftMs, 1);
  return prefill;
}

async function measureConcurrency(runner: Runner, w: LlamaWorkload): Promise<Record<number, number>> {
  const concurrency: Record<number, number> = {};
  await runner.concurrent(w.concurrency.prompts.slice(0, 2), 2); // warm-up: llama.cpp opens its multi-sequence context here
  for (const level of w.concurrency.levels) {
    const t0 = performance.now();
    const generated = await runner.concurrent(w.concurrency.prompts.slice(0, level), w.concurrency.tokens);
    concurrency[level] = round((generated * 1000) / (performance.now() - t0), 2);
  }
  return concurrency;
}

/** Everything, or (`full` false) only decode and the typing replay. */
async function measure(runner: Runner, w: LlamaWorkload, full: boolean): Promise<Record<string, unknown>> {
  await runner.generate(w.decode.prompt, 4, false); // warm-up
  const decode = await runner.generate(w.decode.prompt, w.decode.tokens, false);
  const prefill = full ? await measurePrefill(runner, w) : {};
  const typing: Generated[] = [];
  for (const prompt of w.typing.prompts) typing.push(await runner.generate(prompt, w.typing.tokens, true));
  const peakBatch1 = peakRssMiB();
  const concurrency = full ? await measureConcurrency(runner, w) : {};
  // The first keystroke fills the cache; the typing figures are over the keystrokes after it.
  const keystrokes = typing.slice(1);
  return {
    decodeTokens: decode.tokens,
    decodeTokensPerSecond: round(decodeRate([decode]), 2),
    timeToFirstTokenMs: prefill,
    typing: {
      firstKeystrokeTtftMs: round(typing[0]?.ttftMs ?? NaN, 1),
      ttftMs: keystrokes.map((g) => round(g.ttftMs, 1)),
      decodeTokensPerSecond: round(decodeRate(keystrokes), 2),
      outputs: typing.map((g) => g.tokens),
    },
    concurrencyTokensPerSecond: concurrency,
    peakRssBatch1MiB: peakBatch1,
    peakRssMiB: peakRssMiB(),
  };
}

/** Entry of the hidden `llama-probe` benchmark: args are [workload file, contender, variant, model dir, gguf file]. */
export async function llamaProbe(args: readonly string[]): Promise<Record<string, unknown>> {
  const [workloadFile, contender, variant, modelDir, ggufFile] = args as [string, ContenderName, string, string, string];
  const w = JSON.parse(await fs.readFile(workloadFile, 'utf8')) as LlamaWorkload;
  const rssBefore = round(process.memoryUsage().rss / 2 ** 20, 1);
  const t0 = performance.now();
  const runner = contender === 'llama.cpp' ? await llamaRunner(ggufFile, w) : await engineRunner(modelDir, variant, contender, w);
  const loadMs = round(performance.now() - t0, 0);
  const rssAfterLoad = round(process.memoryUsage().rss / 2 ** 20, 1);
  const measured = await measure(runner, w, contender !== 'autoglm-lookup');
  const extra = runner.extra();
  await runner.dispose();
  return { contender, variant, loadMs, rssBeforeLoadMiB: rssBefore, rssAfterLoadMiB: rssAfterLoad, ...measured, ...extra };
}
