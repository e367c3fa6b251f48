import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { Engine, generateText } from '../../../src/engine';
import type { DecodingConstraint, GenerateRequest } from '../../../src/engine/types';
import type { JsonSchema } from '../../../src/protocol/generation';
import { MODEL_DIR, modelPresent } from './modelFixture';

/** Tool-call shapes: flat with enum and integer, nested, array of strings, anyOf, a local $ref, booleans and numbers. */
const VALIDITY_SCHEMAS: ReadonlyArray<{ name: string; schema: JsonSchema }> = [
  {
    name: 'flat object with enum and integer',
    schema: { type: 'object', properties: { city: { type: 'string', maxLength: 24 }, unit: { enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1, maximum: 14 } }, required: ['city', 'unit', 'days'] },
  },
  {
    name: 'nested object',
    schema: {
      type: 'object',
      properties: { path: { type: 'string', maxLength: 40 }, range: { type: 'object', properties: { start: { type: 'integer', minimum: 0 }, end: { type: 'integer', minimum: 0 } }, required: ['start', 'end'] } },
      required: ['path', 'range'],
    },
  },
  { name: 'array of strings', schema: { type: 'object', properties: { files: { type: 'array', items: { type: 'string', maxLength: 20 }, minItems: 1, maxItems: 4 } }, required: ['files'] } },
  {
    name: 'anyOf',
    schema: { type: 'object', properties: { target: { anyOf: [{ type: 'integer', minimum: 1, maximum: 100 }, { type: 'string', enum: ['all', 'none'] }, { type: 'null' }] } }, required: ['target'] },
  },
  {
    name: '$ref and boolean',
    schema: { type: 'object', properties: { a: { $ref: '#/$defs/point' }, b: { $ref: '#/$defs/point' }, closed: { type: 'boolean' } }, required: ['a', 'b', 'closed'], $defs: { point: { type: 'object', properties: { x: { type: 'number', minimum: -10, maximum: 10 }, y: { type: 'number', minimum: -10, maximum: 10 } }, required: ['x', 'y'] } } },
  },
  { name: 'strings with patterns', schema: { type: 'object', properties: { branch: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,15}$' }, date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } }, required: ['branch', 'date'] } },
  { name: 'string with length bounds and optional integer', schema: { type: 'object', properties: { query: { type: 'string', minLength: 3, maxLength: 30 }, limit: { type: 'integer', minimum: 1, maximum: 50 } }, required: ['query'] } },
];

const PROMPT = 'const request = ';
const SEEDS = 16;
const MAX_TOKENS = 160;

const describeModel = modelPresent ? describe : describe.skip;

describeModel('engine: schema-constrained decoding on the bundled model (skipped when models/autoglm-coder is absent)', function () {
  this.timeout(600_000);
  let engine: Engine;
  const ajv = new Ajv({ strict: false });

  before(async () => {
    engine = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu', maxBatch: 16 });
  });

  after(async () => {
    await engine?.dispose();
  });

  function validates(schema: JsonSchema, text: string): boolean {
    try {
      return ajv.validate(schema, JSON.parse(text)) === true;
    } catch {
      return false;
    }
  }

  for (const { name, schema } of VALIDITY_SCHEMAS) {
    it(`sampled outputs (${SEEDS} seeds, temperature 1) always parse and validate: ${name}`, async () => {
      const results = await Promise.all(
        Array.from({ length: SEEDS }, (_, seed) => generateText(engine, { prompt: PROMPT, maxTokens: MAX_TOKENS, temperature: 1, topP: 1, topK: 0, seed, constraint: { kind: 'json', schema } })),
      );
      for (const r of results) {
        assert.equal(r.stats.stopReason, 'stop-token', `ended on its own: ${JSON.stringify(r.text)}`);
        assert.ok(validates(schema, r.text), `valid: ${JSON.stringify(r.text)} ${JSON.stringify(ajv.errors)}`);
      }
    });
  }

  it('greedy output is unchanged where the unconstrained greedy output is already valid (compared up to where the value ends)', async () => {
    // Unconstrained, greedy writes ` 2, 3, ...` and ` "]", "const", ...`: each starts with a value valid under the schema.
    const cases: Array<{ prompt: string; schema: JsonSchema; value: string }> = [
      { prompt: 'const a = [1, 2, ', schema: { type: 'integer', minimum: 0, maximum: 9 }, value: ' 2' },
      { prompt: 'const names = ["const", ', schema: { type: 'string' }, value: ' "]"' },
    ];
    for (const { prompt, schema, value } of cases) {
      const free = await generateText(engine, { prompt, maxTokens: 12, temperature: 0 });
      const constrained = await generateText(engine, { prompt, maxTokens: 12, temperature: 0, constraint: { kind: 'json', schema } });
      assert.ok(free.text.startsWith(value), `the free output starts with ${value}: ${JSON.stringify(free.text)}`);
      assert.equal(constrained.text, value);
      assert.equal(constrained.stats.stopReason, 'stop-token');
      // Token for token the same, except that the last token may end exactly where the value ends
      // while the free one ran on past it (`"]",` against `"]"`).
      const body = constrained.tokenIds.slice(0, -1);
      assert.deepEqual(body.slice(0, -1), free.tokenIds.slice(0, body.length - 1), prompt);
    }
  });

  it('responseFormat json_object and json_schema map onto the constraint; an explicit constraint wins', async () => {
    // json_object strings have no length bound, so a sampled string may run to maxTokens: only finished outputs must parse.
    const objects = await Promise.all([0, 1, 2, 3].map((seed) => generateText(engine, { prompt: PROMPT, maxTokens: MAX_TOKENS, temperature: 1, seed, responseFormat: { type: 'json_object' } })));
    for (const o of objects) {
      assert.match(o.text, /^\s?\{/);
      if (o.stats.stopReason === 'stop-token') {
        const parsed = JSON.parse(o.text) as unknown;
        assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), o.text);
      }
    }
    assert.ok(objects.some((o) => o.stats.stopReason === 'stop-token'));
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const typed = await generateText(engine, { prompt: PROMPT, maxTokens: MAX_TOKENS, temperature: 1, seed: 3, responseFormat: { type: 'json_schema', schema } });
    assert.ok(validates(schema, typed.text), typed.text);
    const wins = await generateText(engine, { prompt: PROMPT, maxTokens: MAX_TOKENS, temperature: 1, seed: 3, responseFormat: { type: 'json_object' }, constraint: { kind: 'json', schema: { type: 'integer' } } });
    assert.ok(Number.isInteger(JSON.parse(wins.text)), wins.text);
  });

  it('tool-calls with open as plain text: after `open` comes a valid call, then `close`', async () => {
    const tools = VALIDITY_SCHEMAS.slice(0, 3).map((s, i) => ({ name: ['get_weather', 'read_range', 'open_files'][i]!, description: s.name, parameters: s.schema }));
    const constraint: DecodingConstraint = { kind: 'tool-calls', tools, open: '<tool_call>\n', close: '\n</tool_call>', required: true };
    const results = await Promise.all(Array.from({ length: SEEDS }, (_, seed) => generateText(engine, { prompt: 'Tools are called like this:\n', maxTokens: 200, temperature: 1, seed, constraint, stop: ['</tool_call>'] })));
    for (const r of results) {
      const text = r.text;
      assert.ok(text.startsWith('<tool_call>\n'), JSON.stringify(text));
      const call = JSON.parse(text.slice('<tool_call>\n'.length)) as { name: string; arguments: unknown };
      const tool = tools.find((t) => t.name === call.name);
      assert.ok(tool, `a known tool: ${JSON.stringify(text)}`);
      assert.ok(validates(tool.parameters, JSON.stringify(call.arguments)), JSON.stringify(text));
      assert.equal(r.stats.stopReason, 'stop-sequence', 'the close text was reached');
    }
  });

  it('batched sequences with different constraints stay independent: each equals its run alone', async () => {
    const requests: GenerateRequest[] = [
      { prompt: PROMPT, maxTokens: MAX_TOKENS, temperature: 1, seed: 11, constraint: { kind: 'json', schema: VALIDITY_SCHEMAS[0]!.schema } },
      { prompt: PROMPT, maxTokens: MAX_TOKENS, temperature: 1, seed: 11, constraint: { kind: 'json', schema: VALIDITY_SCHEMAS[2]!.schema } },
      { prompt: PROMPT, maxTokens: 40, temperature: 1, seed: 11 },
      { prompt: 'def f(x):\n', maxTokens: MAX_TOKENS, temperature: 1, seed: 12, constraint: { kind: 'json', schema: VALIDITY_SCHEMAS[3]!.schema } },
    ];
    const alone: Array<Awaited<ReturnType<typeof generateText>>> = [];
    for (const r of requests) alone.push(await generateText(engine, r));
    const together = await Promise.all(requests.map((r) => generateText(engine, r)));
    together.forEach((t, i) => assert.deepEqual(t.tokenIds, alone[i]!.tokenIds, `request ${i}`));
    assert.notDeepEqual(together[0]!.text, together[1]!.text);
  });

  it('rejects an unsupported schema before generating, with a message naming it', async () => {
    await assert.rejects(
      generateText(engine, { prompt: PROMPT, maxTokens: 8, constraint: { kind: 'json', schema: { type: 'object', properties: { id: { type: 'string', pattern: '^(?!x)' } } } } }),
      (err: Error & { code?: string }) => err.code === 'invalid-request' && /#\/properties\/id\/pattern/.test(err.message),
    );
    await assert.rejects(generateText(engine, { prompt: PROMPT, maxTokens: 8, forcedPrefix: 'x', responseFormat: { type: 'json_object' } }), /cannot be combined/);
    assert.equal(engine.stats().activeRequests, 0);
  });
});
