import * as assert from 'node:assert/strict';
import { ToolInputError } from '../../../../src/agent/types';
import { applyTextEdit, changedSpan, editsByFile, readEdits } from '../../../../src/host/agent/searchReplace';

const edit = (oldText: string | undefined, newText: string) => ({ path: 'a.ts', oldText, newText });

describe('search/replace edits', () => {
  it('replaces text that occurs exactly once', () => {
    assert.equal(applyTextEdit('let a = 1;\nlet b = 2;\n', edit('b = 2', 'b = 3')), 'let a = 1;\nlet b = 3;\n');
  });

  it('gives the whole file without old_text, also for a file not yet there', () => {
    assert.equal(applyTextEdit('old', edit(undefined, 'new')), 'new');
    assert.equal(applyTextEdit(undefined, edit(undefined, 'created')), 'created');
  });

  it('says where old_text occurs when it occurs more than once', () => {
    assert.throws(
      () => applyTextEdit('x\ny\nx\n', edit('x', 'z')),
      (e: unknown) => e instanceof ToolInputError && e.message === '`old_text` occurs 2 times in a.ts (lines 1, 3); include more surrounding lines so that it occurs exactly once.',
    );
  });

  it('refuses old_text that is missing, empty, or aimed at a file not yet there', () => {
    assert.throws(() => applyTextEdit('abc', edit('zzz', 'y')), (e: unknown) => e instanceof ToolInputError && /was not found in a\.ts/.test(e.message));
    assert.throws(() => applyTextEdit('abc', edit('', 'y')), (e: unknown) => e instanceof ToolInputError && /is empty/.test(e.message));
    assert.throws(() => applyTextEdit(undefined, edit('a', 'b')), (e: unknown) => e instanceof ToolInputError && /does not exist/.test(e.message));
  });

  it('matches and writes with the file\'s CRLF line ends', () => {
    assert.equal(applyTextEdit('one\r\ntwo\r\nthree\r\n', edit('one\ntwo', 'uno\ndos')), 'uno\r\ndos\r\nthree\r\n');
  });

  it('reads the edits argument and refuses malformed ones', () => {
    assert.deepEqual(readEdits({ edits: [{ path: 'a', new_text: 'x' }, { path: 'b', old_text: 'o', new_text: 'n' }] }, 5), [
      { path: 'a', oldText: undefined, newText: 'x' },
      { path: 'b', oldText: 'o', newText: 'n' },
    ]);
    assert.throws(() => readEdits({}, 5), ToolInputError);
    assert.throws(() => readEdits({ edits: [] }, 5), ToolInputError);
    assert.throws(() => readEdits({ edits: [{ path: 'a' }] }, 5), /edits\[0\]\.new_text/);
    assert.throws(() => readEdits({ edits: [{ path: '', new_text: '' }] }, 5), /edits\[0\]\.path/);
    assert.throws(() => readEdits({ edits: [{ path: 'a', new_text: '', old_text: 3 }] }, 5), /old_text/);
    assert.throws(() => readEdits({ edits: [1, 2, 3] }, 2), /At most 2 edits/);
  });

  it('groups edits by file, keeping their order', () => {
    const edits = [edit('1', 'a'), { ...edit('2', 'b'), path: 'b.ts' }, edit('3', 'c')];
    assert.deepEqual([...editsByFile(edits, (e) => e.path).entries()].map(([k, v]) => [k, v.map((e) => e.oldText)]), [['a.ts', ['1', '3']], ['b.ts', ['2']]]);
  });

  it('finds the changed span between two texts', () => {
    assert.deepEqual(changedSpan('abcdef', 'abXYef'), { start: 2, endBefore: 4, text: 'XY' });
    assert.deepEqual(changedSpan('aaa', 'aaaa'), { start: 3, endBefore: 3, text: 'a' });
    assert.deepEqual(changedSpan('same', 'same'), { start: 4, endBefore: 4, text: '' });
    const before = 'line1\nline2\n';
    const after = 'line1\nnew\nline2\n';
    const span = changedSpan(before, after);
    assert.equal(before.slice(0, span.start) + span.text + before.slice(span.endBefore), after);
  });
});
