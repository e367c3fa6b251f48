import * as assert from 'node:assert/strict';
import { validateConversations } from '../../../src/chat/historyValidation';

describe('chat history validation of summaries and index chunks', () => {
  const turn = {
    id: 't1',
    role: 'user',
    content: 'q',
    createdAt: 1,
    contextInPrompt: ['c1'],
    context: [{ id: 'c1', kind: 'codebase', label: 'src/a.ts:1-3', text: 'x', location: { path: 'src/a.ts', startLine: 0, endLine: 2 }, auto: true }],
  };
  const conversation = (summary: unknown) => ({ id: 'c', title: 't', createdAt: 1, updatedAt: 2, turns: [turn], summary });

  it('keeps a summary, chunks of the index with their lines, and the ids a template rendered', () => {
    const { conversations, droppedTurns } = validateConversations([conversation({ text: 's', turnIds: ['t1'] })]);
    assert.equal(droppedTurns, 0);
    assert.deepEqual(conversations[0], conversation({ text: 's', turnIds: ['t1'] }));
  });

  it('drops a malformed summary and keeps the conversation; drops a turn whose chunk has no line numbers', () => {
    const { conversations } = validateConversations([conversation({ text: 7 })]);
    assert.equal('summary' in conversations[0]!, false);
    assert.equal(conversations[0]!.turns.length, 1);
    const broken = { ...turn, context: [{ ...turn.context[0], location: { path: 'src/a.ts', startLine: 'one', endLine: 2 } }] };
    assert.equal(validateConversations([{ ...conversation(undefined), turns: [broken] }]).droppedTurns, 1);
  });
});
