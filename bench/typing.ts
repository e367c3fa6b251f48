import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { qwenCoderTemplate } from '../src/completion/fimTemplates';
import { generateText, type Engine } from '../src/engine';
import { DEFAULT_PROMPT_LOOKUP } from '../src/engine/promptLookup';
import { loadEngine, median, round, writeResult, type BenchContext, type Benchmark } from './common';

/**
 * Typing replay: a real source file that this project did not write (lru-cache's ESM build from
 * node_modules) is typed character by character after an already-written head of the file, with
 * a fill-in-the-middle request after every character, as an editor sends them. Each keystroke is
 * run with the prefix cache and without it, alternately, on the same engine.
 */
export const TYPING_SOURCE = 'node_modules/lru-cache/dist/esm/index.js';

/** Prefix-first (PSM) on purpose: every keystroke changes the prompt's middle, the hard case for the prefix cache. */
function fimPrompt(prefix: string, suffix: string): string {
  return qwenCoderTemplate.render(prefix, suffix, { filePath: '', languageId: '', snippets: [] });
}

export interface TypingOptions {
  /** Characters already in the document before typing starts. */
  startChars: number;
  /** Characters typed, one request each. */
  typedChars: number;
  /** Characters after the cursor sent as the FIM suffix (0: typing at the end of the text). */
  suffixChars: number;
  maxTokens: number;
}

export async function replayTyping(ctx: BenchContext, options: TypingOptions): Promise<Record<string, unknown>> {
  const file = path.resolve(TYPING_SOURCE);
  const source = readFileSync(file, 'utf8');
  const engine = await loadEngine(ctx.modelDir, { variant: 'fp32' });
  const ttftOn: number[] = [];
  const ttftOff: number[] = [];
  let promptTokens = 0;
  let prefilled = 0;
  let mismatches = 0;
  for (let i = 0; i < options.typedChars; i++) {
    const cursor = options.startChars + i + 1;
    const prefix = source.slice(0, cursor);
    const suffix = source.slice(cursor, cursor + options.suffixChars);
    const prompt = fimPrompt(prefix, suffix);
    const request = { prompt, maxTokens: options.maxTokens, priority: 'interactive' as const };
    // Alternate which one goes first, so neither always runs on a warmer machine.
    const runOn = () => generateText(engine, { ...request, usePrefixCache: true });
    const runOff = () => generateText(engine, { ...request, usePrefixCache: false });
    let pair;
    if (i % 2 === 0) {
      const on = await runOn();
      pair = { on, off: await runOff() };
    } else {
      const off = await runOff();
      pair = { off, on: await runOn() };
    }
    // The first keystroke has nothing cached yet; it counts like every other one.
    promptTokens += pair.on.stats.promptTokens;
    prefilled += pair.on.stats.prefilledTokens;
    ttftOn.push(pair.on.stats.timeToFirstTokenMs);
    ttftOff.push(pair.off.stats.timeToFirstTokenMs);
    if (JSON.stringify(pair.on.tokenIds) !== JSON.stringify(pair.off.tokenIds)) mismatches++;
    if ((i + 1) % 20 === 0) {
      ctx.log(`  ${i + 1}/${options.typedChars} keystrokes: prefilled ${round((100 * prefilled) / promptTokens, 1)}%, median TTFT on ${round(median(ttftOn), 1)} ms, off ${round(median(ttftOff), 1)} ms`);
    }
  }
  const stats = engine.stats();
  await engine.dispose();
  return {
    source: TYPING_SOURCE,
    ...options,
    keystrokes: options.typedChars,
    meanPromptTokens: round(promptTokens / options.typedChars, 1),
    prefilledFraction: round(prefilled / promptTokens, 4),
    medianTimeToFirstTokenMs: { prefixCacheOn: round(median(ttftOn), 2), prefixCacheOff: round(median(ttftOff), 2) },
    ttftSpeedup: round(median(ttftOff) / median(ttftOn), 2),
    outputsDifferingWithCacheOnVsOff: mismatches,
    prefixCacheBytesAtEnd: stats.prefixCacheBytes,
  };
}

/**
 * Source for the speculation replay: sax 1.6.1 (BlueOak-1.0.0), a licence the bundled model's
 * corpus rejected, with no other version of the package in it (models/autoglm-coder/provenance.json).
 */
export const LOOKUP_SOURCE = 'node_modules/sax/lib/sax.js';

interface LookupTotals {
  decodeTokens: number;
  decodeMs: number;
  totalMs: number;
}

function addRun(t: LookupTotals, stats: { generatedTokens: number; timeToFirstTokenMs: number; totalMs: number }): void {
  t.decodeTokens += Math.max(0, stats.generatedTokens - 1);
  t.decodeMs += stats.totalMs - stats.timeToFirstTokenMs;
  t.totalMs += stats.totalMs;
}

/**
 * Prompt-lookup speculation on the typing replay: two engines on the same model, one with
 * speculation, take each keystroke's request in turn (who goes first alternates), both with the
 * prefix cache. Decode rate = tokens after the first / time after the first token.
 */
export async function replayLookup(ctx: BenchContext, options: TypingOptions): Promise<Record<string, unknown>> {
  const source = readFileSync(path.resolve(LOOKUP_SOURCE), 'utf8');
  const plain = await loadEngine(ctx.modelDir, { speculation: false });
  const lookup = await loadEngine(ctx.modelDir, { speculation: { promptLookup: DEFAULT_PROMPT_LOOKUP } });
  const totals = { plain: { decodeTokens: 0, decodeMs: 0, totalMs: 0 }, lookup: { decodeTokens: 0, decodeMs: 0, totalMs: 0 } };
  let differing = 0;
  for (let i = 0; i < options.typedChars; i++) {
    const cursor = options.startChars + i + 1;
    const prompt = fimPrompt(source.slice(0, cursor), source.slice(cursor, cursor + options.suffixChars));
    const run = (engine: Engine) => generateText(engine, { prompt, maxTokens: options.maxTokens, temperature: 0, priority: 'interactive' });
    const first = i % 2 === 0 ? await run(plain) : await run(lookup);
    const second = i % 2 === 0 ? await run(lookup) : await run(plain);
    const [p, l] = i % 2 === 0 ? [first, second] : [second, first];
    addRun(totals.plain, p.stats);
    addRun(totals.lookup, l.stats);
    if (JSON.stringify(p.tokenIds) !== JSON.stringify(l.tokenIds)) differing++;
  }
  const stats = lookup.stats();
  const variant = lookup.model.variant;
  await plain.dispose();
  await lookup.dispose();
  const rate = (t: LookupTotals) => (t.decodeTokens * 1000) / t.decodeMs;
  return {
    source: LOOKUP_SOURCE,
    variant,
    ...options,
    decodeTokensPerSecond: { plain: round(rate(totals.plain), 1), lookup: round(rate(totals.lookup), 1) },
    decodeSpeedup: round(rate(totals.lookup) / rate(totals.plain), 2),
    requestTimeRatio: round(totals.plain.totalMs / totals.lookup.totalMs, 2),
    draftedTokens: stats.draftedTokens,
    acceptedDraftTokens: stats.acceptedDraftTokens,
    acceptanceRate: round(stats.acceptedDraftTokens / Math.max(1, stats.draftedTokens), 3),
    outputsDifferingWithLookup: differing,
  };
}

export const typingBenchmark: Benchmark = {
  name: 'typing',
  summary: 'typing replay of a real source file with a FIM request per keystroke: prefill fraction and TTFT, prefix cache on vs off',
  async run(ctx) {
    const keystrokes = ctx.quick ? 20 : 100;
    ctx.log('typing at the end of the text (no suffix)');
    const atEnd = await replayTyping(ctx, { startChars: 2000, typedChars: keystrokes, suffixChars: 0, maxTokens: 8 });
    ctx.log('typing in the middle of the file (200-character suffix)');
    const midFile = await replayTyping(ctx, { startChars: 2000, typedChars: Math.ceil(keystrokes / 2), suffixChars: 200, maxTokens: 8 });
    ctx.log('prompt-lookup speculation on the typing replay (200-character suffix, 32 tokens per keystroke)');
    const lookup = await replayLookup(ctx, { startChars: 2000, typedChars: keystrokes, suffixChars: 200, maxTokens: 32 });
    const result = {
      target: 'prefilled <= 10% of prompt tokens; median TTFT >= 3x better than with the prefix cache off; speculation decode >= 1.3x',
      atEnd,
      midFile,
      lookup,
    };
    await writeResult(ctx, 'typing', result);
    return result;
  },
};
