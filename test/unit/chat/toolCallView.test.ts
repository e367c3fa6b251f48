import * as assert from 'node:assert/strict';
import { changedLines, toolCallView } from '../../../src/chat/toolCallView';
import { isWebviewToHost } from '../../../src/protocol/webview';

describe('tool calls as the chat view shows them', () => {
  it('counts the lines of the changed region', () => {
    assert.deepEqual(changedLines('a\nb\nc\n', 'a\nB\nc\n'), { added: 1, removed: 1 });
    assert.deepEqual(changedLines('a\nc\n', 'a\nb1\nb2\nc\n'), { added: 2, removed: 0 });
    assert.deepEqual(changedLines('', 'x\ny'), { added: 2, removed: 0 });
    assert.deepEqual(changedLines('same', 'same'), { added: 0, removed: 0 });
  });

  it('sends the changes as counts, never their texts', () => {
    const view = toolCallView({
      id: 'c1',
      name: 'propose_edits',
      source: 'builtin',
      permission: 'edit',
      arguments: '{}',
      state: 'waiting-approval',
      at: 4,
      changes: [
        { path: 'a.ts', before: 'secret\n', after: 'changed\n' },
        { path: 'new.ts', before: undefined, after: 'x\n' },
      ],
    });
    assert.deepEqual(view.changes, [
      { path: 'a.ts', created: false, addedLines: 1, removedLines: 1 },
      { path: 'new.ts', created: true, addedLines: 1, removedLines: 0 },
    ]);
    assert.doesNotMatch(JSON.stringify(view), /secret/);
  });

  it('accepts only well-formed agent messages from the view', () => {
    assert.equal(isWebviewToHost({ type: 'agent/approve', callId: 'c1', decision: 'allow', acceptedPaths: ['a.ts'] }), true);
    assert.equal(isWebviewToHost({ type: 'agent/approve', callId: 'c1', decision: 'yes' }), false);
    assert.equal(isWebviewToHost({ type: 'agent/approve', callId: 'c1', decision: 'allow', acceptedPaths: [3] }), false);
    assert.equal(isWebviewToHost({ type: 'agent/toggle', enabled: 'on' }), false);
    assert.equal(isWebviewToHost({ type: 'agent/diff', callId: 'c1', path: 'a.ts' }), true);
  });
});
