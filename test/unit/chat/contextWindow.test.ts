import * as assert from 'node:assert/strict';
import { buildContextWindow, ContextTooLargeError, turnText } from '../../../src/chat/contextWindow';
import type { ChatTurn } from '../../../src/chat/types';

const words = (n: number, w = 'w'): string => Array.from({ length: n }, () => w).join(' ');
const count = (t: string): number => t.split(/\s+/).filter(Boolean).length;
let seq = 0;
const turn = (role: 'user' | 'assistant', content: string, extra: Partial<ChatTurn> = {}): ChatTurn => ({ id: `t${++seq}`, role, content, createdAt: seq, ...extra });

describe('chat context window', () => {
  it('keeps everything when it fits, system first and in order', () => {
    const turns = [turn('user', 'hello'), turn('assistant', 'hi'), turn('user', 'again')];
    const w = buildContextWindow({ system: 'be brief', turns, contextTokens: 1000, answerTokens: 100, countTokens: count });
    assert.deepEqual(w.messages.map((m) => [m.role, m.content]), [['system', 'be brief'], ['user', 'hello'], ['assistant', 'hi'], ['user', 'again']]);
    assert.deepEqual(w.droppedTurnIds, []);
    assert.equal(w.promptTokens, 2 + 1 + 1 + 1 + 4 * 4);
  });

  it('drops the oldest exchanges first, whole, and reports them', () => {
    const old = [turn('user', words(30)), turn('assistant', words(30))];
    const mid = [turn('user', words(10)), turn('assistant', words(10))];
    const last = turn('user', 'now');
    const w = buildContextWindow({ system: 'sys', turns: [...old, ...mid, last], contextTokens: 100, answerTokens: 50, countTokens: count });
    assert.deepEqual(w.droppedTurnIds, old.map((t) => t.id));
    assert.deepEqual(w.includedTurnIds, [...mid, last].map((t) => t.id));
    assert.ok(w.promptTokens <= 50);
  });

  it('never lets a newer exchange back in after an older one was dropped', () => {
    const turns = [turn('user', 'a'), turn('assistant', 'b'), turn('user', words(40)), turn('assistant', words(40)), turn('user', 'q')];
    const w = buildContextWindow({ system: 's', turns, contextTokens: 60, answerTokens: 10, countTokens: count });
    assert.deepEqual(w.droppedTurnIds, turns.slice(0, 4).map((t) => t.id));
  });

  it('always keeps the message being answered with its attached context', () => {
    const last = turn('user', 'explain', { context: [{ id: 'c', kind: 'selection', label: 'a.ts:1-2', languageId: 'ts', text: 'let x = 1;' }] });
    const w = buildContextWindow({ system: 's', turns: [last], contextTokens: 100, answerTokens: 10, countTokens: count });
    assert.equal(w.messages[1]!.content, 'a.ts:1-2:\n```ts\nlet x = 1;\n```\n\nexplain');
  });

  it('sends the rendered template prompt instead of the typed command', () => {
    assert.equal(turnText(turn('user', '/explain', { prompt: 'Explain this code.' })), 'Explain this code.');
  });

  it('uses a longer fence when the attached code contains one', () => {
    const t = turn('user', 'q', { context: [{ id: 'c', kind: 'file', label: 'README.md', text: '```js\nx\n```' }] });
    assert.match(turnText(t), /^README\.md:\n````\n```js/);
  });

  it('fails clearly when the message alone does not fit', () => {
    assert.throws(
      () => buildContextWindow({ system: 's', turns: [turn('user', words(200))], contextTokens: 100, answerTokens: 10, countTokens: count }),
      (err: unknown) => err instanceof ContextTooLargeError && /need 209 tokens; the model has room for 90/.test(err.message),
    );
  });
});
