import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatController } from '../../../src/chat/chatController';
import { HistoryStore } from '../../../src/chat/history';
import type { Conversation } from '../../../src/chat/types';
import { MemoryLogger } from '../../../src/common/logger';
import { ScriptedBackend } from './fakeBackend';

/** About `megabytes` of history in conversations of 1 MB each. */
function bigHistory(megabytes: number): Conversation[] {
  const text = 'x'.repeat(64 * 1024);
  return Array.from({ length: megabytes }, (_, c) => ({
    id: `old-${c}`,
    title: `old ${c}`,
    createdAt: 1,
    updatedAt: 1,
    turns: Array.from({ length: 16 }, (_, t) => ({ id: `t${t}`, role: t % 2 === 0 ? ('user' as const) : ('assistant' as const), content: text, createdAt: 1 })),
  }));
}

/** Counts the history saves, full rewrites of the whole file. */
class CountingStore extends HistoryStore {
  saves = 0;
  override async save(conversations: readonly Conversation[]): Promise<void> {
    this.saves++;
    await super.save(conversations);
  }
}

describe('chat history while an answer streams', () => {
  it('rewrites a big history a bounded number of times, whatever the number of chunks', async function () {
    this.timeout(30000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-stream-'));
    const file = path.join(dir, 'chat.json');
    await new HistoryStore(file).save(bigHistory(20));
    const store = new CountingStore(file);
    // 400 chunks 100 ms apart on a fake clock: 40 s of streaming.
    const chunks = 400;
    let now = 1_000_000;
    const backend = new ScriptedBackend(Array.from({ length: chunks }, () => 'y'), 0);
    const controller = new ChatController({
      backend: async () => backend,
      store,
      logger: new MemoryLogger(),
      systemPrompt: () => 'system',
      contextTokens: () => 2048,
      answerTokens: 512,
      temperature: 0,
      persistEveryMs: 1000,
      now: () => now,
      onEvent: (e) => {
        if (e.type === 'delta') {
          now += 100;
        }
      },
    });
    await controller.init();
    controller.newConversation();
    await controller.send({ content: 'stream please' });
    const streamed = store.saves - 1;
    // A 20 MB file is saved at most every 4 s of streaming (200 ms per MB), then once at the end.
    assert.ok(streamed <= 40 / 4, `saved ${streamed} times while streaming`);
    assert.ok(streamed >= 1, 'a long answer is still saved while it streams');
    const saved = (await new HistoryStore(file).load()).conversations;
    assert.equal(saved.length, 21);
    assert.equal(saved.find((c) => c.title === 'stream please')!.turns[1]!.content, 'y'.repeat(chunks));
  });
});
