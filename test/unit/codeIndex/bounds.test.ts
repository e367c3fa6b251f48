/**
 * Hostile input: whatever a workspace file holds, outline returns (never throws), within its
 * size and time caps, and still puts every non-blank line in exactly one chunk.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GRAMMARS, type GrammarName } from '../../../src/codeIndex/languages';
import { syntaxAssetsFromPackages } from '../../../src/codeIndex/packageAssets';
import { grammarFile, SyntaxLoadError, SyntaxOutliner } from '../../../src/codeIndex/syntax';
import type { SourceFile } from '../../../src/codeIndex/types';
import { assertEveryLineOnce } from './coverage';

const LANGUAGE_OF_GRAMMAR: Record<GrammarName, string> = {
  typescript: 'typescript',
  tsx: 'typescriptreact',
  javascript: 'javascript',
  python: 'python',
  go: 'go',
  rust: 'rust',
  java: 'java',
  cpp: 'cpp',
};

/** Deterministic bytes (a linear congruential generator), so a failure can be replayed. */
function garbage(length: number, seed: number): string {
  let state = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    out += String.fromCharCode(state % 7 === 0 ? 10 : (state >> 8) & 0xff);
  }
  return out;
}

function file(languageId: string, text: string): SourceFile {
  return { path: `src/input.${languageId}`, languageId, text };
}

describe('codeIndex/syntax: bounds on hostile input', () => {
  let outliner: SyntaxOutliner;
  before(async () => {
    outliner = await SyntaxOutliner.create(syntaxAssetsFromPackages());
  });
  after(() => outliner.dispose());

  it('cuts a file over the size cap by lines, unparsed', () => {
    const text = 'export const x = 1;\n'.repeat(60_000);
    assert.ok(text.length > 1_000_000);
    const outline = outliner.outline(file('typescript', text));
    assert.equal(outline.cutBy, 'lines');
    assert.equal(outline.reason, 'too-large');
    assert.deepEqual(outline.definitions, []);
    assert.equal(outline.chunks.length, 1200);
    assertEveryLineOnce(text, outline.chunks);
  });

  it('honours a smaller size cap from the options', async () => {
    const small = await SyntaxOutliner.create(syntaxAssetsFromPackages(), { maxChars: 100 });
    try {
      const text = 'function f() {\n  return 1;\n}\n'.repeat(10);
      assert.equal(small.outline(file('javascript', text)).reason, 'too-large');
      assert.equal(small.outline(file('javascript', text.slice(0, 90))).cutBy, 'syntax');
    } finally {
      small.dispose();
    }
  });

  it('outlines 5,000 nested brackets on one line and on 5,000 lines', () => {
    for (const text of [`const a = ${'['.repeat(5000)}${']'.repeat(5000)};\n`, `const a = ${'[\n'.repeat(5000)}${']\n'.repeat(5000)};\n`]) {
      const outline = outliner.outline(file('typescript', text));
      assertEveryLineOnce(text, outline.chunks);
      assert.ok(outline.chunks.every((c) => c.endLine - c.startLine < 50), 'no chunk over the line cap');
    }
  });

  it('outlines 2,000 nested functions, classes or namespaces in every grammar', () => {
    const bodies: Record<GrammarName, [string, string]> = {
      typescript: ['function f() {\n', '}\n'],
      tsx: ['function f() {\n', '}\n'],
      javascript: ['function f() {\n', '}\n'],
      python: ['', ''],
      go: ['func f() {\n', '}\n'],
      rust: ['fn f() {\n', '}\n'],
      java: ['class A {\n', '}\n'],
      cpp: ['namespace a {\n', '}\n'],
    };
    for (const grammar of GRAMMARS) {
      const [open, close] = bodies[grammar];
      // Python nests by indentation: 2,000 levels would be over the size cap, 500 are not.
      const text = grammar === 'python' ? Array.from({ length: 500 }, (_, i) => `${' '.repeat(i)}def f${i}():\n`).join('') + `${' '.repeat(500)}pass\n` : open.repeat(2000) + close.repeat(2000);
      const outline = outliner.outline(file(LANGUAGE_OF_GRAMMAR[grammar], text));
      assert.notEqual(outline.reason, 'too-large');
      assertEveryLineOnce(text, outline.chunks);
      assert.ok(outline.chunks.length >= 500 / 50, `${grammar}: ${outline.chunks.length} chunks`);
    }
  });

  it('outlines binary garbage in every grammar without throwing', () => {
    for (const [i, grammar] of GRAMMARS.entries()) {
      const text = garbage(20_000, i + 1) + '\u0000\uD800\uFFFF';
      const outline = outliner.outline(file(LANGUAGE_OF_GRAMMAR[grammar], text));
      assert.ok(outline.cutBy === 'syntax' || outline.cutBy === 'lines');
      assertEveryLineOnce(text, outline.chunks);
    }
  });

  it('abandons a parse over the time cap, cuts by lines, and parses the next file', async () => {
    const hurried = await SyntaxOutliner.create(syntaxAssetsFromPackages(), { parseTimeoutMs: 0 });
    const text = fs.readFileSync(path.resolve(__dirname, '..', '..', 'fixtures', 'codeIndex', 'typescript', 'input.ts'), 'utf8').repeat(40);
    try {
      const outline = hurried.outline(file('typescript', text));
      assert.equal(outline.cutBy, 'lines');
      assert.equal(outline.reason, 'timeout');
      assertEveryLineOnce(text, outline.chunks);
    } finally {
      hurried.dispose();
    }
    const after = outliner.outline(file('typescript', text));
    assert.equal(after.cutBy, 'syntax');
    assert.ok(after.definitions.some((d) => d.name === 'TtlCache'));
  });

  it('cuts a language without a grammar into line windows', () => {
    const text = Array.from({ length: 120 }, (_, i) => (i % 10 === 9 ? '' : `puts ${i}`)).join('\n');
    const outline = outliner.outline({ path: 'a.rb', languageId: 'ruby', text });
    assert.equal(outline.cutBy, 'lines');
    assert.equal(outline.reason, 'no-grammar');
    assert.deepEqual(
      outline.chunks.map((c) => [c.startLine, c.endLine]),
      [
        [0, 48],
        [50, 98],
        [100, 118],
      ],
    );
    assertEveryLineOnce(text, outline.chunks);
  });

  it('outlines empty and blank files as no chunks', () => {
    for (const text of ['', '\n\n  \n', '\r\n']) {
      const outline = outliner.outline(file('python', text));
      assert.deepEqual(outline.chunks, []);
      assert.deepEqual(outline.definitions, []);
    }
  });

  it('reports a grammar that does not load once, and cuts its files by lines while the others parse', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-grammars-'));
    const packaged = syntaxAssetsFromPackages();
    try {
      fs.copyFileSync(grammarFile(packaged.grammarDir, 'python'), grammarFile(dir, 'python'));
      fs.writeFileSync(grammarFile(dir, 'go'), 'not wasm');
      const partial = await SyntaxOutliner.create({ runtimeWasm: packaged.runtimeWasm, grammarDir: dir }, { grammars: ['python', 'go', 'rust'] });
      try {
        assert.deepEqual(
          partial.grammarProblems.map((p) => [p instanceof SyntaxLoadError, p.file]),
          [
            [true, grammarFile(dir, 'go')],
            [true, grammarFile(dir, 'rust')],
          ],
        );
        assert.match(partial.grammarProblems[0]!.message, /the go grammar did not load/);
        assert.equal(partial.outline(file('go', 'package a\n\nfunc f() {}\n')).reason, 'grammar-unavailable');
        assert.equal(partial.outline(file('typescript', 'const a = 1;\n')).reason, 'grammar-unavailable');
        assert.equal(partial.outline(file('python', 'def f():\n    pass\n')).cutBy, 'syntax');
      } finally {
        partial.dispose();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cuts by lines after dispose instead of touching the freed parser', async () => {
    const short = await SyntaxOutliner.create(syntaxAssetsFromPackages());
    short.dispose();
    short.dispose();
    assert.equal(short.outline(file('python', 'x = 1\n')).reason, 'grammar-unavailable');
  });
});
