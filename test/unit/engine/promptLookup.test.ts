import assert from 'node:assert/strict';
import { findDraft } from '../../../src/engine/promptLookup';

describe('prompt-lookup drafts', () => {
  it('copies what followed the latest earlier occurrence of the last 3 tokens', () => {
    assert.deepEqual(findDraft([1, 2, 3, 4, 5, 9, 1, 2, 3, 7, 8, 1, 2, 3], 3, 8), [7, 8, 1, 2, 3]);
  });
  it('falls back to 2 tokens, respects the limit, and finds nothing for a new suffix', () => {
    assert.deepEqual(findDraft([5, 6, 7, 8, 9, 6, 7], 3, 2), [8, 9]);
    assert.deepEqual(findDraft([1, 2, 3, 4], 3, 8), []);
    assert.deepEqual(findDraft([1, 2, 1, 2], 3, 0), []);
  });
});
