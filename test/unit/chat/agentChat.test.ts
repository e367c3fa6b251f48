import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PermissionPolicy } from '../../../src/agent/permissions';
import type { AgentTool } from '../../../src/agent/types';
import type { Backend, BackendInfo, ChatGenerationRequest, GenerationChunk } from '../../../src/backends/backend';
import { toolsThatFit } from '../../../src/chat/agentTurn';
import { ChatController, type ChatEvent } from '../../../src/chat/chatController';
import { HistoryStore } from '../../../src/chat/history';
import { MemoryLogger } from '../../../src/common/logger';

/** A model that calls `propose_edits` once, then answers; records its requests. */
class ToolCallingBackend implements Backend {
  readonly requests: ChatGenerationRequest[] = [];
  info(): BackendInfo {
    return { kind: 'remote', modelName: 'scripted', device: 'loopback', loaded: true };
  }
  generate(): AsyncIterable<GenerationChunk> {
    throw new Error('not used');
  }
  async *chat(request: ChatGenerationRequest): AsyncIterable<GenerationChunk> {
    this.requests.push(request);
    const stats = { promptTokens: 10, reusedTokens: 0, generatedTokens: 3, timeToFirstTokenMs: 1, tokensPerSecond: 1 };
    if (this.requests.length === 1) {
      yield { type: 'text', text: 'I will edit. ' };
      yield { type: 'tool-call', call: { id: 'c1', name: 'propose_edits', arguments: '{"path":"a.ts"}' } };
      yield { type: 'done', stats: { ...stats, stopReason: 'tool-calls' } };
      return;
    }
    yield { type: 'text', text: 'Done.' };
    yield { type: 'done', stats: { ...stats, stopReason: 'stop-token' } };
  }
  async countTokens(text: string): Promise<number> {
    return Math.ceil(text.length / 4);
  }
  countTokensNow(text: string): number {
    return Math.ceil(text.length / 4);
  }
  dispose(): void {}
}

function editTool(applied: string[][]): AgentTool {
  return {
    definition: { name: 'propose_edits', description: 'Edit files', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
    permission: 'edit',
    source: 'builtin',
    preview: async () => ({ summary: 'Edit 2 files', changes: [{ path: 'a.ts', before: 'a', after: 'A' }, { path: 'b.ts', before: 'b', after: 'B' }] }),
    run: async (_args, ctx) => {
      applied.push([...(ctx.acceptedPaths ?? [])]);
      return { text: `applied ${(ctx.acceptedPaths ?? []).join(', ')}` };
    },
  };
}

function setup(enabled = true) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-agent-chat-'));
  const backend = new ToolCallingBackend();
  const events: ChatEvent[] = [];
  const applied: string[][] = [];
  const store = new HistoryStore(path.join(dir, 'chat.json'));
  const controller = new ChatController({
    backend: async () => backend,
    store,
    logger: new MemoryLogger(),
    systemPrompt: () => 'You are a coding assistant.',
    contextTokens: () => 4096,
    answerTokens: 256,
    temperature: 0,
    persistEveryMs: 0,
    agent: { enabled: () => enabled, tools: () => [editTool(applied)], permissions: new PermissionPolicy(() => true), systemPrompt: () => 'You are an agent.', maxSteps: 4 },
    onEvent: (e) => events.push(e),
  });
  return { controller, backend, events, applied, store };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), 'condition not reached');
}

describe('chat in agent mode', () => {
  it('sends the agent system prompt and the tools, waits for the review, applies the accepted file and keeps the calls', async () => {
    const { controller, backend, applied, store } = setup();
    await controller.init();
    const sent = controller.send({ content: 'Rename things' });
    await until(() => controller.current()?.turns[1]?.toolCalls?.[0]?.state === 'waiting-approval');
    const waiting = controller.current()!.turns[1]!.toolCalls![0]!;
    assert.equal(waiting.changes?.length, 2);
    assert.equal(waiting.at, 'I will edit. '.length);
    assert.equal(controller.answerApproval('nope', { decision: 'allow' }), false);
    assert.equal(controller.answerApproval('c1', { decision: 'allow', acceptedPaths: ['a.ts'] }), true);
    await sent;
    assert.deepEqual(applied, [['a.ts']]);
    assert.equal(backend.requests[0]!.messages[0]!.content, 'You are an agent.');
    assert.deepEqual(backend.requests[0]!.tools?.map((t) => t.name), ['propose_edits']);
    const turn = controller.current()!.turns[1]!;
    assert.equal(turn.content, 'I will edit. Done.');
    assert.equal(turn.toolCalls![0]!.state, 'done');
    assert.deepEqual(turn.toolCalls![0]!.acceptedPaths, ['a.ts']);
    const saved = (await store.load()).conversations[0]!.turns[1]!;
    assert.equal(saved.toolCalls?.[0]?.result, 'applied a.ts');
  });

  it('stopping while a call waits settles it as cancelled and keeps the text', async () => {
    const { controller, applied } = setup();
    await controller.init();
    const sent = controller.send({ content: 'Rename things' });
    await until(() => controller.current()?.turns[1]?.toolCalls?.[0]?.state === 'waiting-approval');
    await controller.cancel();
    await sent;
    const turn = controller.current()!.turns[1]!;
    assert.equal(turn.toolCalls![0]!.state, 'cancelled');
    assert.equal(turn.stopped, true);
    assert.deepEqual(applied, []);
    assert.equal(controller.answerApproval('c1', { decision: 'allow' }), false);
  });

  it('off, the chat sends no tools and the usual system prompt', async () => {
    const { controller, backend } = setup(false);
    await controller.init();
    await controller.send({ content: 'hi' });
    assert.equal(backend.requests[0]!.tools, undefined);
    assert.equal(backend.requests[0]!.messages[0]!.content, 'You are a coding assistant.');
  });

  it('offers only the tools whose definitions fit a share of the window', () => {
    const tool = (name: string): AgentTool => ({ definition: { name, description: 'x'.repeat(200), parameters: { type: 'object' } }, permission: 'read', source: 'builtin', run: async () => ({ text: '' }) });
    const tools = [tool('a'), tool('b'), tool('c')];
    const count = (t: string): number => Math.ceil(t.length / 4);
    assert.deepEqual(toolsThatFit(tools, 10_000, count).left, []);
    const small = toolsThatFit(tools, 400, count);
    assert.deepEqual([small.fit.map((t) => t.definition.name), small.left.map((t) => t.definition.name)], [['a', 'b'], ['c']]);
  });
});
