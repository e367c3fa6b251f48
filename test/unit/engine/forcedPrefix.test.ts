import assert from 'node:assert/strict';
import { ForcedPrefix, TokenSpelling } from '../../../src/engine/forcedPrefix';

const enc = new TextEncoder();
// A toy vocabulary: 0 is a special token (no bytes); 'é' is two bytes, split over tokens 6 and 7.
const VOCAB = ['', 'ma', 'max', 'x', 'Size', 'xS', '\xc3', '\xa9'];
const bytes = VOCAB.map((t, i) => (i === 6 ? Uint8Array.of(0xc3) : i === 7 ? Uint8Array.of(0xa9) : enc.encode(t)));
const spelling = new TokenSpelling(bytes);

function allowed(forced: ForcedPrefix): number[] {
  const logits = new Float32Array(VOCAB.length).fill(1);
  forced.mask(logits);
  return [...logits.keys()].filter((i) => logits[i] !== -Infinity);
}

describe('engine/forcedPrefix (constrained start of an output)', () => {
  it('allows tokens that spell part of the text or all of it and more, never a special token', () => {
    const forced = new ForcedPrefix('max', spelling);
    assert.deepEqual(allowed(forced), [1, 2]);
    forced.advance(1);
    assert.ok(forced.active);
    assert.deepEqual(allowed(forced), [3, 5]);
    forced.advance(5);
    assert.equal(forced.active, false);
    // Done: nothing is masked any more.
    assert.equal(allowed(forced).length, VOCAB.length);
  });

  it('strips exactly the forced characters from the emitted text, across pieces', () => {
    const forced = new ForcedPrefix('maxS', spelling);
    assert.equal(forced.strip('ma'), '');
    assert.equal(forced.strip('xSize'), 'ize');
    assert.equal(forced.strip(' = 1'), ' = 1');
  });

  it('spells a multi-byte character one byte token at a time', () => {
    const forced = new ForcedPrefix('é', spelling);
    assert.deepEqual(allowed(forced), [6]);
    forced.advance(6);
    assert.deepEqual(allowed(forced), [7]);
    forced.advance(7);
    assert.equal(forced.active, false);
  });

  it('fails with a typed error when no token can spell the text', () => {
    const forced = new ForcedPrefix('q', spelling);
    assert.throws(() => allowed(forced), (err: Error & { code?: string }) => err.code === 'invalid-request' && /No token of the vocabulary can spell "q"/.test(err.message));
  });
});
