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

  describe('a conversation longer than the window', () => {
    const file = { id: 'pin', kind: 'file' as const, label: 'src/cart.ts', languageId: 'ts', text: 'export const cart = [];' };
    const chunk = { id: 'cb', kind: 'codebase' as const, label: 'src/tax.ts:1-3', text: 'tax tax tax' };
    const summarise = (dropped: readonly ChatTurn[]) => `summary of ${dropped.length}`;

    it('keeps the file the user pinned to a dropped exchange, puts a summary in its place, and reports both', () => {
      const first = [turn('user', 'look at this', { context: [file, chunk] }), turn('assistant', words(40))];
      const second = [turn('user', words(10)), turn('assistant', words(10))];
      const last = turn('user', 'and now?');
      const w = buildContextWindow({ system: 'sys', turns: [...first, ...second, last], contextTokens: 110, answerTokens: 40, countTokens: count, summarise });
      assert.deepEqual(w.droppedTurnIds, first.map((t) => t.id));
      assert.deepEqual(w.includedTurnIds, [...second, last].map((t) => t.id));
      assert.equal(w.summary, 'summary of 2');
      assert.deepEqual(w.pinnedItemIds, ['pin'], 'the chunk the index found was for that question only');
      assert.deepEqual(w.messages.map((m) => m.role), ['system', 'user', 'user', 'assistant', 'user']);
      assert.equal(
        w.messages[1]!.content,
        'Earlier in this conversation (summarised):\nsummary of 2\n\nContext attached earlier in this conversation:\n\nsrc/cart.ts:\n```ts\nexport const cart = [];\n```',
      );
      assert.ok(w.promptTokens <= 70);
    });

    it('drops one more exchange when the summary would not fit beside the kept ones', () => {
      const big = [turn('user', words(30)), turn('assistant', words(30))];
      const mid = [turn('user', words(20)), turn('assistant', words(20))];
      const last = turn('user', 'q');
      const long = () => words(25, 's');
      const w = buildContextWindow({ system: 's', turns: [...big, ...mid, last], contextTokens: 120, answerTokens: 40, countTokens: count, summarise: long });
      assert.deepEqual(w.droppedTurnIds, [...big, ...mid].map((t) => t.id));
      assert.equal(w.summary, long());
      assert.ok(w.promptTokens <= 80);
    });

    it('gives up pinned files oldest first, then the summary, when only the message being answered fits', () => {
      const older = { ...file, id: 'old', label: 'src/old.ts', text: words(30) };
      const turns = [turn('user', 'a', { context: [older] }), turn('assistant', 'b'), turn('user', 'c', { context: [file] }), turn('assistant', 'd'), turn('user', words(20))];
      const w = buildContextWindow({ system: 's', turns, contextTokens: 75, answerTokens: 20, countTokens: count, summarise });
      assert.deepEqual(w.pinnedItemIds, ['pin']);
      assert.deepEqual(w.droppedTurnIds, turns.slice(0, 4).map((t) => t.id));
      assert.equal(w.summary, 'summary of 4');
      assert.ok(w.promptTokens <= 55);
      const tighter = buildContextWindow({ system: 's', turns, contextTokens: 65, answerTokens: 20, countTokens: count, summarise });
      assert.deepEqual([tighter.pinnedItemIds, tighter.summary], [[], 'summary of 4']);
    });

    it('sends a pinned item once when the message being answered carries it again', () => {
      const turns = [turn('user', words(30), { context: [file] }), turn('assistant', words(30)), turn('user', 'again', { context: [{ ...file, id: 'again' }] })];
      const w = buildContextWindow({ system: 's', turns, contextTokens: 100, answerTokens: 40, countTokens: count, summarise });
      assert.deepEqual(w.pinnedItemIds, []);
      assert.equal(w.messages[1]!.content, 'Earlier in this conversation (summarised):\nsummary of 2');
    });
  });

  it('does not send a second time the context a template rendered into the prompt', () => {
    const selection = { id: 's', kind: 'selection' as const, label: 'a.ts:1-2', text: 'let x = 1;' };
    const problems = { id: 'p', kind: 'diagnostics' as const, label: 'a.ts', text: '1:1 error: bad' };
    const t = turn('user', '/explain', { prompt: 'Explain:\nlet x = 1;', context: [selection, problems], contextInPrompt: ['s'] });
    assert.equal(turnText(t), 'Problems in a.ts:\n```\n1:1 error: bad\n```\n\nExplain:\nlet x = 1;');
  });
});
