import * as assert from 'node:assert/strict';
import { ToolInputError } from '../../../../src/agent/types';
import { numberedLines } from '../../../../src/host/agent/numberedLines';

const all = { startLine: undefined, endLine: undefined, maxChars: 10_000 };

describe('numbered lines for read_file', () => {
  it('numbers every line and gives the range in the header', () => {
    assert.equal(numberedLines('a.ts', 'one\ntwo\nthree\n', all), 'a.ts (lines 1-3 of 3)\n1: one\n2: two\n3: three');
    assert.equal(numberedLines('a.ts', 'one\r\ntwo', all), 'a.ts (lines 1-2 of 2)\n1: one\n2: two');
  });

  it('reads a range, clamped to the end', () => {
    assert.equal(numberedLines('a.ts', 'a\nb\nc\nd\n', { ...all, startLine: 2, endLine: 3 }), 'a.ts (lines 2-3 of 4)\n2: b\n3: c');
    assert.equal(numberedLines('a.ts', 'a\nb\n', { ...all, startLine: 2, endLine: 99 }), 'a.ts (lines 2-2 of 2)\n2: b');
  });

  it('refuses a start past the end and an end before the start', () => {
    assert.throws(() => numberedLines('a.ts', 'a\nb\n', { ...all, startLine: 3 }), (e: unknown) => e instanceof ToolInputError && /has 2 lines; start_line 3/.test(e.message));
    assert.throws(() => numberedLines('a.ts', 'a\nb\n', { ...all, startLine: 2, endLine: 1 }), ToolInputError);
  });

  it('stops at the character limit and says where to read on', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n');
    const out = numberedLines('big.txt', text, { ...all, maxChars: 50 });
    assert.equal(out, 'big.txt (lines 1-5 of 100)\n1: line 1\n2: line 2\n3: line 3\n4: line 4\n5: line 5\n[output limit reached at line 5; call read_file with start_line 6 to read on]');
  });

  it('says when the file was larger than the read limit', () => {
    assert.equal(numberedLines('huge.log', 'a\nb', all, true), 'huge.log (lines 1-2 of at least 2)\n1: a\n2: b\n[the file is larger than the read limit; the lines past this point were not read]');
  });

  it('names an empty file as such', () => {
    assert.equal(numberedLines('e.txt', '', all), 'e.txt (empty file)');
  });
});
