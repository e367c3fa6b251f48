import * as assert from 'node:assert/strict';
import { lineChunks } from '../../../src/codeIndex/chunker';
import { syntaxAssetsFromPackages } from '../../../src/codeIndex/packageAssets';
import { SyntaxOutliner } from '../../../src/codeIndex/syntax';
import { assertEveryLineOnce } from './coverage';

const file = (languageId: string, text: string) => ({ path: 'src/x', languageId, text });

describe('codeIndex/chunker', () => {
  let outliner: SyntaxOutliner;
  before(async () => {
    outliner = await SyntaxOutliner.create(syntaxAssetsFromPackages(), { chunkLines: 10 });
  });
  after(() => outliner.dispose());

  it('cuts line windows, dropping blank edges and blank windows, within a range when given', () => {
    const text = ['a', 'b', '', '', '', '', 'c', ''].join('\n');
    assert.deepEqual(
      lineChunks(file('plaintext', text), 2).map((c) => [c.startLine, c.endLine, c.text]),
      [
        [0, 1, 'a\nb'],
        [6, 6, 'c'],
      ],
    );
    assert.deepEqual(
      lineChunks(file('plaintext', text), 3, { start: 1, end: 6 }).map((c) => [c.startLine, c.endLine]),
      [
        [1, 1],
        [6, 6],
      ],
    );
  });

  it('keeps a comment with the declaration right below it, and merges imports and one-liners', () => {
    const text = ["import a from 'a';", "import b from 'b';", 'const x = 1;', '', '/** Doc. */', 'function f() {', '  return 1;', '}', 'f();'].join('\n');
    const outline = outliner.outline(file('typescript', text));
    assert.deepEqual(
      outline.chunks.map((c) => [c.startLine, c.endLine, c.symbols]),
      [
        [0, 2, ['x']],
        [4, 7, ['f']],
        [8, 8, []],
      ],
    );
  });

  it('cuts a class over the cap into its members, each naming the class head', () => {
    const methods = Array.from({ length: 4 }, (_, i) => [`  m${i}(): number {`, `    return ${i};`, '  }'].join('\n'));
    const text = ['@sealed', 'export class Box {', '  value = 1;', ...methods, '}'].join('\n');
    const outline = outliner.outline(file('typescript', text));
    assertEveryLineOnce(text, outline.chunks);
    assert.deepEqual(
      outline.chunks.map((c) => [c.startLine, c.endLine, c.symbols, c.context ?? null]),
      [
        [0, 2, ['Box'], null],
        [3, 5, ['m0'], 'export class Box {'],
        [6, 8, ['m1'], 'export class Box {'],
        [9, 11, ['m2'], 'export class Box {'],
        [12, 15, ['m3'], 'export class Box {'],
      ],
    );
  });

  it('falls back to line windows inside a declaration with nothing to cut along', () => {
    const text = ['const s = `', ...Array.from({ length: 25 }, (_, i) => `line ${i}`), '`;'].join('\n');
    const outline = outliner.outline(file('javascript', text));
    assert.equal(outline.cutBy, 'syntax');
    assertEveryLineOnce(text, outline.chunks);
    assert.deepEqual(
      outline.chunks.map((c) => [c.startLine, c.endLine]),
      [
        [0, 9],
        [10, 19],
        [20, 26],
      ],
    );
  });
});
