import assert from 'node:assert/strict';
import { estimateTokens as commonEstimate } from '../../../src/common/tokens';
import { createHelpers, estimateTokens, fenceCode, truncateToTokens } from '../../../src/templates/helpers';

describe('templates: helpers', () => {
  const opts = { hash: {} };
  const helpers = createHelpers(() => estimateTokens);

  it("estimates tokens with the project's one estimate (three characters each) when no tokenizer is given", () => {
    assert.equal(estimateTokens, commonEstimate);
    assert.equal(estimateTokens(''), 0);
    assert.equal(estimateTokens('abc'), 1);
    assert.equal(estimateTokens('abcd'), 2);
  });

  it('truncates to a token budget from the start or the end', () => {
    const chars = (s: string): number => s.length;
    assert.equal(truncateToTokens('abcdefghij', 4, 'start', chars), 'abcd');
    assert.equal(truncateToTokens('abcdefghij', 4, 'end', chars), 'ghij');
    assert.equal(truncateToTokens('abc', 10, 'start', chars), 'abc');
    assert.equal(truncateToTokens('abc', 0, 'start', chars), '');
    assert.equal(helpers['truncateTokens']!('abcdefghijklmnop', 2, { hash: { keep: 'end' } }), 'klmnop');
  });

  it('uses the counter supplied at call time', () => {
    let counter = (s: string): number => s.length;
    const h = createHelpers(() => counter);
    assert.equal(h['truncateTokens']!('abcdef', 3, opts), 'abc');
    counter = (s) => Math.ceil(s.length / 2);
    assert.equal(h['truncateTokens']!('abcdef', 2, opts), 'abcd');
  });

  it('fences code with a fence longer than any backtick run inside it', () => {
    assert.equal(fenceCode('x', 'ts'), '```ts\nx\n```');
    assert.equal(fenceCode('a\n```\nb\n', ''), '````\na\n```\nb\n````');
  });

  it('compares and combines values', () => {
    assert.equal(helpers['eq']!('a', 'a', opts), true);
    assert.equal(helpers['eq']!(1, '1', opts), false);
    assert.equal(helpers['ne']!(1, 2, opts), true);
    assert.equal(helpers['and']!(true, 'x', opts), true);
    assert.equal(helpers['and']!(true, [], opts), false);
    assert.equal(helpers['or']!(false, 0, 'y', opts), true);
    assert.equal(helpers['not']!('', opts), true);
    assert.equal(helpers['default']!('', 'fallback', opts), 'fallback');
    assert.equal(helpers['default']!('set', 'fallback', opts), 'set');
  });

  it('formats text', () => {
    assert.equal(helpers['indent']!('a\n\nb', 2, opts), '  a\n\n  b');
    assert.equal(helpers['upper']!('aB', opts), 'AB');
    assert.equal(helpers['lower']!('aB', opts), 'ab');
    assert.equal(helpers['json']!({ a: 1 }, opts), '{"a":1}');
    assert.equal(helpers['json']!([1], 2, opts), '[\n  1\n]');
    assert.deepEqual(helpers['lines']!('a\nb\n', opts), ['a', 'b']);
    assert.deepEqual(helpers['lines']!('', opts), []);
  });
});
