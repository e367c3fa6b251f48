import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChatController } from '../../../src/chat/chatController';
import { HistoryStore } from '../../../src/chat/history';
import { MemoryLogger } from '../../../src/common/logger';
import { ScriptedBackend } from './fakeBackend';

const words = (n: number): string => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

function setup(canSummarise: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-long-'));
  const backend = new ScriptedBackend(['they ', 'asked ', 'about ', 'priceOf']);
  const controller = new ChatController({
    backend: async () => backend,
    store: new HistoryStore(path.join(dir, 'chat.json')),
    logger: new MemoryLogger(),
    systemPrompt: () => 'system',
    contextTokens: () => 120,
    answerTokens: 30,
    temperature: 0,
    persistEveryMs: 0,
    canSummarise: () => canSummarise,
    summaryPrompt: () => 'Summarise.',
    onEvent: () => undefined,
  });
  return { controller, backend };
}

describe('a long chat conversation', () => {
  it('with a real model, has the summary written in the background at background priority and sends it from then on', async () => {
    const { controller, backend } = setup(true);
    await controller.init();
    await controller.send({ content: `first question about priceOf ${words(70)}` });
    await controller.send({ content: 'second question' });
    const dropped = controller.window.droppedTurnIds;
    assert.equal(dropped.length, 2, 'the first exchange no longer fits');
    assert.equal(controller.window.summary?.byModel, false, 'the extract stands in until the model has written one');
    assert.match(controller.window.summary?.text ?? '', /^The user asked:\n- first question about priceOf/);
    await controller.summaryWritten();
    const asked = backend.requests.find((r) => r.priority === 'background');
    assert.ok(asked, 'a background request wrote the summary');
    assert.deepEqual(asked.messages.map((m) => m.role), ['system', 'user']);
    assert.equal(asked.messages[0]!.content, 'Summarise.');
    assert.deepEqual(controller.current()?.summary, { text: 'they asked about priceOf', turnIds: dropped });
    await controller.send({ content: 'third' });
    const sent = backend.requests.at(-1)!;
    assert.equal(sent.priority, 'chat');
    assert.match(sent.messages[1]!.content, /^Earlier in this conversation \(summarised\):\nthey asked about priceOf/);
    assert.equal(controller.window.summary?.byModel, true);
  });

  it('with the bundled model, sends the plain extract and asks the model for nothing more', async () => {
    const { controller, backend } = setup(false);
    await controller.init();
    await controller.send({ content: `first question about priceOf ${words(70)}` });
    await controller.send({ content: 'second question' });
    await controller.summaryWritten();
    assert.equal(backend.requests.length, 2);
    assert.equal(controller.current()?.summary, undefined);
    assert.match(backend.requests[1]!.messages[1]!.content, /^Earlier in this conversation \(summarised\):\nThe user asked:\n- first question about priceOf/);
  });
});
