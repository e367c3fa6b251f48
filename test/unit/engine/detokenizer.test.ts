import assert from 'node:assert/strict';
import { ByteDetokenizer, completeUtf8Length, WindowDetokenizer } from '../../../src/engine/detokenizer';

const encoder = new TextEncoder();

/** Splits text into "tokens" of `size` bytes each, cutting through characters on purpose. */
function byteTokens(text: string, size: number): Uint8Array[] {
  const bytes = encoder.encode(text);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    out.push(bytes.slice(i, i + size));
  }
  return out;
}

describe('engine/detokenizer', () => {
  it('completeUtf8Length stops before an unfinished character', () => {
    const euro = encoder.encode('a€'); // 61 e2 82 ac
    assert.equal(completeUtf8Length(euro), 4);
    assert.equal(completeUtf8Length(euro.subarray(0, 3)), 1);
    assert.equal(completeUtf8Length(euro.subarray(0, 2)), 1);
    const emoji = encoder.encode('😀'); // 4 bytes
    assert.equal(completeUtf8Length(emoji.subarray(0, 3)), 0);
    assert.equal(completeUtf8Length(emoji), 4);
  });

  for (const size of [1, 2, 3, 5]) {
    it(`byte tokens of ${size} byte(s) rebuild multibyte text without any broken character`, () => {
      const text = 'déjà vu: 日本語 😀👍🏽 ok';
      const tokens = byteTokens(text, size);
      const detok = new ByteDetokenizer((id) => tokens[id]!);
      const pieces = tokens.map((_, id) => detok.push(id));
      pieces.push(detok.flush());
      assert.equal(pieces.join(''), text);
      for (const piece of pieces) {
        assert.ok(!piece.includes('\uFFFD'), `piece ${JSON.stringify(piece)}`);
        assert.ok(!/[\uD800-\uDBFF]$/.test(piece), 'no lone high surrogate at the end of a piece');
      }
    });
  }

  it('drops an unfinished character at the end instead of emitting U+FFFD', () => {
    const tokens = [encoder.encode('ok'), encoder.encode('😀').subarray(0, 2)];
    const detok = new ByteDetokenizer((id) => tokens[id]!);
    assert.equal(detok.push(0), 'ok');
    assert.equal(detok.push(1), '');
    assert.equal(detok.flush(), '');
  });

  it('tokens without bytes (special tokens) emit nothing', () => {
    const detok = new ByteDetokenizer(() => new Uint8Array(0));
    assert.equal(detok.push(0), '');
  });

  it('the window detokenizer holds text that ends in a replacement character', () => {
    const tokens = byteTokens('a€b', 1);
    const decode = (ids: number[]): string => new TextDecoder().decode(concat(ids.map((id) => tokens[id]!)));
    const detok = new WindowDetokenizer(decode);
    const pieces = tokens.map((_, id) => detok.push(id));
    pieces.push(detok.flush());
    assert.deepEqual(pieces, ['a', '', '', '€', 'b', '']);
  });
});

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
