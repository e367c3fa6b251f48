import * as assert from 'node:assert/strict';
import { capText, HeadTailBuffer } from '../../../../src/host/agent/outputCap';

describe('output capping', () => {
  it('leaves short text alone and cuts long text at a line end with a note', () => {
    assert.equal(capText('short', 10, () => 'note'), 'short');
    const text = `${'a'.repeat(9)}\n${'b'.repeat(20)}`;
    assert.equal(capText(text, 11, (n) => `[${n} left out]`), `${'a'.repeat(9)}\n[21 left out]`);
    assert.equal(capText(text, 12, (n) => `[${n} left out]`), `${'a'.repeat(9)}\nbb\n[18 left out]`, 'a line end far from the limit is not used');
    assert.equal(capText('x'.repeat(30), 10, (n) => `[${n}]`), `${'x'.repeat(10)}\n[20]`);
  });

  it('keeps all of output that fits, in order', () => {
    const buffer = new HeadTailBuffer(20);
    for (const part of ['one ', 'two ', 'three']) {
      buffer.append(part);
    }
    assert.equal(buffer.toString(), 'one two three');
    assert.equal(buffer.received, 13);
  });

  it('keeps the start and the end of long output and counts what it left out', () => {
    const buffer = new HeadTailBuffer(10);
    for (let i = 0; i < 10; i++) {
      buffer.append(String(i).repeat(3));
    }
    assert.equal(buffer.received, 30);
    assert.equal(buffer.toString(), '00011\n[... 20 characters of output left out ...]\n88999');
  });

  it('after the first overflow, appends only to the end even when a chunk is small', () => {
    const buffer = new HeadTailBuffer(10);
    buffer.append('abcdefgh');
    buffer.append('ijk');
    buffer.append('l');
    assert.equal(buffer.toString(), 'abcde\n[... 2 characters of output left out ...]\nhijkl');
  });
});
