import assert from 'node:assert/strict';
import { StopSequenceMatcher } from '../../../src/engine/stopMatcher';

function run(stops: string[], pieces: string[]): { text: string; stopped: boolean; emits: string[] } {
  const matcher = new StopSequenceMatcher(stops);
  const emits: string[] = [];
  for (const piece of pieces) {
    const { emit, stopped } = matcher.push(piece);
    emits.push(emit);
    if (stopped) {
      return { text: emits.join(''), stopped: true, emits };
    }
  }
  emits.push(matcher.flush());
  return { text: emits.join(''), stopped: false, emits };
}

describe('engine/stopMatcher', () => {
  it('stops before a stop sequence inside one piece', () => {
    assert.deepEqual(run(['\n\n'], ['a\n\nb']).text, 'a');
  });

  it('finds a stop sequence split across pieces and never emits any of it', () => {
    const result = run(['</code>'], ['x = 1', '</', 'co', 'de>', 'more']);
    assert.equal(result.text, 'x = 1');
    assert.equal(result.stopped, true);
    assert.ok(result.emits.every((e) => !e.includes('<')));
  });

  it('releases held text when the stop sequence does not complete', () => {
    const result = run(['</code>'], ['a</', 'b']);
    assert.equal(result.text, 'a</b');
    assert.equal(result.stopped, false);
    assert.deepEqual(result.emits, ['a', '</b', '']);
  });

  it('releases held text at the end', () => {
    assert.deepEqual(run(['END'], ['abc', 'EN']), { text: 'abcEN', stopped: false, emits: ['abc', '', 'EN'] });
  });

  it('picks the earliest of several stop sequences', () => {
    assert.equal(run(['bbb', 'b\n'], ['aab\nbbb']).text, 'aa');
  });

  it('handles overlapping prefixes (held suffix can restart the match)', () => {
    assert.equal(run(['aab'], ['a', 'a', 'a', 'b', 'c']).text, 'a');
  });

  it('without stop sequences emits everything at once', () => {
    assert.deepEqual(run([], ['a', 'b']).emits, ['a', 'b', '']);
  });

  it('ignores empty stop strings', () => {
    assert.equal(run([''], ['ab']).text, 'ab');
  });
});
