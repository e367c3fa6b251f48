import assert from 'node:assert/strict';
import { balanceAgainstSuffix, unmatchedClosers } from '../../../src/completion/bracketBalance';
import { matchIndentation, postprocess, trimLines } from '../../../src/completion/postprocess';

const LF = { eol: '\n' as const, insertSpaces: true, tabSize: 4 };

describe('completion/postprocess', () => {
  it('finds closers that close brackets of the prefix', () => {
    assert.deepEqual(unmatchedClosers('a, b)'), [4]);
    assert.deepEqual(unmatchedClosers('foo()'), []);
    assert.deepEqual(unmatchedClosers('")"'), []);
    assert.deepEqual(unmatchedClosers('lo"'), [2]);
  });

  it('drops a closing parenthesis the suffix already holds: foo(║)', () => {
    assert.equal(balanceAgainstSuffix('a, b)', ')'), 'a, b');
    assert.equal(balanceAgainstSuffix('a, b);', ');'), 'a, b');
  });

  it('keeps balanced brackets the completion opened itself', () => {
    assert.equal(balanceAgainstSuffix('foo()', ')'), 'foo()');
  });

  it('drops a duplicate semicolon and a duplicate closing quote', () => {
    assert.equal(balanceAgainstSuffix('5;', ';'), '5');
    assert.equal(balanceAgainstSuffix('lo"', '"'), 'lo');
  });

  it('drops the block closer when the suffix closes on the same line: if (x) {║}', () => {
    assert.equal(balanceAgainstSuffix('\n    return 1;\n}', '}'), '\n    return 1;');
  });

  it("keeps a method's closer when the suffix's next line closes the class", () => {
    const completion = '\n        return 1;\n    }';
    assert.equal(balanceAgainstSuffix(completion, '\n}\n'), completion);
    assert.equal(balanceAgainstSuffix(completion, '\n    }\n}'), '\n        return 1;');
  });

  it('trims trailing whitespace and trailing blank lines', () => {
    assert.deepEqual(trimLines(['a  ', '  b\t', '', '   ']), ['a', '  b']);
  });

  it("re-indents to the document's tabs or spaces", () => {
    assert.deepEqual(matchIndentation(['x', '    y', '      z'], false, 4), ['x', '\ty', '\t  z']);
    assert.deepEqual(matchIndentation(['x', '\ty', '\t\tz'], true, 2), ['x', '  y', '    z']);
  });

  it('joins with CRLF when the document uses it', () => {
    assert.equal(postprocess(['', '    a();', '    b();'], { ...LF, eol: '\r\n', suffix: '\r\n}' }), '\r\n    a();\r\n    b();');
  });

  it('drops an empty or whitespace-only result', () => {
    assert.equal(postprocess(['   ', ''], { ...LF, suffix: '' }), undefined);
    assert.equal(postprocess([')'], { ...LF, suffix: ')' }), undefined);
  });

  it('keeps non-ASCII text intact', () => {
    assert.equal(postprocess(['"héllo wörld 👋 日本"'], { ...LF, suffix: '' }), '"héllo wörld 👋 日本"');
  });
});
