import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatController, type ChatEvent } from '../../../src/chat/chatController';
import { HistoryStore } from '../../../src/chat/history';
import { MemoryLogger } from '../../../src/common/logger';
import { ScriptedBackend } from './fakeBackend';

function setup(script: string[], tickMs = 1, file?: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-chat-'));
  const backend = new ScriptedBackend(script, tickMs);
  const events: ChatEvent[] = [];
  const store = new HistoryStore(file ?? path.join(dir, 'chat.json'));
  const controller = new ChatController({
    backend: async () => backend,
    store,
    logger: new MemoryLogger(),
    systemPrompt: () => 'You are a coding assistant.',
    contextTokens: () => 2048,
    answerTokens: 256,
    temperature: 0,
    persistEveryMs: 0,
    onEvent: (e) => events.push(e),
  });
  return { controller, backend, events, store };
}

describe('chat controller', () => {
  it('streams an answer, persists the conversation and titles it from the first message', async () => {
    const { controller, events, store } = setup(['Hel', 'lo', '!']);
    await controller.init();
    await controller.send({ content: 'Say hello\nplease' });
    const c = controller.current()!;
    assert.equal(c.title, 'Say hello');
    assert.deepEqual(c.turns.map((t) => [t.role, t.content]), [['user', 'Say hello\nplease'], ['assistant', 'Hello!']]);
    assert.equal(c.turns[1]!.partial, undefined);
    assert.equal(c.turns[1]!.stats?.generatedTokens, 3);
    assert.deepEqual(events.filter((e) => e.type === 'delta').map((e) => (e as { text: string }).text), ['Hel', 'lo', '!']);
    assert.equal((await store.load()).conversations[0]!.turns[1]!.content, 'Hello!');
  });

  it('sends the system prompt, the history and the new message to the backend', async () => {
    const { controller, backend } = setup(['ok']);
    await controller.init();
    await controller.send({ content: 'one' });
    await controller.send({ content: 'two', context: [{ id: 'x', kind: 'selection', label: 'a.ts:1', languageId: 'typescript', text: 'x()' }] });
    assert.deepEqual(backend.requests[1]!.messages.map((m) => m.role), ['system', 'user', 'assistant', 'user']);
    assert.equal(backend.requests[1]!.messages[3]!.content, 'a.ts:1:\n```typescript\nx()\n```\n\ntwo');
    assert.equal(backend.requests[1]!.priority, 'chat');
  });

  it('stops on cancel and keeps what was streamed, marked as stopped', async () => {
    const { controller, events } = setup(Array.from({ length: 200 }, (_, i) => `${i} `), 5);
    await controller.init();
    const sending = controller.send({ content: 'count' });
    while (!events.some((e) => e.type === 'delta')) {
      await new Promise((r) => setTimeout(r, 2));
    }
    await controller.cancel();
    await sending;
    const answer = controller.current()!.turns[1]!;
    assert.equal(answer.stopped, true);
    assert.ok(answer.content.startsWith('0 '));
    assert.ok(answer.content.length < 200 * 3);
    assert.equal(controller.busy, false);
  });

  it('keeps a partial answer saved mid-stream when the process dies, marked partial on reload', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-chat-'));
    const file = path.join(dir, 'chat.json');
    const first = setup(Array.from({ length: 100 }, () => 'x'), 5, file);
    await first.controller.init();
    void first.controller.send({ content: 'long' });
    // Wait until a save happened mid-stream, then read the file as a new window would after a crash.
    let saved: string | undefined;
    while (!saved) {
      await new Promise((r) => setTimeout(r, 5));
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      if (/"partial":true/.test(text) && /"content":"xx/.test(text)) {
        saved = text;
      }
    }
    const crashedFile = path.join(dir, 'crashed.json');
    fs.writeFileSync(crashedFile, saved);
    await first.controller.cancel();
    const second = setup([], 1, crashedFile);
    await second.controller.init();
    const answer = second.controller.current()!.turns[1]!;
    assert.equal(answer.partial, true);
    assert.match(answer.content, /^x+$/);
  });

  it('regenerates the last answer and edits the last message', async () => {
    const { controller, backend } = setup(['A']);
    await controller.init();
    await controller.send({ content: 'q1' });
    await controller.regenerate();
    assert.deepEqual(controller.current()!.turns.map((t) => t.role), ['user', 'assistant']);
    assert.equal(backend.requests.length, 2);
    await controller.editLast('q1 edited');
    assert.deepEqual(controller.current()!.turns.map((t) => t.content), ['q1 edited', 'A']);
  });

  it('lists, selects, creates and deletes conversations', async () => {
    const { controller, store } = setup(['ok']);
    await controller.init();
    await controller.send({ content: 'first' });
    const firstId = controller.current()!.id;
    controller.newConversation();
    assert.equal(controller.current(), undefined);
    await controller.send({ content: 'second' });
    assert.deepEqual(controller.list().map((c) => c.title), ['second', 'first']);
    await controller.select(firstId);
    assert.equal(controller.current()!.title, 'first');
    await controller.delete(firstId);
    assert.deepEqual(controller.list().map((c) => c.title), ['second']);
    assert.deepEqual((await store.load()).conversations.map((c) => c.title), ['second']);
  });

  it('reports a backend failure on the turn and stays usable', async () => {
    const { controller, events, backend } = setup(['fine']);
    await controller.init();
    const original = backend.chat.bind(backend);
    backend.chat = () => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('model folder is broken')) }),
    });
    await controller.send({ content: 'q' });
    assert.equal(controller.current()!.turns[1]!.error, 'model folder is broken');
    assert.ok(events.some((e) => e.type === 'error' && e.message === 'model folder is broken'));
    backend.chat = original;
    await controller.send({ content: 'again' });
    assert.equal(controller.current()!.turns[3]!.content, 'fine');
  });

  it('counts each text once: a second send counts only the turns it has not seen', async () => {
    const { controller, backend } = setup(['ok']);
    await controller.init();
    await controller.send({ content: 'first question' });
    const afterFirst = backend.counted.length;
    await controller.send({ content: 'second question' });
    assert.equal(afterFirst, 2, 'the system prompt and the first question');
    assert.deepEqual(backend.counted.slice(afterFirst), ['ok', 'second question'], 'only the new answer and the new question');
  });

  it('counts the texts it has not seen in parallel, not one call after another', async () => {
    const { controller, backend } = setup(['ok']);
    backend.countDelayMs = 20;
    await controller.init();
    await controller.send({ content: 'question' });
    assert.equal(backend.maxConcurrentCounts, 2);
  });

  it('emits one state update at the start of an answer and one when it is done', async () => {
    const { controller, events } = setup(['a', 'b', 'c']);
    await controller.init();
    await controller.send({ content: 'q' });
    // The view posts the whole state for each `state` and each `done` event.
    assert.deepEqual(events.filter((e) => e.type !== 'delta').map((e) => e.type), ['state', 'done']);
  });

  it('says when the prompt size is an estimate: a remote backend has no tokenizer of the model', async () => {
    const { controller, backend } = setup(['ok']);
    await controller.init();
    await controller.send({ content: 'q' });
    assert.equal(controller.window.estimated, false);
    backend.info = () => ({ kind: 'remote', modelName: 'served', device: 'http://gpu:8000/v1', loaded: true });
    await controller.send({ content: 'again' });
    assert.equal(controller.window.estimated, true);
    assert.ok(controller.window.promptTokens > 0);
  });

  it('counts the prompt of a restored conversation: after a reload and after switching conversations, not 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-chat-'));
    const file = path.join(dir, 'chat.json');
    const first = setup(['the answer'], 1, file);
    await first.controller.init();
    await first.controller.send({ content: 'first question' });
    first.controller.newConversation();
    await first.controller.send({ content: 'second question, a longer one' });
    const reloaded = setup(['unused'], 1, file);
    await reloaded.controller.init();
    const restored = reloaded.controller.window.promptTokens;
    assert.ok(restored > 0, `restored prompt tokens: ${restored}`);
    assert.equal(reloaded.controller.window.estimated, true, 'counted without the model tokenizer, so marked as an estimate');
    assert.equal(reloaded.backend.counted.length, 0, 'nothing asked of the backend, which may not run yet');
    const other = reloaded.controller.list().find((c) => c.title === 'first question')!;
    await reloaded.controller.select(other.id);
    assert.ok(reloaded.controller.window.promptTokens > 0);
    assert.notEqual(reloaded.controller.window.promptTokens, restored, 'the count of the conversation switched to');
    assert.equal(reloaded.events.at(-1)?.type, 'state', 'the view hears of the new count');
  });

  it('counts a restored conversation with the model tokenizer when it is at hand', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-chat-'));
    const file = path.join(dir, 'chat.json');
    const first = setup(['ok'], 1, file);
    await first.controller.init();
    await first.controller.send({ content: 'question' });
    const reloaded = setup(['unused'], 1, file);
    reloaded.backend.countTokensNow = () => 7;
    await reloaded.controller.init();
    assert.equal(reloaded.controller.window.estimated, false);
    assert.ok(reloaded.controller.window.promptTokens >= 7 * 2, 'system prompt and question at 7 tokens each');
  });

  it('on dispose stops the answer in flight, saves the history and emits nothing more', async () => {
    const { controller, events, store } = setup(Array.from({ length: 200 }, (_, i) => `${i} `), 5);
    await controller.init();
    const sending = controller.send({ content: 'count' });
    while (!events.some((e) => e.type === 'delta')) {
      await new Promise((r) => setTimeout(r, 2));
    }
    const seen = events.length;
    controller.dispose();
    await sending;
    assert.equal(events.length, seen, 'no events after dispose');
    const answer = (await store.load()).conversations[0]!.turns[1]!;
    assert.equal(answer.stopped, true);
    assert.equal(answer.partial, undefined);
    assert.ok(answer.content.startsWith('0 ') && answer.content.length < 200 * 3);
  });
});
