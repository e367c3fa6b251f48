import * as assert from 'node:assert/strict';
import { ToolInputError } from '../../../../src/agent/types';
import { MatchTimeout, TextMatcher } from '../../../../src/host/agent/textMatcher';

describe('search_text matcher', () => {
  const text = 'const priceOf = 1;\nPriceOf again\r\nnothing\nprice.of literal\n';

  it('finds plain text, case-insensitively when the query is lower case', () => {
    assert.deepEqual(new TextMatcher('priceof', false).matchLines(text, 10, 200, 1000), [
      { line: 1, text: 'const priceOf = 1;' },
      { line: 2, text: 'PriceOf again' },
    ]);
  });

  it('is case-sensitive when the query has an upper-case letter, and treats regex characters literally in plain text', () => {
    assert.deepEqual(new TextMatcher('PriceOf', false).matchLines(text, 10, 200, 1000).map((m) => m.line), [2]);
    assert.deepEqual(new TextMatcher('price.of', false).matchLines(text, 10, 200, 1000).map((m) => m.line), [4]);
  });

  it('matches a regular expression and stops at the most matches asked', () => {
    assert.deepEqual(new TextMatcher('^\\w+\\s', true).matchLines(text, 10, 200, 1000).map((m) => m.line), [1, 2]);
    assert.deepEqual(new TextMatcher('o', true).matchLines(text, 2, 200, 1000).map((m) => m.line), [1, 2]);
  });

  it('shows a window of a long line around the match', () => {
    const long = `${'x'.repeat(500)}NEEDLE${'y'.repeat(500)}`;
    const [m] = new TextMatcher('NEEDLE', false).matchLines(long, 1, 40, 1000);
    assert.equal(m?.text, `...${'x'.repeat(10)}NEEDLE${'y'.repeat(24)}...`);
  });

  it('refuses an invalid regular expression as a ToolInputError', () => {
    assert.throws(() => new TextMatcher('(unclosed', true), (e: unknown) => e instanceof ToolInputError && /not a valid JavaScript regular expression/.test(e.message));
  });

  it('interrupts a catastrophically backtracking expression at its time limit', () => {
    const matcher = new TextMatcher('^(a+)+$', true);
    assert.throws(() => matcher.matchLines(`${'a'.repeat(40)}b`, 1, 200, 100), MatchTimeout);
    assert.deepEqual(matcher.matchLines('aaa', 1, 200, 1000), [{ line: 1, text: 'aaa' }], 'the matcher still works after a timeout');
  });
});
