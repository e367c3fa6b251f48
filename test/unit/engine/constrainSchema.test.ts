import assert from 'node:assert/strict';
import { Grammar, type MatchState } from '../../../src/engine/constrain/grammar';
import { compileSchema } from '../../../src/engine/constrain/compileSchema';
import { applyMask, setBit } from '../../../src/engine/constrain/mask';
import type { JsonSchema } from '../../../src/protocol/generation';

/** Whether the grammar accepts `text` as a whole output, byte by byte. */
function accepts(schema: JsonSchema | undefined, text: string): boolean {
  const g = Grammar.compile(schema === undefined ? { kind: 'json' } : { kind: 'json', schema });
  let s: MatchState | undefined = g.initial;
  for (const b of new TextEncoder().encode(text)) {
    s = g.step(s, b);
    if (s === undefined) return false;
  }
  return g.canEnd(s);
}

function rejects(schema: unknown, message: RegExp): void {
  assert.throws(
    () => compileSchema(schema as JsonSchema),
    (err: Error & { code?: string }) => err.code === 'invalid-request' && message.test(err.message),
    `expected ${message} for ${JSON.stringify(schema)}`,
  );
}

describe('engine/constrain: schema compilation and the byte matcher', () => {
  it('rejects what it cannot honour, naming the keyword and where it is', () => {
    rejects({ type: 'string', pattern: '^(?=a)b$' }, /at #\/pattern: pattern "\^\(\?=a\)b\$" is not supported: lookaround/);
    rejects({ type: 'string', pattern: '(a)\\1' }, /the escape \\1 is not supported/);
    rejects({ type: 'string', pattern: '^a$', minLength: 2 }, /no string of minLength..maxLength characters matches/);
    rejects({ type: 'string', multipleOf: 2 }, /at #\/multipleOf: keyword "multipleOf" is not supported/);
    rejects({ type: 'object', properties: { a: { type: 'array', uniqueItems: true } } }, /at #\/properties\/a\/uniqueItems/);
    rejects({ allOf: [{ type: 'string' }, { minLength: 2 }] }, /allOf with more than one schema/);
    rejects({ $ref: 'https://example.com/s.json' }, /\$ref "https:\/\/example.com\/s.json" is not supported/);
    rejects({ $ref: '#/$defs/a', $defs: { a: { $ref: '#/$defs/a' } } }, /refers to itself without any value/);
    rejects({ type: 'string', minLength: 5, maxLength: 2 }, /minLength is larger than maxLength/);
    rejects({ type: 'integer', minimum: 1.2, maximum: 1.8 }, /no number lies within/);
    rejects({ type: 'object', properties: { a: {} }, required: ['b'] }, /required property "b" is not among/);
    rejects({ type: 'date' }, /type must be one of/);
    rejects(false, /accepts no value/);
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 100; i++) deep = { type: 'array', items: deep };
    rejects(deep, /nests deeper than/);
    rejects({ enum: Array.from({ length: 5000 }, (_, i) => i) }, /more than 1024 values/);
  });

  it('accepts annotations (description, format, title) and ignores them', () => {
    assert.equal(accepts({ type: 'string', format: 'uri', description: 'x', title: 't' }, '"a"'), true);
  });

  it('matches objects in schema order with optional properties left out, and nothing else', () => {
    const schema = { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'string' }, c: { type: 'boolean' } }, required: ['b'] };
    assert.equal(accepts(schema, '{"a": 1, "b": "x", "c": true}'), true);
    assert.equal(accepts(schema, '{"b":"x"}'), true);
    assert.equal(accepts(schema, '{"a":1}'), false, 'b is required');
    assert.equal(accepts(schema, '{"b":"x","a":1}'), false, 'schema order');
    assert.equal(accepts(schema, '{"b":"x","z":1}'), false, 'only the listed properties');
    assert.equal(accepts(schema, '{ "b" : "x" }'), true);
    assert.equal(accepts(schema, '{  "b":"x"}'), false, 'at most one whitespace byte in a row');
    assert.equal(accepts(schema, '{"b":"x"} '), false, 'nothing after the value');
  });

  it('keeps every value of a long enum and every key of a wide object open (no cap on alternatives)', () => {
    const codes = Array.from({ length: 300 }, (_, i) => `c${i}`);
    assert.equal(accepts({ enum: codes }, '"c299"'), true);
    assert.equal(accepts({ enum: codes }, '"c300"'), false);
    const properties = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`p${i}`, { type: 'integer' }]));
    const wide = { type: 'object', properties };
    assert.equal(accepts(wide, '{"p0": 1, "p57": 2, "p99": 3}'), true);
    assert.equal(accepts(wide, '{"p57": 2, "p3": 1}'), false, 'schema order');
  });

  it('a call may name any of many tools (more than the usual limit of alternatives)', () => {
    const tools = Array.from({ length: 80 }, (_, i) => ({ name: `tool_${i}`, description: '', parameters: { type: 'object', properties: { n: { type: 'integer', minimum: i, maximum: i } }, required: ['n'] } }));
    const g = Grammar.compile({ kind: 'tool-calls', tools, open: '<c>', close: '</c>', required: true });
    let s: MatchState | undefined = g.initial;
    for (const b of new TextEncoder().encode('<c>{"name": "tool_79", "arguments": {"n": 79}}</c>')) s = s && g.step(s, b);
    assert.ok(s && g.canEnd(s));
    let bad: MatchState | undefined = g.initial;
    for (const b of new TextEncoder().encode('<c>{"name": "tool_79", "arguments": {"n": 78')) bad = bad && g.step(bad, b);
    assert.equal(bad && g.step(bad, 0x7d), undefined, 'the arguments follow the named tool');
  });

  it('matches numbers by JSON grammar and range', () => {
    const int = { type: 'integer', minimum: -5, maximum: 120 };
    for (const t of ['-5', '0', '7', '120', '99']) assert.equal(accepts(int, t), true, t);
    for (const t of ['-6', '121', '1.5', '01', '-0.0', '1e2', '']) assert.equal(accepts(int, t), false, t);
    const num = { type: 'number', exclusiveMinimum: 0, maximum: 1 };
    for (const t of ['0.5', '1', '1.0', '0.001']) assert.equal(accepts(num, t), true, t);
    for (const t of ['0', '1.01', '-0.5', '2']) assert.equal(accepts(num, t), false, t);
    assert.equal(accepts({ type: 'number' }, '-12.5e+3'), true);
  });

  it('matches strings with escapes and lengths counted in characters', () => {
    const s = { type: 'string', minLength: 2, maxLength: 3 };
    assert.equal(accepts(s, '"ab"'), true);
    assert.equal(accepts(s, '"a"'), false);
    assert.equal(accepts(s, '"abcd"'), false);
    assert.equal(accepts(s, '"\\n\\u00e9"'), true);
    assert.equal(accepts(s, '"é世"'), true);
    assert.equal(accepts({ type: 'string' }, '"a\nb"'), false, 'raw newline');
  });

  it('matches strings against a pattern, character by character, escapes decoded', () => {
    const word = { type: 'string', pattern: '^[a-z_]+$' };
    assert.equal(accepts(word, '"read_file"'), true);
    assert.equal(accepts(word, '"Read"'), false);
    assert.equal(accepts(word, '""'), false);
    const date = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' };
    assert.equal(accepts(date, '"2026-12-02"'), true);
    assert.equal(accepts(date, '"2026-12-2"'), false);
    assert.equal(accepts({ type: 'string', pattern: 'foo|ba(r|z)' }, '"a baz b"'), true, 'unanchored: anywhere');
    assert.equal(accepts({ type: 'string', pattern: 'foo' }, '"fo"'), false);
    assert.equal(accepts({ type: 'string', pattern: '^[A-Z]\\n?$' }, '"\\u0041\\n"'), true, 'escapes are the characters they stand for');
    assert.equal(accepts({ type: 'string', pattern: '^é+$' }, '"éé"'), true);
    assert.equal(accepts({ type: 'string', pattern: '^(ab)+$', maxLength: 4 }, '"abab"'), true);
    assert.equal(accepts({ type: 'string', pattern: '^(ab)+$', maxLength: 4 }, '"ababab"'), false);
    assert.equal(accepts({ type: 'string', pattern: '^[^]{2}$' }, '"\\n!"'), true, '[^] is any character');
    assert.equal(accepts({ type: 'string', pattern: '^[^"\\\\]*$' }, '"a\\"b"'), false);
  });

  it('matches arrays, enums of any value, anyOf, type lists and local $ref', () => {
    const arr = { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 };
    assert.equal(accepts(arr, '["a", "b"]'), true);
    assert.equal(accepts(arr, '[]'), false);
    assert.equal(accepts(arr, '["a","b","c"]'), false);
    const en = { enum: [1, 12, 'x', null, { k: [true] }] };
    for (const t of ['1', '12', '"x"', 'null', '{"k":[true]}']) assert.equal(accepts(en, t), true, t);
    assert.equal(accepts(en, '2'), false);
    const any = { anyOf: [{ type: 'integer' }, { type: 'array', items: { type: 'integer' } }] };
    assert.equal(accepts(any, '[1, 2]'), true);
    assert.equal(accepts(any, '3'), true);
    assert.equal(accepts(any, '"3"'), false);
    assert.equal(accepts({ type: ['string', 'null'] }, 'null'), true);
    const tree = { $ref: '#/$defs/node', $defs: { node: { type: 'object', properties: { v: { type: 'integer' }, kids: { type: 'array', items: { $ref: '#/$defs/node' } } }, required: ['v'] } } };
    assert.equal(accepts(tree, '{"v": 1, "kids": [{"v": 2, "kids": []}, {"v": 3}]}'), true);
    assert.equal(accepts(tree, '{"kids": []}'), false);
  });

  it('applyMask keeps exactly the allowed logits, across whole masked words and a ragged end', () => {
    const logits = Float32Array.from({ length: 200 }, (_, i) => i);
    const bits = new Uint32Array(7);
    for (const id of [0, 31, 32, 150, 199]) setBit(bits, id);
    applyMask(logits, bits);
    const kept = [...logits.keys()].filter((i) => logits[i] !== -Infinity);
    assert.deepEqual(kept, [0, 31, 32, 150, 199]);
    assert.equal(logits[150], 150);
  });

  it('without a schema takes any JSON object (json_object), keys free', () => {
    assert.equal(accepts(undefined, '{"a": [1, {"b": null}], "c": "d"}'), true);
    assert.equal(accepts(undefined, '[1]'), false);
  });
});
