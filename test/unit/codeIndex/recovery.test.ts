import * as assert from 'node:assert/strict';
import { syntaxAssetsFromPackages } from '../../../src/codeIndex/packageAssets';
import { SyntaxOutliner } from '../../../src/codeIndex/syntax';

/** Overloads as generic call signatures without semicolons: tree-sitter-typescript reads them as comparisons. */
const OVERLOADS = `import { pipe } from "./Function.js"

/**
 * Creates a function usable data-first or data-last.
 */
export const dual: {
  <DataLast extends (...args: Array<any>) => any, DataFirst extends (...args: Array<any>) => any>(arity: number, body: DataFirst): DataLast & DataFirst
  <DataLast extends (...args: Array<any>) => any, DataFirst extends (...args: Array<any>) => any>(isDataFirst: (args: IArguments) => boolean, body: DataFirst): DataLast & DataFirst
} = function(arity, body) {
  return body
}

/** The identity. */
export const identity = <A>(a: A): A => a

export function constant<A>(value: A): () => A {
  return () => value
}

export interface LazyArg<A> {
  (): A
}
`;

describe('codeIndex/recovery', () => {
  let outliner: SyntaxOutliner;
  before(async () => {
    outliner = await SyntaxOutliner.create(syntaxAssetsFromPackages());
  });
  after(() => outliner.dispose());

  it('finds the declarations after a part the grammar cannot parse, and the failed part by its head line', () => {
    const outline = outliner.outline({ path: 'Function.ts', languageId: 'typescript', text: OVERLOADS });
    assert.equal(outline.cutBy, 'syntax');
    const byName = new Map(outline.definitions.map((d) => [d.name, d]));
    assert.deepEqual([...byName.keys()].filter((n) => ['dual', 'identity', 'constant', 'LazyArg'].includes(n)).sort(), ['LazyArg', 'constant', 'dual', 'identity']);
    assert.equal(byName.get('identity')!.startLine, 13);
    assert.equal(byName.get('constant')!.kind, 'function');
    assert.equal(byName.get('constant')!.startLine, 15);
    assert.equal(byName.get('LazyArg')!.kind, 'interface');
    const dual = byName.get('dual')!;
    assert.equal(dual.startLine, 5);
    assert.ok(dual.text.startsWith('export const dual: {\n  <DataLast'), dual.text);
    assert.ok(!dual.text.includes('Creates a function'), 'comments are left out of the head');
  });

  it('still covers every non-blank line with exactly one chunk', () => {
    const outline = outliner.outline({ path: 'Function.ts', languageId: 'typescript', text: OVERLOADS });
    const lines = OVERLOADS.split('\n');
    lines.forEach((line, n) => {
      if (line.trim() === '') return;
      const holding = outline.chunks.filter((c) => c.startLine <= n && n <= c.endLine);
      assert.equal(holding.length, 1, `line ${n} (${line}) is in ${holding.length} chunks`);
    });
  });

  it('leaves a file that parses alone', () => {
    const text = 'export function a(): number {\n  return 1;\n}\n\nexport function b(): number {\n  return 2;\n}\n';
    const outline = outliner.outline({ path: 'ok.ts', languageId: 'typescript', text });
    assert.deepEqual(outline.definitions.map((d) => [d.name, d.startLine]), [['a', 0], ['b', 4]]);
    assert.equal('syntaxErrors' in outline, false);
  });
});
