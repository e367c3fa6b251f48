import * as assert from 'node:assert/strict';
import { insertMention, startsMention } from '../../../src/webview/mention';

describe('the @ of the chat input', () => {
  it('starts a mention at the start of the input or after a space, not inside a word or address', () => {
    assert.equal(startsMention('@', 1), true);
    assert.equal(startsMention('how does @', 10), true);
    assert.equal(startsMention('line\n@', 6), true);
    assert.equal(startsMention('me@', 3), false);
    assert.equal(startsMention('how does', 8), false);
  });

  it("puts the picker's choice in place of the typed @, else at the cursor", () => {
    assert.deepEqual(insertMention('how does @ work', 10, 10, '@codebase '), { value: 'how does @codebase  work', cursor: 19 });
    assert.deepEqual(insertMention('how does work', 9, 9, '@codebase '), { value: 'how does @codebase work', cursor: 19 });
  });
});
