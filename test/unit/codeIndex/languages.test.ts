import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GRAMMARS, grammarOf, languageOfPath } from '../../../src/codeIndex/languages';
import { syntaxAssetsFromPackages } from '../../../src/codeIndex/packageAssets';
import { grammarFile } from '../../../src/codeIndex/syntax';

describe('codeIndex/languages', () => {
  it('serves each VS Code languageId with a grammar, C with the C++ one', () => {
    const ids = ['typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'python', 'go', 'rust', 'java', 'c', 'cpp'];
    assert.deepEqual(
      ids.map((id) => grammarOf(id)),
      ['typescript', 'tsx', 'javascript', 'javascript', 'python', 'go', 'rust', 'java', 'cpp', 'cpp'],
    );
  });

  it('has no grammar for other languages, nor for names on Object.prototype', () => {
    for (const id of ['ruby', 'markdown', 'plaintext', '', 'constructor', 'toString', '__proto__']) {
      assert.equal(grammarOf(id), undefined, id);
    }
  });

  it('finds the language of a path on disk by its extension, either slash and any case', () => {
    const cases: Array<[string, string | undefined]> = [
      ['src/a.ts', 'typescript'],
      ['src/types.d.ts', 'typescript'],
      ['lib/x.MTS', 'typescript'],
      ['ui/App.tsx', 'typescriptreact'],
      ['a/b.cjs', 'javascript'],
      ['a\\b\\c.jsx', 'javascriptreact'],
      ['pkg/mod.py', 'python'],
      ['stubs/mod.pyi', 'python'],
      ['cmd/main.go', 'go'],
      ['src/lib.rs', 'rust'],
      ['Main.java', 'java'],
      ['buf.c', 'c'],
      ['buf.h', 'c'],
      ['ring.hpp', 'cpp'],
      ['ring.cc', 'cpp'],
      ['app.rb', 'ruby'],
      ['Makefile', undefined],
      ['.gitignore', undefined],
      ['notes.txt', undefined],
      ['dir.ts/README', undefined],
    ];
    assert.deepEqual(
      cases.map(([p]) => [p, languageOfPath(p)]),
      cases,
    );
  });

  it('is the list of grammars the build copies into dist/grammars/', () => {
    const build = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'esbuild.mjs'), 'utf8');
    const copied = /const GRAMMARS = \[([^\]]*)\]/.exec(build)?.[1]?.match(/[a-z]+/g);
    assert.deepEqual(copied, [...GRAMMARS]);
  });

  it('finds a grammar file in the package for each grammar', () => {
    const { grammarDir, runtimeWasm } = syntaxAssetsFromPackages();
    assert.ok(fs.existsSync(runtimeWasm), runtimeWasm);
    for (const grammar of GRAMMARS) {
      assert.ok(fs.existsSync(grammarFile(grammarDir, grammar)), grammar);
    }
  });
});
