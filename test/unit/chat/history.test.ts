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
    ['conversations that are not a list', '{"format":1,"conversations":{"id":3}}', /conversations are malformed/],
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

  it('keeps the conversations of two windows that share one file and save in turn', async () => {
    const file = path.join(dir, 'chat.json');
    const a = new HistoryStore(file);
    const b = new HistoryStore(file);
    await Promise.all([a.load(), b.load()]);
    await Promise.all([a.save([conv('a1')]), b.save([conv('b1')])]);
    await a.save([conv('a1'), conv('a2')]);
    await b.save([conv('b1'), { ...conv('a1'), title: 'renamed', updatedAt: 9 }]);
    const ids = (await new HistoryStore(file).load()).conversations.map((c) => c.id).sort();
    assert.deepEqual(ids, ['a1', 'a2', 'b1']);
    const a1 = (await new HistoryStore(file).load()).conversations.find((c) => c.id === 'a1')!;
    assert.equal(a1.title, 'renamed', 'the newest version of a conversation wins');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['chat.json'], 'no lock or temporary file left behind');
  });

  it('does not bring back a conversation this window deleted', async () => {
    const file = path.join(dir, 'chat.json');
    const a = new HistoryStore(file);
    const b = new HistoryStore(file);
    await a.load();
    await a.save([conv('a1'), conv('a2')]);
    await b.load();
    await b.save([conv('a1'), conv('a2'), conv('b1')]);
    await a.save([conv('a2')]);
    const ids = (await new HistoryStore(file).load()).conversations.map((c) => c.id).sort();
    assert.deepEqual(ids, ['a2', 'b1']);
  });

  it('drops each malformed turn and conversation, keeps the rest, reports how many and backs the file up', async () => {
    const file = path.join(dir, 'chat.json');
    const good = { id: 'g', role: 'user', content: 'hi', createdAt: 1 };
    const badTurns = [
      { ...good, id: 'b1', context: 'str' },
      { ...good, id: 'b2', context: [{ id: 'x', kind: 'nonsense', label: 'l', text: 't' }] },
      { ...good, id: 'b3', stats: { promptTokens: '1', generatedTokens: 2, timeToFirstTokenMs: 3, tokensPerSecond: 4, stopReason: 'stop' } },
      { ...good, id: 'b4', prompt: 7 },
      { ...good, id: 'b5', templateId: {} },
      { ...good, id: 'b6', partial: 'yes' },
      { ...good, id: 'b7', stopped: 1 },
      { ...good, id: 'b8', error: false },
      { ...good, id: 'b9', createdAt: 'yesterday' },
      { ...good, id: 'b10', role: 'system' },
      null,
    ];
    const okStats = { promptTokens: 1, generatedTokens: 2, timeToFirstTokenMs: 3, tokensPerSecond: 4, stopReason: 'stop' };
    const fullTurn = { ...good, id: 'full', role: 'assistant', context: [{ id: 'x', kind: 'file', label: 'a.ts', path: '/a.ts', languageId: 'ts', text: 't' }], prompt: 'p', templateId: 't', partial: true, stopped: false, error: 'e', stats: okStats };
    const content = JSON.stringify({
      format: 1,
      conversations: [
        { id: 'c1', title: 'kept', createdAt: 1, updatedAt: 2, turns: [good, fullTurn, ...badTurns] },
        { id: 'c2', title: 5, createdAt: 1, updatedAt: 2, turns: [good] },
        { id: 'c3', title: 't', createdAt: 1, updatedAt: 2, turns: 'none' },
        'junk',
      ],
    });
    fs.writeFileSync(file, content);
    const loaded = await new HistoryStore(file).load();
    assert.deepEqual(loaded.conversations.map((c) => c.id), ['c1']);
    assert.deepEqual(loaded.conversations[0]!.turns.map((t) => t.id), ['g', 'full']);
    assert.match(loaded.problem ?? '', /11 malformed turns and 3 malformed conversations were dropped/);
    const backups = fs.readdirSync(dir).filter((f) => f.startsWith('chat.json.corrupt-'));
    assert.equal(backups.length, 1);
    assert.equal(fs.readFileSync(path.join(dir, backups[0]!), 'utf8'), content, 'the file is kept as it was');
    assert.ok(loaded.problem!.includes(backups[0]!));
  });

  it('works at a sibling file when the history path is a directory, and leaves the directory alone', async () => {
    const file = path.join(dir, 'chat.json');
    fs.mkdirSync(file);
    fs.writeFileSync(path.join(file, 'keep.txt'), 'mine');
    const store = new HistoryStore(file);
    const loaded = await store.load();
    assert.deepEqual(loaded.conversations, []);
    assert.match(loaded.problem ?? '', /is a directory/);
    assert.notEqual(store.file, file);
    assert.ok(loaded.problem!.includes(store.file), 'the message says where the history is kept instead');
    await store.save([conv('x')]);
    assert.deepEqual((await new HistoryStore(file).load()).conversations.map((c) => c.id), ['x'], 'a new window finds it again');
    assert.deepEqual(fs.readdirSync(file), ['keep.txt']);
    assert.equal(fs.readFileSync(path.join(file, 'keep.txt'), 'utf8'), 'mine');
  });

  it('breaks a lock left behind by a crashed window', async () => {
    const file = path.join(dir, 'chat.json');
    fs.writeFileSync(`${file}.lock`, '99999');
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(`${file}.lock`, old, old);
    const store = new HistoryStore(file);
    await store.load();
    await store.save([conv('after-crash')]);
    assert.deepEqual((await new HistoryStore(file).load()).conversations.map((c) => c.id), ['after-crash']);
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });
});
