import assert from 'node:assert/strict';
import { assembleBatch, batchBytes, copySequence, sequenceBytes, type KvShape, type SequenceKv } from '../../../src/engine/kv';
import { commonPrefixLength, PrefixCache } from '../../../src/engine/prefixCache';

const shape: KvShape = { layers: 2, kvHeads: 2, headDim: 3, dtype: 'float32' };

/** A sequence whose every element encodes (tag, layer, key/value, head, position, dim). */
function sequence(tag: number, length: number): SequenceKv {
  const make = (layer: number, kind: number): Float32Array => {
    const a = new Float32Array(shape.kvHeads * length * shape.headDim);
    for (let h = 0; h < shape.kvHeads; h++) {
      for (let t = 0; t < length; t++) {
        for (let d = 0; d < shape.headDim; d++) {
          a[(h * length + t) * shape.headDim + d] = tag * 100000 + layer * 10000 + kind * 1000 + h * 100 + t * 10 + d;
        }
      }
    }
    return a;
  };
  return {
    length,
    keys: [make(0, 0), make(1, 0)],
    values: [make(0, 1), make(1, 1)],
  };
}

describe('engine/kv', () => {
  it('assembles rows of different lengths left-padded with zeros, and copies them back out', () => {
    const a = sequence(1, 2);
    const b = sequence(2, 4);
    const batch = assembleBatch(shape, [{ kv: a }, { kv: b }]);
    assert.equal(batch.width, 4);
    assert.deepEqual(batch.pads, [2, 0]);
    // Row 0, layer 0 key, head 0: two padding positions then a's two tokens.
    const row0head0 = [...batch.keys[0]!.subarray(0, 4 * 3)];
    assert.deepEqual(row0head0, [0, 0, 0, 0, 0, 0, ...a.keys[0]!.subarray(0, 6)]);
    assert.deepEqual(copySequence(shape, { batch, row: 0 }), a);
    assert.deepEqual(copySequence(shape, { batch, row: 1 }), b);
    assert.equal(batchBytes(batch), 2 * 2 * 2 * 2 * 4 * 3 * 4); // layers, k+v, rows, heads, width, dim, bytes
  });

  it('rebuilding a batch without its longest row trims the shared padding', () => {
    const batch = assembleBatch(shape, [{ kv: sequence(1, 2) }, { kv: sequence(2, 5) }, { kv: sequence(3, 3) }]);
    const smaller = assembleBatch(shape, [{ batch, row: 0 }, { batch, row: 2 }]);
    assert.equal(smaller.width, 3);
    assert.deepEqual(smaller.pads, [1, 0]);
    assert.deepEqual(copySequence(shape, { batch: smaller, row: 1 }), sequence(3, 3));
  });

  it('copies a prefix of a sequence', () => {
    const s = sequence(4, 5);
    const head = copySequence(shape, { kv: s }, 2);
    assert.equal(head.length, 2);
    assert.deepEqual(head, sequence(4, 2));
    assert.throws(() => copySequence(shape, { kv: s }, 6), RangeError);
  });
});

describe('engine/prefixCache', () => {
  const tokens = (...ids: number[]): Int32Array => Int32Array.from(ids);

  it('commonPrefixLength', () => {
    assert.equal(commonPrefixLength([1, 2, 3], [1, 2, 4]), 2);
    assert.equal(commonPrefixLength([], [1]), 0);
    assert.equal(commonPrefixLength([1, 2], [1, 2]), 2);
  });

  it('finds the longest shared prefix among entries', () => {
    const cache = new PrefixCache(1 << 20);
    cache.store(tokens(1, 2, 3), sequence(1, 3));
    cache.store(tokens(1, 2, 9, 9, 9), sequence(2, 5));
    const match = cache.lookup([1, 2, 9, 9, 4]);
    assert.equal(match?.length, 4);
    assert.deepEqual([...match!.entry.tokens], [1, 2, 9, 9, 9]);
    assert.equal(cache.lookup([7, 1, 2]), undefined);
  });

  it('an entry covered by a longer one is dropped; a shorter one is not stored', () => {
    const cache = new PrefixCache(1 << 20);
    cache.store(tokens(1, 2), sequence(1, 2));
    cache.store(tokens(1, 2, 3), sequence(2, 3));
    assert.equal(cache.size, 1);
    cache.store(tokens(1, 2), sequence(3, 2));
    assert.equal(cache.size, 1);
    assert.equal(cache.lookup([1, 2, 3])?.entry.kv.keys[0]![0], sequence(2, 3).keys[0]![0]);
  });

  it('stays within its byte budget, evicting the least recently used entry', () => {
    const one = sequenceBytes(sequence(0, 4)) + 16;
    const cache = new PrefixCache(one * 2);
    cache.store(tokens(1, 1, 1, 1), sequence(1, 4));
    cache.store(tokens(2, 2, 2, 2), sequence(2, 4));
    assert.ok(cache.lookup([1, 1, 1, 1])); // 1 is now the most recent
    cache.store(tokens(3, 3, 3, 3), sequence(3, 4));
    assert.equal(cache.size, 2);
    assert.ok(cache.bytes <= one * 2);
    assert.equal(cache.lookup([2, 2, 2, 2]), undefined);
    assert.ok(cache.lookup([1, 1, 1, 1]));
    assert.ok(cache.lookup([3, 3, 3, 3]));
  });

  it('a zero budget keeps nothing', () => {
    const cache = new PrefixCache(0);
    cache.store(tokens(1, 2), sequence(1, 2));
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
  });

  it('refuses entries whose KV length does not match their tokens', () => {
    const cache = new PrefixCache(1 << 20);
    cache.store(tokens(1, 2, 3), sequence(1, 2));
    assert.equal(cache.size, 0);
  });
});

describe('engine/prefixCache superseding', () => {
  const tokens = (...ids: number[]): Int32Array => Int32Array.from(ids);
  const seq = (length: number): SequenceKv => ({ length, keys: [new Float32Array(length)], values: [new Float32Array(length)] });

  it('a new sequence that differs only in the last few tokens replaces the older one', () => {
    const cache = new PrefixCache(1 << 20, 2);
    cache.store(tokens(1, 2, 3, 4, 5, 6), seq(6));
    cache.store(tokens(1, 2, 3, 4, 9, 9, 9), seq(7)); // shares 4 of 6: differs in 2 => superseded
    assert.equal(cache.size, 1);
    cache.store(tokens(1, 2, 7, 7, 7, 7), seq(6)); // shares 2 of 7: differs in 5 => both kept
    assert.equal(cache.size, 2);
  });
});
