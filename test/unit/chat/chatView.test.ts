import '../host/vscodeStub';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { ChatController } from '../../../src/chat/chatController';
import { HistoryStore } from '../../../src/chat/history';
import { MemoryLogger } from '../../../src/common/logger';
import { ChatViewProvider, type ChatViewDeps } from '../../../src/host/chatView';
import type { HostToWebview } from '../../../src/protocol/webview';
import type { CodebaseSearch } from '../../../src/codeIndex/types';
import { ScriptedBackend } from './fakeBackend';
import { MemoryCodebase } from './memoryCodebase';

/** A webview that records what it is sent and which of the listeners it handed out were disposed. */
function fakeView() {
  const received: HostToWebview[] = [];
  const disposed: string[] = [];
  let onMessage: (msg: unknown) => void = () => undefined;
  const listener = (name: string) => ({ dispose: () => disposed.push(name) });
  const view = {
    webview: {
      options: {},
      html: '',
      cspSource: 'stub',
      asWebviewUri: (uri: unknown) => uri,
      postMessage: async (m: HostToWebview) => received.push(m),
      onDidReceiveMessage: (l: (msg: unknown) => void) => {
        onMessage = l;
        return listener('message');
      },
    },
    onDidDispose: () => listener('dispose'),
    show: () => undefined,
  };
  return { view: view as unknown as vscode.WebviewView, received, disposed, send: (msg: unknown) => onMessage(msg) };
}

function provider(controller: () => ChatController, codebase?: CodebaseSearch, extra: Record<string, unknown> = {}): ChatViewProvider {
  const deps = {
    extensionUri: { path: '/ext' },
    logger: new MemoryLogger(),
    status: () => ({ modelName: 'm', modelPath: '/m', bundled: true, variant: 'auto', executionProvider: 'cpu', loaded: false }),
    openLog: () => undefined,
    controller,
    contextSource: {},
    codeActions: {},
    slash: () => undefined,
    contextTokens: () => 2048,
    answerTokens: () => 64,
    codebase: () => codebase,
    ...extra,
  } as unknown as ChatViewDeps;
  return new ChatViewProvider(deps);
}

function chatSetup(script: string[], codebase?: CodebaseSearch) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-view-'));
  const backend = new ScriptedBackend(script);
  const sink: { view?: ChatViewProvider } = {};
  const controller = new ChatController({
    backend: async () => backend,
    store: new HistoryStore(path.join(dir, 'chat.json')),
    logger: new MemoryLogger(),
    systemPrompt: () => 'system',
    contextTokens: () => 2048,
    answerTokens: 64,
    temperature: 0,
    persistEveryMs: 0,
    onEvent: (e) => sink.view?.onChatEvent(e),
  });
  sink.view = provider(() => controller, codebase);
  return { view: sink.view, controller, backend };
}

describe('chat view', () => {
  it('disposes the listeners it registered on its webview, with itself and when the webview goes', () => {
    const first = fakeView();
    const chat = chatSetup([]).view;
    chat.resolveWebviewView(first.view);
    const second = fakeView();
    chat.resolveWebviewView(second.view);
    assert.deepEqual(first.disposed.sort(), ['dispose', 'message'], 'a replaced webview');
    chat.dispose();
    assert.deepEqual(second.disposed.sort(), ['dispose', 'message'], 'on dispose');
  });

  it('tells listeners what it posts and keeps no copy of it', async () => {
    const { view: chat } = chatSetup([]);
    const webview = fakeView();
    chat.resolveWebviewView(webview.view);
    const observed: HostToWebview[] = [];
    chat.onDidPost((m) => observed.push(m));
    webview.send({ type: 'webview/ready' });
    while (!chat.isReady) {
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.deepEqual(observed.map((m) => m.type), ['host/status', 'chat/state']);
    assert.deepEqual(webview.received, observed);
    assert.equal('posted' in chat, false);
  });

  it('posts the whole state twice per answer: when it starts and when it is done', async () => {
    const { view: chat, controller } = chatSetup(['one ', 'two ', 'three']);
    await controller.init();
    const webview = fakeView();
    chat.resolveWebviewView(webview.view);
    await chat.submit('count');
    assert.deepEqual(webview.received.filter((m) => m.type !== 'chat/delta').map((m) => m.type), ['chat/state', 'chat/state']);
    assert.equal(webview.received.filter((m) => m.type === 'chat/delta').length, 3);
    const last = webview.received.at(-1);
    assert.ok(last?.type === 'chat/state' && !last.state.busy && last.state.promptTokens > 0 && !last.state.promptTokensEstimated);
  });

  describe('context from the workspace index', () => {
    const chunks = [
      { path: 'src/tax.ts', startLine: 4, endLine: 9, text: 'export function taxFor(total: number) { return total * 0.2; }', symbols: ['taxFor'] },
      { path: 'src/price.ts', startLine: 0, endLine: 2, text: 'export function priceOf(item) { return item.price; }', symbols: ['priceOf'] },
    ];
    const defs = [{ name: 'priceOf', kind: 'function' as const, path: 'src/price.ts', startLine: 0, endLine: 2, text: 'export function priceOf(item)' }];

    it('shows the chunks a draft with @codebase brings as chips, and a removed one stays out of the message', async () => {
      const { view: chat, controller, backend } = chatSetup(['ok'], new MemoryCodebase(chunks, defs));
      await controller.init();
      const webview = fakeView();
      chat.resolveWebviewView(webview.view);
      webview.send({ type: 'context/preview', text: '@codebase how is the tax on a total computed, and priceOf?' });
      const shown = webview.received.at(-1);
      assert.ok(shown?.type === 'chat/state');
      assert.deepEqual(shown.state.pending.map((c) => [c.kind, c.label, c.auto ?? false]), [['codebase', 'src/price.ts:1-3', true], ['codebase', 'src/tax.ts:5-10', false]]);
      webview.send({ type: 'context/remove', id: shown.state.pending[0]!.id });
      await chat.submit('@codebase how is the tax on a total computed, and priceOf?');
      const asked = controller.current()!.turns[0]!;
      assert.equal(asked.content, '@codebase how is the tax on a total computed, and priceOf?', 'shown as typed');
      assert.deepEqual(asked.context?.map((c) => c.label), ['src/tax.ts:5-10']);
      const sent = backend.requests[0]!.messages.at(-1)!.content;
      assert.ok(sent.startsWith(`src/tax.ts:5-10:\n\`\`\`typescript\n${chunks[0]!.text}`), sent);
      assert.ok(sent.endsWith('\n\nhow is the tax on a total computed, and priceOf?'), 'the model gets the question without @codebase');
      assert.deepEqual(chat.state().pending, [], 'the chips go with the message');
    });

    it('says when the index is still building and sends the question without its chunks', async () => {
      const { view: chat, controller } = chatSetup(['ok'], new MemoryCodebase(chunks, defs, 'building'));
      await controller.init();
      const webview = fakeView();
      chat.resolveWebviewView(webview.view);
      webview.send({ type: 'context/preview', text: '@codebase tax' });
      const shown = webview.received.at(-1);
      assert.ok(shown?.type === 'chat/state');
      assert.equal(shown.state.codebaseNote, 'The workspace index is still building (2 files so far): sent without @codebase.');
      await chat.submit('@codebase tax');
      assert.equal(controller.current()!.turns[0]!.context, undefined);
      assert.ok(webview.received.some((m) => m.type === 'chat/notice' && m.level === 'info' && /still building/.test(m.message)));
    });
  });

  it('puts @codebase in the input when the context picker chose it, and attaches nothing', async () => {
    const controller = chatSetup([]).controller;
    const chat = provider(() => controller, undefined, { contextSource: { mention: async () => 'codebase' } });
    const webview = fakeView();
    chat.resolveWebviewView(webview.view);
    webview.send({ type: 'context/add', kind: 'mention' });
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(webview.received, [{ type: 'chat/insert', text: '@codebase ' }]);
    assert.deepEqual(chat.state().pending, []);
  });

  it('sends a slash command with the selection once: in the rendered prompt, not again beside it', async () => {
    const { controller, backend } = chatSetup(['ok']);
    const slash = {
      list: () => [{ name: 'explain', title: 'Explain', description: '', source: 'built-in pack' }],
      render: async (_name: string, _input: string, context: readonly { id: string; text: string }[]) => ({ prompt: `Explain:\n${context[0]!.text}`, templateId: 'explain', contextInPrompt: [context[0]!.id] }),
    };
    const chat = provider(() => controller, undefined, { slash: () => slash });
    await controller.init();
    chat.attach({ id: 'sel', kind: 'selection', label: 'a.ts:1-1', languageId: 'typescript', text: 'let total = 1;' });
    await chat.submit('/explain');
    const sent = backend.requests[0]!.messages.at(-1)!.content;
    assert.equal(sent, 'Explain:\nlet total = 1;');
    assert.deepEqual(controller.current()!.turns[0]!.context?.map((c) => c.label), ['a.ts:1-1'], 'the chip still shows what was attached');
  });
});
