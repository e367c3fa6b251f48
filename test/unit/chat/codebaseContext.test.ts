import * as assert from 'node:assert/strict';
import { mentionsCodebase, retrievalBudget, retrieveContext, withoutCodebaseMention, type RetrievalInput } from '../../../src/chat/codebaseContext';
import type { ContextItem } from '../../../src/chat/types';
import { MemoryCodebase } from './memoryCodebase';

const count = (t: string): number => t.split(/\s+/).filter(Boolean).length;

const PRICE = { path: 'src/price.ts', startLine: 0, endLine: 4, text: 'export function priceOf(item: CartItem): number {\n  return item.price * item.quantity;\n}', symbols: ['priceOf'] };
const CART = { path: 'src/cart.ts', startLine: 2, endLine: 9, text: 'export interface CartItem {\n  price: number;\n  quantity: number;\n}', symbols: ['CartItem'] };
const TAX = { path: 'src/tax.ts', startLine: 10, endLine: 20, text: 'export function taxFor(total: number) { return total * 0.2; } // price tax', symbols: ['taxFor'] };
const DEFS = [
  { name: 'priceOf', kind: 'function' as const, path: 'src/price.ts', startLine: 0, endLine: 2, text: 'export function priceOf(item: CartItem): number' },
  { name: 'CartItem', kind: 'interface' as const, path: 'src/cart.ts', startLine: 2, endLine: 5, text: CART.text },
];

function input(question: string, extra: Partial<RetrievalInput> = {}): RetrievalInput {
  return { question, index: new MemoryCodebase([PRICE, CART, TAX], DEFS), attached: [], excluded: new Set(), budgetTokens: 1000, countTokens: count, ...extra };
}

describe('context from the workspace index for a chat question', () => {
  it('recognises @codebase and takes it out of the question', () => {
    assert.equal(mentionsCodebase('@codebase how is tax computed'), true);
    assert.equal(mentionsCodebase('mail me@codebase.org'), false);
    assert.equal(withoutCodebaseMention('@codebase how is  tax computed'), 'how is tax computed');
    assert.equal(withoutCodebaseMention('how is tax computed @codebase'), 'how is tax computed');
  });

  it('with @codebase attaches the best chunks, labelled with path and one-based lines, searched without the mention', () => {
    const index = new MemoryCodebase([PRICE, CART, TAX], DEFS);
    const r = retrieveContext(input('@codebase how is the tax on a total computed', { index }));
    assert.deepEqual(r.items.map((i) => [i.label, i.kind, i.auto ?? false]), [['src/tax.ts:11-21', 'codebase', false]]);
    assert.deepEqual(r.items[0]!.location, { path: 'src/tax.ts', startLine: 10, endLine: 20 });
    assert.equal(r.items[0]!.languageId, 'typescript');
    assert.equal(index.queries.at(-1), 'how is the tax on a total computed');
    assert.equal(r.note, undefined);
  });

  it('attaches the definitions of named symbols without @codebase, marked as automatic', () => {
    const r = retrieveContext(input('Why does priceOf ignore discounts on a CartItem?'));
    assert.deepEqual(r.items.map((i) => [i.label, i.auto]), [['src/price.ts:1-5', true], ['src/cart.ts:3-10', true]]);
    assert.equal(r.items[0]!.text, PRICE.text, 'the chunk holding the definition whole');
  });

  it('attaches the best chunk of a file the question names', () => {
    const r = retrieveContext(input('what does cart.ts export for price and quantity'));
    assert.deepEqual(r.items.map((i) => i.label), ['src/cart.ts:3-10']);
  });

  it('leaves out what the attached context already holds, and what the user removed', () => {
    const file: ContextItem = { id: 'f', kind: 'file', label: 'src/cart.ts', text: CART.text };
    const r = retrieveContext(input('Why does priceOf ignore a CartItem?', { attached: [file] }));
    assert.deepEqual(r.items.map((i) => i.label), ['src/price.ts:1-5']);
    const removed = retrieveContext(input('Why does priceOf ignore a CartItem?', { excluded: new Set([r.items[0]!.id]) }));
    assert.deepEqual(removed.items.map((i) => i.label), ['src/cart.ts:3-10']);
  });

  it('keeps within the token budget, skipping a chunk too big for what is left', () => {
    const tokensOf = (c: { text: string; path: string }) => count(c.text) + 1;
    const r = retrieveContext(input('Why does priceOf ignore a CartItem?', { budgetTokens: tokensOf(CART) + 1 }));
    assert.deepEqual(r.items.map((i) => i.label), ['src/cart.ts:3-10']);
    assert.equal(retrieveContext(input('Why does priceOf fail?', { budgetTokens: 3 })).items.length, 0);
  });

  it('says the index is building or off and attaches nothing; without @codebase it says nothing', () => {
    const building = new MemoryCodebase([PRICE], DEFS, 'building');
    assert.deepEqual(retrieveContext(input('@codebase priceOf', { index: building })), { items: [], note: 'The workspace index is still building (1 files so far): sent without @codebase.' });
    assert.deepEqual(retrieveContext(input('@codebase priceOf', { index: undefined })), { items: [], note: 'The workspace index is off: sent without @codebase.' });
    assert.deepEqual(retrieveContext(input('priceOf', { index: building })), { items: [] });
  });

  it('gives retrieved chunks a share of the room the answer leaves', () => {
    assert.equal(retrievalBudget(2048, 512), Math.floor(1536 * 0.35));
    assert.equal(retrievalBudget(256, 512), 0);
  });
});
