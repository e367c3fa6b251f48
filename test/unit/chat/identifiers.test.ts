import * as assert from 'node:assert/strict';
import { mentionedNames } from '../../../src/chat/identifiers';

describe('code names a chat question mentions', () => {
  it('finds camelCase, PascalCase, snake_case and SCREAMING_CASE identifiers, each once', () => {
    const names = mentionedNames('Why does priceOf return NaN for a CartItem? priceOf is called by cart_total with MAX_ITEMS.');
    assert.deepEqual(names.symbols, ['priceOf', 'CartItem', 'cart_total', 'MAX_ITEMS']);
    assert.deepEqual(names.files, []);
  });

  it('takes any name in backticks, and the parts of a dotted one', () => {
    assert.deepEqual(mentionedNames('What does `total` do, and `Cart.add()`?').symbols, ['total', 'Cart', 'add']);
  });

  it('names nothing in a plain English sentence, capitalised words included', () => {
    assert.deepEqual(mentionedNames('Where is the Price computed? Explain it to me.'), { symbols: [], files: [] });
  });

  it('finds file names with a source extension, and does not read their parts as symbols', () => {
    const names = mentionedNames('What is in cart_utils.ts and `pricing.py`, next to README.md?');
    assert.deepEqual(names.files, ['cart_utils.ts', 'pricing.py', 'README.md']);
    assert.deepEqual(names.symbols, []);
  });
});
