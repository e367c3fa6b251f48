import assert from 'node:assert/strict';
import { ContextMemo } from '../../../src/completion/context';
import { definitionSnippets, importedNames, namesNearCursor } from '../../../src/completion/definitionSnippets';
import type { SymbolDefinition } from '../../../src/codeIndex/types';
import { CompletionPipeline } from '../../../src/completion/pipeline';
import { noSleep, ScriptedBackend, settings, snapshot } from './fixtures';

function def(name: string, path: string, text: string, extra: Partial<SymbolDefinition> = {}): SymbolDefinition {
  return { name, kind: 'function', path, startLine: 0, endLine: 0, text, ...extra };
}

class Lookup {
  constructor(private readonly defs: SymbolDefinition[]) {}
  definitions(name: string): SymbolDefinition[] {
    return this.defs.filter((d) => d.name === name);
  }
}

const cart = def('priceOf', 'src/cart.ts', 'export function priceOf(item: CartItem): number');
const cartItem = def('CartItem', 'src/types.ts', 'export interface CartItem {\n  price: number;\n  count: number;\n}', { kind: 'interface' });

describe('completion/definitionSnippets', () => {
  it('lists the names before the cursor nearest first, without the word being typed, with their qualifier', () => {
    const text = 'const items: CartItem[] = load();\nconst total = Cart.priceOf(items[0]) + disc';
    assert.deepEqual(namesNearCursor(text, text.length), [{ name: 'items' }, { name: 'priceOf', qualifier: 'Cart' }, { name: 'Cart' }, { name: 'total' }, { name: 'const' }, { name: 'load' }, { name: 'CartItem' }]);
  });

  it('reads the names a file imports, in the JS/TS and Python forms', () => {
    const names = importedNames("import * as Cart from './cart.js';\nimport { priceOf, type CartItem as Item } from \"../types\";\nimport def from 'pkg';\nfrom shop.cart import total, tax as vat\n");
    assert.deepEqual([...names], [['Cart', './cart.js'], ['priceOf', '../types'], ['Item', '../types'], ['def', 'pkg'], ['total', 'shop.cart'], ['vat', 'shop.cart']]);
  });

  it('brings the definitions the code before the cursor uses, leaving out the current file and unknown names', () => {
    const text = "import { priceOf } from './cart';\nconst item: CartItem = first();\nconst cost = priceOf(";
    const snippets = definitionSnippets(text, text.length, 'src/main.ts', new Lookup([cart, cartItem, def('first', 'src/main.ts', 'function first()')]), 4);
    assert.deepEqual(snippets.map((s) => [s.path, s.text.split('\n')[0]]), [['src/cart.ts', 'export function priceOf(item: CartItem): number'], ['src/types.ts', 'export interface CartItem {']]);
  });

  it('resolves a name defined in many files through the import of its qualifier, and skips it when nothing says which', () => {
    const maps = ['a', 'b', 'c', 'Option', 'Either'].map((m) => def('map', `src/${m}.ts`, `export const map: ${m}`));
    const qualified = "import * as O from './Option.js';\nconst x = O.map(";
    assert.deepEqual(definitionSnippets(qualified, qualified.length, 'src/main.ts', new Lookup(maps), 4).map((s) => s.path), ['src/Option.ts']);
    const bare = 'const x = map(';
    assert.deepEqual(definitionSnippets(bare, bare.length, 'src/main.ts', new Lookup(maps), 4), []);
  });

  it('keeps the previous definitions in their order while they are still wanted, new ones after', () => {
    const memo = new ContextMemo();
    const a = { path: 'a.ts', text: 'function a()', score: 1 };
    const b = { path: 'b.ts', text: 'function b()', score: 1 };
    const c = { path: 'c.ts', text: 'function c()', score: 1 };
    assert.deepEqual(memo.stableDefinitions('m.ts', [a, b]), [a, b]);
    assert.deepEqual(memo.stableDefinitions('m.ts', [c, b, a]), [a, b, c]);
    assert.deepEqual(memo.stableDefinitions('m.ts', [c, b]), [c, b], 'a dropped out: fresh order');
  });

  it('puts the definitions in the repository-level prompt of a family trained with cross-file context, and not in the bundled model\'s', async () => {
    const backend = new ScriptedBackend(() => ['item);']);
    const pipeline = new CompletionPipeline({ backend, settings: settings(), sleep: noSleep, codebase: () => new Lookup([cart, cartItem]) });
    await pipeline.provide(snapshot("import { priceOf } from './cart';\nconst item: CartItem = load();\nconst cost = priceOf(║", { path: 'src/main.ts' }), new AbortController().signal);
    const prompt = backend.requests[0]!.prompt;
    assert.ok(prompt.startsWith('<|repo_name|>src\n<|file_sep|>src/cart.ts\nexport function priceOf(item: CartItem): number\n<|file_sep|>src/types.ts\nexport interface CartItem {'), prompt);
    assert.ok(prompt.includes('<|file_sep|>src/main.ts\n<|fim_prefix|>'));

    const bundled = new ScriptedBackend(() => ['item);'], { info: { modelName: 'autoglm-coder', modelFamily: 'autoglm-coder' } });
    const small = new CompletionPipeline({ backend: bundled, settings: settings(), sleep: noSleep, codebase: () => new Lookup([cart, cartItem]) });
    await small.provide(snapshot('const cost = priceOf(║', { path: 'src/main.ts' }), new AbortController().signal);
    assert.ok(!bundled.requests[0]!.prompt.includes('CartItem'));
  });
});
