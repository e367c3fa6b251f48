import assert from 'node:assert/strict';
import { splitIntoLines, takeLines, textDeltas } from '../../../src/completion/lineStream';
import { stopAtDedent, stopAtRepeatedLines, stopAtRepetitionInLine, stopAtSuffix } from '../../../src/completion/stopFilters';
import { type GenerationStats } from '../../../src/backends/backend';
import { drain, fromArray, STATS } from './fixtures';

describe('completion/stream filters', () => {
  it('splits deltas into lines across chunk borders, CRLF included', async () => {
    assert.deepEqual(await drain(splitIntoLines(fromArray(['a', 'b\r', '\nc\n', '', 'd']))), ['ab', 'c', 'd']);
    assert.deepEqual(await drain(splitIntoLines(fromArray(['x\n']))), ['x', '']);
  });

  it('takes the first line only', async () => {
    assert.deepEqual(await drain(takeLines(fromArray(['one', 'two']), 1)), ['one']);
  });

  it('stops at a dedent below the block, keeping a closing bracket line', async () => {
    const lines = ['', '    if (a) {', '        b();', '    }', '}', 'function next() {'];
    assert.deepEqual(await drain(stopAtDedent(fromArray(lines), 4, 4)), ['', '    if (a) {', '        b();', '    }', '}']);
  });

  it('stops at a Python dedent without a closer', async () => {
    const lines = ['', '    return r * r', '', 'def other():'];
    assert.deepEqual(await drain(stopAtDedent(fromArray(lines), 4, 4)), ['', '    return r * r', '']);
  });

  it('measures tabs in columns', async () => {
    const lines = ['x', '\t\ty', '\tz'];
    assert.deepEqual(await drain(stopAtDedent(fromArray(lines), 8, 4)), ['x', '\t\ty']);
  });

  it('stops at a line repeated right after itself', async () => {
    const lines = ['total += a;', 'total += b;', 'total += b;', 'return total;'];
    assert.deepEqual(await drain(stopAtRepeatedLines(fromArray(lines))), ['total += a;', 'total += b;']);
  });

  it('keeps repeated trivial lines and stops at a third occurrence', async () => {
    assert.deepEqual(await drain(stopAtRepeatedLines(fromArray(['}', '}', 'ok()']))), ['}', '}', 'ok()']);
    const loop = ['push(1);', 'x();', 'push(1);', 'x();', 'push(1);'];
    assert.deepEqual(await drain(stopAtRepeatedLines(fromArray(loop))), ['push(1);', 'x();', 'push(1);', 'x();']);
  });

  it('stops where the completion starts to repeat the suffix', async () => {
    const suffix = '\n    return result;\n}';
    const lines = ['', '    const result = compute();', '    return result;', '}'];
    assert.deepEqual(await drain(stopAtSuffix(fromArray(lines), suffix)), ['', '    const result = compute();']);
  });

  it('compares a trivial suffix line with its indentation', async () => {
    const suffix = '\n}';
    const lines = ['', '    if (a) {', '    }', '    done();', '}'];
    assert.deepEqual(await drain(stopAtSuffix(fromArray(lines), suffix)), ['', '    if (a) {', '    }', '    done();']);
  });

  it('stops the stream where a line starts looping on a word list', async () => {
    let pulled = 0;
    async function* deltas() {
      yield 'const a = 1;\nf(';
      for (let i = 0; i < 60; i++) {
        pulled++;
        yield 'data, ';
      }
    }
    assert.equal((await drain(stopAtRepetitionInLine(deltas()))).join(''), 'const a = 1;\nf(data, data, data');
    assert.ok(pulled < 10, `pulled ${pulled} deltas`);
  });

  it('waits for the last word to end before calling it a repetition', async () => {
    assert.equal((await drain(stopAtRepetitionInLine(fromArray(['ab ab ab ab', 'c\n'])))).join(''), 'ab ab ab abc\n');
    assert.equal((await drain(stopAtRepetitionInLine(fromArray(['go go', ' go go go ', 'go'])))).join(''), 'go go go');
  });

  it('stops the generation and still reports its stats when the consumer leaves early', async () => {
    let stopped = false;
    let stats: GenerationStats | undefined;
    async function* chunks() {
      yield { type: 'text' as const, text: 'a\nb\nc' };
      yield { type: 'done' as const, stats: STATS };
    }
    const first = await drain(takeLines(splitIntoLines(textDeltas(chunks(), (s) => (stats = s), () => (stopped = true))), 1));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(first, ['a']);
    assert.equal(stopped, true);
    assert.equal(stats?.promptTokens, 100);
  });
});
