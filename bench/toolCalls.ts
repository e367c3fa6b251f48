import Ajv from 'ajv';
import { generateText, type Engine } from '../src/engine';
import { templateTool } from '../src/engine/chatGeneration';
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN } from '../src/engine/hermesTools';
import type { JsonSchema, ToolDefinition } from '../src/protocol/generation';
import { loadEngine, round, writeResult, type BenchContext, type Benchmark } from './common';

/**
 * Tool calls the bundled model writes in a chat turn, with and without the schema constraint:
 * the prompt is the model's chat template with the tools (Qwen's Hermes format), the turn made
 * to start with `<tool_call>` in both arms (a forced prefix unconstrained, the constraint's
 * `required` constrained), sampled at temperature 1 over many seeds. A call counts as valid when
 * the JSON after `<tool_call>` parses, names an offered tool and its arguments validate (ajv).
 */
const TOOLS: readonly ToolDefinition[] = [
  {
    name: 'read_file',
    description: 'Read a text file of the workspace.',
    parameters: { type: 'object', properties: { path: { type: 'string' }, start_line: { type: 'integer', minimum: 1 }, end_line: { type: 'integer', minimum: 1 } }, required: ['path'], additionalProperties: false },
  },
  {
    name: 'search_text',
    description: 'Search the text of the workspace files.',
    parameters: { type: 'object', properties: { query: { type: 'string', minLength: 1 }, is_regex: { type: 'boolean' }, max_results: { type: 'integer', minimum: 1, maximum: 500 } }, required: ['query'], additionalProperties: false },
  },
  {
    name: 'propose_edits',
    description: 'Propose changes to workspace files.',
    parameters: {
      type: 'object',
      properties: { edits: { type: 'array', minItems: 1, maxItems: 8, items: { type: 'object', properties: { path: { type: 'string' }, old_text: { type: 'string' }, new_text: { type: 'string' } }, required: ['path', 'new_text'], additionalProperties: false } } },
      required: ['edits'],
      additionalProperties: false,
    },
  },
];

const QUESTIONS = ['What does src/shop/cart.ts export?', 'Where is cartTotal used?', 'Rename priceOf to linePrice in src/shop/cart.ts.'];

/** The first call's JSON after the opening tag, cut at the closing tag when there is one. */
function callJson(text: string): string {
  const body = text.startsWith(TOOL_CALL_OPEN) ? text.slice(TOOL_CALL_OPEN.length) : text;
  const end = body.indexOf(TOOL_CALL_CLOSE);
  return (end >= 0 ? body.slice(0, end) : body).trim();
}

function isValidCall(text: string, validate: (schema: JsonSchema, value: unknown) => boolean): boolean {
  let call: unknown;
  try {
    call = JSON.parse(callJson(text));
  } catch {
    return false;
  }
  if (typeof call !== 'object' || call === null) return false;
  const { name, arguments: args } = call as { name?: unknown; arguments?: unknown };
  const tool = TOOLS.find((t) => t.name === name);
  return tool !== undefined && validate(tool.parameters, args);
}

export async function measureToolCalls(ctx: BenchContext): Promise<Record<string, unknown>> {
  const engine: Engine = await loadEngine(ctx.modelDir);
  const ajv = new Ajv({ strict: false });
  const validate = (schema: JsonSchema, value: unknown): boolean => ajv.validate(schema, value) === true;
  const seeds = ctx.quick ? 4 : 32;
  const rows = [];
  try {
    for (const question of QUESTIONS) {
      const prompt = engine.renderChat([{ role: 'user', content: question }], { tools: TOOLS.map(templateTool) });
      const sample = (seed: number, constrained: boolean) =>
        generateText(engine, {
          prompt,
          maxTokens: 160,
          temperature: 1,
          topK: 0,
          topP: 1,
          seed,
          ...(constrained ? { constraint: { kind: 'tool-calls' as const, tools: TOOLS, open: TOOL_CALL_OPEN, close: TOOL_CALL_CLOSE, required: true } } : { forcedPrefix: `${TOOL_CALL_OPEN}\n` }),
        });
      const free = await Promise.all(Array.from({ length: seeds }, (_, s) => sample(s, false)));
      const held = await Promise.all(Array.from({ length: seeds }, (_, s) => sample(s, true)));
      rows.push({
        question,
        samples: seeds,
        validWithout: round(free.filter((r) => isValidCall(r.text, validate)).length / seeds, 3),
        validWith: round(held.filter((r) => isValidCall(r.text, validate)).length / seeds, 3),
        exampleWithout: free[0]!.text.slice(0, 200),
        exampleWith: held[0]!.text.slice(0, 200),
      });
      ctx.log(`${question}: ${rows.at(-1)!.validWithout} without, ${rows.at(-1)!.validWith} with`);
    }
  } finally {
    await engine.dispose();
  }
  return { benchmark: 'tool-calls', date: new Date().toISOString(), model: ctx.modelDir, temperature: 1, rows };
}

export const toolCallsBenchmark: Benchmark = {
  name: 'tool-calls',
  summary: 'tool calls the bundled model writes in its chat format: share that parse and validate, with and without the schema constraint',
  async run(ctx) {
    const result = await measureToolCalls(ctx);
    const file = await writeResult(ctx, ctx.quick ? 'constrained-tool-calls-quick' : 'constrained-tool-calls', result);
    ctx.log(`wrote ${file}`);
    return result;
  },
};
