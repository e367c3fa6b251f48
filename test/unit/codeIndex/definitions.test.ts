import * as assert from 'node:assert/strict';
import { DEFINITION_TEXT_LINES } from '../../../src/codeIndex/definitions';
import { syntaxAssetsFromPackages } from '../../../src/codeIndex/packageAssets';
import { SyntaxOutliner } from '../../../src/codeIndex/syntax';

const file = (languageId: string, text: string) => ({ path: 'src/x', languageId, text });

describe('codeIndex/definitions', () => {
  let outliner: SyntaxOutliner;
  before(async () => {
    outliner = await SyntaxOutliner.create(syntaxAssetsFromPackages());
  });
  after(() => outliner.dispose());

  it('cuts a long interface to the line cap with one elision line and its closing brace', () => {
    const fields = Array.from({ length: 30 }, (_, i) => `  field${i}: number;`);
    const text = ['export interface Wide {', ...fields, '}'].join('\n');
    const [wide] = outliner.outline(file('typescript', text)).definitions;
    const lines = wide!.text.split('\n');
    assert.equal(lines.length, DEFINITION_TEXT_LINES);
    assert.deepEqual(lines.slice(0, 2), ['export interface Wide {', '  field0: number;']);
    assert.deepEqual(lines.slice(-3), ['  field16: number;', '  // ...', '}']);
  });

  it('shows a long Python class as its head, docstring line and method signatures', () => {
    const methods = Array.from({ length: 8 }, (_, i) => [`    def m${i}(self, x: int) -> int:`, `        return x + ${i}`, ''].join('\n'));
    const text = ['class Long(Base):', '    """Adds numbers.', '', '    More words.', '    """', '', ...methods].join('\n');
    const [long] = outliner.outline(file('python', text)).definitions;
    assert.deepEqual(long!.text.split('\n').slice(0, 4), ['class Long(Base):', '    """Adds numbers."""', '    def m0(self, x: int) -> int:', '    def m1(self, x: int) -> int:']);
    assert.equal(long!.text.split('\n').length, 10);
  });

  it('cuts minified code on one line to the character cap', () => {
    const text = `export const table = [${Array.from({ length: 5000 }, (_, i) => i).join(',')}];`;
    const [table] = outliner.outline(file('javascript', text)).definitions;
    assert.equal(table!.name, 'table');
    assert.ok(table!.text.length <= 2_100, `${table!.text.length} characters`);
    assert.ok(table!.text.endsWith('\n// ...'));
  });

  it('reads CRLF files as LF ones: the same rows, texts without carriage returns', () => {
    const lf = ['/** Doc. */', 'export function add(', '  a: number,', '  b: number,', '): number {', '  return a + b;', '}', '', 'export class A {', '  m(): void {}', '}', ''].join('\n');
    const fromLf = outliner.outline(file('typescript', lf));
    const fromCrlf = outliner.outline(file('typescript', lf.replace(/\n/g, '\r\n')));
    assert.deepEqual(
      fromCrlf.definitions.map((d) => [d.name, d.startLine, d.endLine, d.text]),
      fromLf.definitions.map((d) => [d.name, d.startLine, d.endLine, d.text]),
    );
    assert.deepEqual(fromLf.definitions[0]!.text, 'export function add(\n  a: number,\n  b: number,\n): number');
    assert.deepEqual(
      fromCrlf.chunks.map((c) => [c.startLine, c.endLine, c.symbols]),
      fromLf.chunks.map((c) => [c.startLine, c.endLine, c.symbols]),
    );
  });

  it('parses JSX in javascriptreact files with the javascript grammar', () => {
    const text = "export function Hello({ name }) {\n  return <p className='x'>Hi {name}</p>;\n}\n";
    const outline = outliner.outline({ path: 'src/Hello.jsx', languageId: 'javascriptreact', text });
    assert.equal(outline.cutBy, 'syntax');
    assert.deepEqual(
      outline.definitions.map((d) => [d.kind, d.name, d.text]),
      [['function', 'Hello', 'export function Hello({ name })']],
    );
  });

  it('names the container of members: class, impl type, Go receiver, C++ qualifier', () => {
    const cases: Array<[string, string, string[]]> = [
      ['typescript', 'class A {\n  m() {}\n  f = () => 1;\n}\n', ['A', 'A.m', 'A.f']],
      ['rust', 'struct S;\nimpl<T> Tr for Wrap<T> {\n    fn go(&self) {}\n}\n', ['S', 'Wrap.go']],
      ['go', 'package p\nfunc (s *Server[T]) Run() {}\n', ['Server.Run']],
      ['cpp', 'int Ring::size() const { return 0; }\nnamespace n { void f() {} }\n', ['Ring.size', 'n', 'n.f']],
      ['python', 'class K:\n    @staticmethod\n    def make(): ...\n    class Inner:\n        def go(self): ...\n', ['K', 'K.make', 'K.Inner', 'Inner.go']],
    ];
    for (const [languageId, text, expected] of cases) {
      const names = outliner.outline(file(languageId, text)).definitions.map((d) => (d.container === undefined ? d.name : `${d.container}.${d.name}`));
      assert.deepEqual(names, expected, languageId);
    }
  });
});
