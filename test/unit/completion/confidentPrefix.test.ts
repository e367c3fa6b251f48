import assert from 'node:assert/strict';
import { confidentPrefix } from '../../../src/completion/confidence/confidentPrefix';
import { TokenTrail } from '../../../src/completion/confidence/tokenTrail';

/** A generation of `pieces`, each one token with the probability given. */
function trailOf(pieces: readonly [string, number][]): TokenTrail {
  const trail = new TokenTrail();
  for (const [text, p] of pieces) trail.add(text, [{ token: text, logprob: Math.log(p), top: [] }]);
  return trail;
}

describe('completion/confidentPrefix', () => {
  const pieces: [string, number][] = [['items', 0.9], ['.', 0.95], ['map', 0.9], ['((', 0.5], ['item', 0.3], [') =>', 0.4]];
  const trail = trailOf(pieces);
  const shown = 'items.map((item) =>';

  it('keeps the first tokens while the line\'s probability stays above the threshold, cut at a word\'s end', () => {
    // 0.9 * 0.95 * 0.9 = 0.77; with "((" 0.38; with "item" 0.12.
    assert.equal(confidentPrefix(trail, shown, 0.5), 'items.map');
    assert.equal(confidentPrefix(trail, shown, 0.2), 'items.map((');
  });

  it('keeps the whole line when the model is sure of all of it, and nothing when too little is left', () => {
    assert.equal(confidentPrefix(trail, shown, 0.01), shown);
    assert.equal(confidentPrefix(trail, shown, 0.95), undefined);
  });

  it('does not split a word that one token ends in the middle of', () => {
    const split = trailOf([['const total = pri', 0.9], ['ceOf', 0.1], ['(item)', 0.9]]);
    assert.equal(confidentPrefix(split, 'const total = priceOf(item)', 0.5), 'const total =');
  });

  it('reads the first line with something on it, after a re-indented line break', () => {
    const multi = trailOf([['\n', 0.99], ['    return', 0.9], [' a + b', 0.2], [';\n}', 0.9]]);
    assert.equal(confidentPrefix(multi, '\n  return a + b;', 0.5), '\n  return');
  });
});
