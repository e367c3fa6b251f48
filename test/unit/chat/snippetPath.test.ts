/** The default path of "save as new file" for a chat code block: a hostile fence language never leaves the workspace folder. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { snippetDefaultPath, snippetExtension } from '../../../src/chat/snippetPath';

const FOLDER = '/home/user/project';

describe('save as new file: the default path from a code fence language', () => {
  for (const [language, extension] of [
    ['typescript', 'ts'],
    ['TypeScript', 'ts'],
    ['py', 'py'],
    ['c++', 'cpp'],
    ['C#', 'cs'],
    ['objective-c', 'm'],
    ['', 'txt'],
    ['klingon', 'txt'],
  ] as const) {
    it(`'${language}' -> .${extension}`, () => {
      assert.equal(snippetExtension(language), extension);
      assert.equal(snippetDefaultPath(FOLDER, language), `${FOLDER}/snippet.${extension}`);
    });
  }

  const HOSTILE = [
    '../../etc/x',
    '/abs',
    '/etc/passwd',
    '..',
    '.',
    'ts/../../../x',
    'ts\\..\\..\\x',
    'C:\\Windows\\x',
    'x\u0000y',
    'a'.repeat(10_000),
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'ts x',
    'ts\n../y',
    '%2e%2e%2fx',
  ];
  for (const language of HOSTILE) {
    it(`hostile language ${JSON.stringify(language.slice(0, 30))} gives a plain file name in the folder`, () => {
      const ext = snippetExtension(language);
      assert.match(ext, /^[A-Za-z0-9+#-]{1,16}$/);
      const target = snippetDefaultPath(FOLDER, language);
      assert.equal(path.posix.dirname(target), FOLDER);
      assert.match(path.posix.basename(target), /^snippet\.[A-Za-z0-9+#-]{1,16}$/);
      assert.equal(target, `${FOLDER}/snippet.txt`);
    });
  }

  it('stays in a folder given with a trailing slash or on Windows-style paths', () => {
    assert.equal(snippetDefaultPath('/w/', '../x'), '/w/snippet.txt');
    assert.equal(snippetDefaultPath('/c:/Users/me/proj', 'rust'), '/c:/Users/me/proj/snippet.rs');
  });
});
