import * as assert from 'node:assert/strict';
import { ToolInputError } from '../../../../src/agent/types';
import { symbolName, wordOffsets } from '../../../../src/host/agent/symbolName';

describe('symbol names for find_definition / find_references', () => {
  it('takes the last part of a qualified name, without a call\'s parentheses', () => {
    assert.equal(symbolName(' parseConfig '), 'parseConfig');
    assert.equal(symbolName('Cart.total'), 'total');
    assert.equal(symbolName('std::vector'), 'vector');
    assert.equal(symbolName('Widget#render'), 'render');
    assert.equal(symbolName('priceOf()'), 'priceOf');
    assert.equal(symbolName('$état_1'), '$état_1');
  });

  it('refuses what is not a name', () => {
    assert.throws(() => symbolName('two words'), ToolInputError);
    assert.throws(() => symbolName('a+b'), ToolInputError);
    assert.throws(() => symbolName('.'), ToolInputError);
  });

  it('finds whole-word occurrences only, from an offset, at most max', () => {
    const text = 'total subtotal total_x $total total';
    assert.deepEqual(wordOffsets(text, 'total', 0, 10), [0, 30]);
    assert.deepEqual(wordOffsets(text, 'total', 1, 10), [30]);
    assert.deepEqual(wordOffsets(text, 'total', 0, 1), [0]);
    assert.deepEqual(wordOffsets('a.b', 'b', 0, 5), [2]);
  });
});
