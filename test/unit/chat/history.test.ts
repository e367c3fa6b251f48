import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HistoryStore } from '../../../src/chat/history';
import type { Conversation } from '../../../src/chat/types';

const conv = (id: string): Conversation => ({ id, title: id, createdAt: 1, updatedAt: 2, turns: [{ id: 'u', role: 'user', content: 'hi', createdAt: 1 }] });

describe('chat history store', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-history-'));
  });

  it('starts empty without a file and round-trips what it saved', async () => {
    const store = new HistoryStore(path.join(dir, 'sub', 'chat.json'));
    assert.deepEqual(await store.load(), { conversations: [] });
    await store.save([conv('a'), conv('b')]);
    assert.deepEqual((await store.load()).conversations.map((c) => c.id), ['a', 'b']);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'sub')), ['chat.json'], 'no temporary file left behind');
  });

  it('keeps the newest of overlapping saves', async () => {
    const store = new HistoryStore(path.join(dir, 'chat.json'));
    await Promise.all([store.save([conv('1')]), store.save([conv('2')]), store.save([conv('3')])]);
    assert.deepEqual((await store.load()).conversations.map((c) => c.id), ['3']);
  });

  for (const [name, content, reason] of [
    ['invalid JSON', '{"format":1,"conversations":[', /invalid JSON/],
    ['an unknown format', '{"format":99,"conversations":[]}', /unknown format 99/],
    ['malformed conversations', '{"format":1,"conversations":[{"id":3}]}', /conversations are malformed/],
  ] as const) {
    it(`backs up a file with ${name}, resets, and says where the old file went`, async () => {
      const file = path.join(dir, 'chat.json');
      fs.writeFileSync(file, content);
      const store = new HistoryStore(file);
      const loaded = await store.load();
      assert.deepEqual(loaded.conversations, []);
      assert.match(loaded.problem ?? '', reason);
      const backups = fs.readdirSync(dir).filter((f) => f.startsWith('chat.json.corrupt-'));
      assert.equal(backups.length, 1);
      assert.equal(fs.readFileSync(path.join(dir, backups[0]!), 'utf8'), content, 'the unreadable file is kept as it was');
      assert.ok(loaded.problem!.includes(backups[0]!));
      await store.save([conv('fresh')]);
      assert.deepEqual((await store.load()).conversations.map((c) => c.id), ['fresh']);
    });
  }
});
