/** The chunking invariant the index relies on, checked on any outline. */
import * as assert from 'node:assert/strict';
import type { CodeChunk } from '../../../src/codeIndex/types';

/** Every non-blank line in exactly one chunk, chunks in order, each chunk's text its lines. */
export function assertEveryLineOnce(text: string, chunks: readonly CodeChunk[]): void {
  const lines = text.split('\n');
  const owners = new Array<number>(lines.length).fill(0);
  let previousEnd = -1;
  for (const chunk of chunks) {
    assert.ok(chunk.startLine > previousEnd, `chunk ${chunk.startLine}-${chunk.endLine} starts after ${previousEnd}`);
    assert.ok(chunk.endLine >= chunk.startLine && chunk.endLine < lines.length, `chunk ${chunk.startLine}-${chunk.endLine} within the file`);
    assert.equal(chunk.text, lines.slice(chunk.startLine, chunk.endLine + 1).join('\n'));
    for (let row = chunk.startLine; row <= chunk.endLine; row++) {
      owners[row]!++;
    }
    previousEnd = chunk.endLine;
  }
  const missed = lines.flatMap((line, row) => (line.trim() !== '' && owners[row] !== 1 ? [`${row + 1}: ${line.slice(0, 60)}`] : []));
  assert.deepEqual(missed, [], 'non-blank lines in no chunk or in several');
}
