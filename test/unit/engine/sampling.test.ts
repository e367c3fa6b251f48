import assert from 'node:assert/strict';
import { seededRandom } from '../../../src/engine/prng';
import { applyRepetitionPenalty, argmax, sampleToken, topKIndices, GREEDY } from '../../../src/engine/sampling';

describe('engine/sampling', () => {
  it('argmax takes the first of equal maxima, like torch', () => {
    assert.equal(argmax(new Float32Array([1, 5, 5, 2])), 1);
    assert.equal(argmax(new Float32Array([-3, -1, -2])), 1);
  });

  it('greedy picks the largest logit', () => {
    assert.equal(sampleToken(new Float32Array([0.1, 3, 2]), GREEDY, new Set(), seededRandom(1)), 1);
  });

  it('repetition penalty divides positive and multiplies negative logits of seen tokens', () => {
    const logits = new Float32Array([2, -2, 4]);
    applyRepetitionPenalty(logits, [0, 1], 2);
    assert.deepEqual([...logits], [1, -4, 4]);
  });

  it('a penalty can change the greedy choice', () => {
    const params = { ...GREEDY, repetitionPenalty: 3 };
    assert.equal(sampleToken(new Float32Array([3, 2]), params, new Set([0]), seededRandom(1)), 1);
  });

  it('the same seed gives the same draws, another seed other draws', () => {
    const params = { temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1 };
    const logits = new Float32Array(50).map((_, i) => Math.sin(i));
    const draw = (seed: number): number[] => {
      const random = seededRandom(seed);
      return Array.from({ length: 40 }, () => sampleToken(logits.slice(), params, new Set(), random));
    };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
  });

  it('top-k restricts draws to the k best tokens', () => {
    const logits = new Float32Array([5, 4, 3, 2, 1, 0]);
    const random = seededRandom(3);
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) {
      seen.add(sampleToken(logits.slice(), { temperature: 5, topK: 2, topP: 1, repetitionPenalty: 1 }, new Set(), random));
    }
    assert.deepEqual([...seen].sort(), [0, 1]);
  });

  it('top-p keeps the smallest set reaching the mass', () => {
    // probabilities about 0.64, 0.24, 0.09, 0.03: top-p 0.8 keeps two tokens.
    const logits = new Float32Array([3, 2, 1, 0]);
    const random = seededRandom(11);
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) {
      seen.add(sampleToken(logits.slice(), { temperature: 1, topK: 0, topP: 0.8, repetitionPenalty: 1 }, new Set(), random));
    }
    assert.deepEqual([...seen].sort(), [0, 1]);
  });

  it('sampling frequencies follow the softmax', () => {
    const logits = new Float32Array([Math.log(3), 0]);
    const random = seededRandom(5);
    let zeros = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      zeros += sampleToken(logits.slice(), { temperature: 1, topK: 0, topP: 1, repetitionPenalty: 1 }, new Set(), random) === 0 ? 1 : 0;
    }
    assert.ok(Math.abs(zeros / n - 0.75) < 0.03, `frequency ${zeros / n}`);
  });

  it('seeded random numbers lie in [0, 1)', () => {
    const random = seededRandom(0);
    for (let i = 0; i < 1000; i++) {
      const x = random();
      assert.ok(x >= 0 && x < 1);
    }
  });
});

describe('engine/sampling at vocabulary scale', () => {
  it('topKIndices returns the k largest, largest first, lower index first on ties', () => {
    assert.deepEqual(topKIndices([1, 9, 3, 9, 7, 0], 3), [1, 3, 4]);
    assert.deepEqual(topKIndices([5], 3), [0]);
  });

  it('samples a 151,936-token row with top-p without sorting it all, and stays in the nucleus', () => {
    const n = 151_936;
    const logits = new Float32Array(n).map((_, i) => (i % 1000 === 0 ? 12 : Math.sin(i)));
    const random = seededRandom(9);
    for (let i = 0; i < 20; i++) {
      const id = sampleToken(logits.slice(), { temperature: 1, topK: 0, topP: 0.9, repetitionPenalty: 1 }, new Set(), random);
      assert.equal(id % 1000, 0, `token ${id} is one of the 152 dominant ones`);
    }
  });
});
