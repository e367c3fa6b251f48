import { strict as assert } from 'node:assert';
import { runAgent, type AgentEvent, type AgentRunOptions, type CallRecord } from '../../../src/agent/loop';
import { PermissionPolicy } from '../../../src/agent/permissions';
import { ToolInputError, type AgentTool, type Approval, type PermissionClass } from '../../../src/agent/types';
import type { ChatGenerationRequest, GenerationChunk, ToolCall } from '../../../src/protocol/generation';

/** One scripted model turn: text, then the calls it makes. */
interface ScriptedTurn {
  text?: string;
  calls?: Array<{ name: string; args: unknown }>;
}

function scriptedChat(turns: ScriptedTurn[], seen: ChatGenerationRequest[]): AgentRunOptions['chat'] {
  let n = 0;
  return async function* (request: ChatGenerationRequest): AsyncIterable<GenerationChunk> {
    seen.push(request);
    const turn = turns[n++] ?? { text: 'no more script' };
    if (turn.text) yield { type: 'text', text: turn.text };
    for (const [i, c] of (turn.calls ?? []).entries()) {
      const call: ToolCall = { id: `call_${n}_${i}`, name: c.name, arguments: typeof c.args === 'string' ? c.args : JSON.stringify(c.args) };
      yield { type: 'tool-call', call };
    }
    yield { type: 'done', stats: { promptTokens: 10, reusedTokens: 0, generatedTokens: 5, timeToFirstTokenMs: 1, tokensPerSecond: 100, stopReason: turn.calls ? 'tool-calls' : 'stop-token' } };
  };
}

function tool(name: string, permission: PermissionClass, run: AgentTool['run'], extra: Partial<AgentTool> = {}): AgentTool {
  return {
    definition: { name, description: `${name} tool`, parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false } },
    permission,
    source: 'builtin',
    run,
    ...extra,
  };
}

const readTool = tool('read_file', 'read', async (args) => ({ text: `contents of ${String(args['path'])}` }));

interface Harness {
  options: AgentRunOptions;
  events: AgentEvent[];
  requests: ChatGenerationRequest[];
  approvals: CallRecord[];
  abort: AbortController;
}

function harness(turns: ScriptedTurn[], tools: AgentTool[], over: Partial<AgentRunOptions> & { answer?: Approval['decision'] | Approval; trusted?: boolean } = {}): Harness {
  const events: AgentEvent[] = [];
  const requests: ChatGenerationRequest[] = [];
  const approvals: CallRecord[] = [];
  const abort = new AbortController();
  const answer = over.answer ?? 'allow';
  const options: AgentRunOptions = {
    chat: scriptedChat(turns, requests),
    messages: [
      { role: 'system', content: 'You are an agent.' },
      { role: 'user', content: 'What is in a.ts?' },
    ],
    tools,
    permissions: new PermissionPolicy(() => over.trusted ?? true),
    approve: async (call) => {
      approvals.push(call);
      return typeof answer === 'string' ? { decision: answer } : answer;
    },
    maxSteps: 5,
    budget: { contextTokens: 100_000, answerTokens: 100, countTokens: (t) => Math.ceil(t.length / 4) },
    generation: { maxTokens: 50, priority: 'chat' },
    signal: abort.signal,
    onEvent: (e) => events.push(e),
    ...over,
  };
  return { options, events, requests, approvals, abort };
}

const finalStates = (events: AgentEvent[]): string[] => {
  const last = new Map<string, string>();
  for (const e of events) if (e.type === 'call') last.set(e.call.id, e.call.state);
  return [...last.values()];
};

describe('agent loop', () => {
  it('ends at an answer without calls and offers the tools to the model', async () => {
    const h = harness([{ text: 'Nothing to look up.' }], [readTool]);
    const out = await runAgent(h.options);
    assert.equal(out.stop, 'answer');
    assert.equal(out.steps, 1);
    assert.deepEqual(h.requests[0]!.tools?.map((t) => t.name), ['read_file']);
    assert.deepEqual(h.events, [{ type: 'text', text: 'Nothing to look up.' }]);
  });

  it('runs a reading tool without asking and feeds its result back', async () => {
    const h = harness([{ text: 'Let me look.', calls: [{ name: 'read_file', args: { path: 'a.ts' } }] }, { text: 'It exports f.' }], [readTool]);
    const out = await runAgent(h.options);
    assert.equal(out.stop, 'answer');
    assert.equal(h.approvals.length, 0);
    const second = h.requests[1]!.messages;
    assert.deepEqual(second.slice(-2), [
      { role: 'assistant', content: 'Let me look.', toolCalls: [{ id: 'call_1_0', name: 'read_file', arguments: '{"path":"a.ts"}' }] },
      { role: 'tool', content: 'contents of a.ts', toolCallId: 'call_1_0' },
    ]);
    assert.deepEqual(finalStates(h.events), ['done']);
  });

  it('asks before an edit; a denial is told to the model and nothing runs', async () => {
    let ran = 0;
    const edit = tool('propose_edits', 'edit', async () => ((ran += 1), { text: 'applied' }));
    const h = harness([{ calls: [{ name: 'propose_edits', args: { path: 'a.ts' } }] }, { text: 'OK, I will not.' }], [edit], { answer: 'deny' });
    const out = await runAgent(h.options);
    assert.equal(out.stop, 'answer');
    assert.equal(ran, 0);
    assert.equal(h.approvals.length, 1);
    assert.equal(h.approvals[0]!.state, 'waiting-approval');
    assert.equal(out.calls[0]!.state, 'denied');
    assert.match(h.requests[1]!.messages.at(-1)!.content, /declined/);
  });

  it('allowed for the session, the same tool runs again without asking', async () => {
    let ran = 0;
    const command = tool('run_command', 'execute', async () => ((ran += 1), { text: 'exit 0' }));
    const h = harness(
      [{ calls: [{ name: 'run_command', args: { path: 'x' } }] }, { calls: [{ name: 'run_command', args: { path: 'y' } }] }, { text: 'done' }],
      [command],
      { answer: 'allow-session' },
    );
    await runAgent(h.options);
    assert.equal(ran, 2);
    assert.equal(h.approvals.length, 1);
    assert.deepEqual(h.options.permissions.allowances, ['run_command']);
  });

  it('passes the accepted paths of a review to the edit and records them', async () => {
    let got: readonly string[] | undefined;
    const edit = tool('propose_edits', 'edit', async (_args, ctx) => ((got = ctx.acceptedPaths), { text: 'applied a.ts; rejected b.ts' }), {
      preview: async () => ({ summary: 'Edit 2 files', changes: [{ path: 'a.ts', before: 'a', after: 'A' }, { path: 'b.ts', before: 'b', after: 'B' }] }),
    });
    const h = harness([{ calls: [{ name: 'propose_edits', args: { path: 'a.ts' } }] }, { text: 'done' }], [edit], { answer: { decision: 'allow', acceptedPaths: ['a.ts'] } });
    const out = await runAgent(h.options);
    assert.deepEqual(got, ['a.ts']);
    assert.equal(h.approvals[0]!.changes?.length, 2);
    assert.deepEqual(out.calls[0]!.acceptedPaths, ['a.ts']);
    assert.equal(out.calls[0]!.state, 'done');
  });

  it('in an untrusted workspace runs reading tools only', async () => {
    let ran = 0;
    const command = tool('run_command', 'execute', async () => ((ran += 1), { text: 'ran' }));
    const h = harness([{ calls: [{ name: 'run_command', args: { path: 'x' } }, { name: 'read_file', args: { path: 'a.ts' } }] }, { text: 'done' }], [command, readTool], { trusted: false });
    const out = await runAgent(h.options);
    assert.equal(ran, 0);
    assert.equal(h.approvals.length, 0);
    assert.deepEqual(out.calls.map((c) => c.state), ['denied', 'done']);
    assert.match(out.calls[0]!.result!, /not trusted/);
  });

  it('tells the model about malformed and invalid arguments and unknown tools, running nothing', async () => {
    let ran = 0;
    const counting = tool('read_file', 'read', async () => ((ran += 1), { text: 'x' }));
    const h = harness(
      [{ calls: [{ name: 'read_file', args: '{"path": ' }, { name: 'read_file', args: { path: 3 } }, { name: 'read_file', args: { path: 'a', extra: 1 } }, { name: 'delete_all', args: {} }] }, { text: 'sorry' }],
      [counting],
    );
    const out = await runAgent(h.options);
    assert.equal(ran, 0);
    assert.deepEqual(out.calls.map((c) => c.state), ['failed', 'failed', 'failed', 'failed']);
    assert.match(out.calls[0]!.result!, /not JSON/);
    assert.match(out.calls[1]!.result!, /\/path must be string/);
    assert.match(out.calls[2]!.result!, /additional properties/);
    assert.match(out.calls[3]!.result!, /no tool named "delete_all".*read_file/);
  });

  it('a tool that fails or rejects its input is reported as failed and the loop goes on', async () => {
    const broken = tool('read_file', 'read', async (args) => {
      if (args['path'] === 'missing') throw new ToolInputError('no file missing in the workspace');
      throw new Error('disk on fire');
    });
    const h = harness([{ calls: [{ name: 'read_file', args: { path: 'missing' } }, { name: 'read_file', args: { path: 'other' } }] }, { text: 'could not read' }], [broken]);
    const out = await runAgent(h.options);
    assert.equal(out.stop, 'answer');
    assert.match(out.calls[0]!.result!, /no file missing/);
    assert.match(out.calls[1]!.result!, /disk on fire/);
    assert.ok(out.calls.every((c) => c.isError === true && c.state === 'failed'));
  });

  it('keeps the output of a command whole but reports it at most every so often', async () => {
    const chatty = tool('run_command', 'read', async (_args, ctx) => {
      for (let i = 0; i < 1000; i++) ctx.onOutput?.(`line ${i}\n`);
      return { text: 'exit 0' };
    });
    const h = harness([{ calls: [{ name: 'run_command', args: { path: 'x' } }] }, { text: 'done' }], [chatty]);
    const out = await runAgent(h.options);
    const reports = h.events.filter((e) => e.type === 'call' && e.call.state === 'running');
    assert.ok(reports.length < 10, `${reports.length} running reports`);
    assert.ok(out.calls[0]!.output!.endsWith('line 999\n'));
    assert.ok(out.calls[0]!.output!.startsWith('line 0\n'));
  });

  it('stops at the step limit and says so', async () => {
    const again = { calls: [{ name: 'read_file', args: { path: 'a.ts' } }] };
    const h = harness([again, again, again, again], [readTool], { maxSteps: 3 });
    const out = await runAgent(h.options);
    assert.equal(out.stop, 'step-limit');
    assert.equal(h.requests.length, 3);
    assert.ok(h.events.some((e) => e.type === 'notice' && /after 3 steps/.test(e.message)));
  });

  it('cancellation during a tool stops the tool and asks the model nothing more', async () => {
    let sawAbort = false;
    const slow = tool('run_command', 'read', (_args, ctx) => new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => ((sawAbort = true), reject(new Error('killed'))))));
    const h = harness([{ calls: [{ name: 'run_command', args: { path: 'x' } }] }, { text: 'never' }], [slow]);
    const running = runAgent(h.options);
    await new Promise((r) => setTimeout(r, 20));
    h.abort.abort();
    const out = await running;
    assert.equal(out.stop, 'cancelled');
    assert.ok(sawAbort);
    assert.equal(h.requests.length, 1);
    assert.equal(out.calls[0]!.state, 'cancelled');
  });

  it('cancellation while waiting for approval settles the call as cancelled', async () => {
    const edit = tool('propose_edits', 'edit', async () => ({ text: 'applied' }));
    const h = harness([{ calls: [{ name: 'propose_edits', args: { path: 'a' } }] }], [edit]);
    h.options.approve = () => new Promise(() => undefined);
    const running = runAgent(h.options);
    await new Promise((r) => setTimeout(r, 20));
    h.abort.abort();
    const out = await running;
    assert.equal(out.stop, 'cancelled');
    assert.equal(out.calls[0]!.state, 'cancelled');
  });

  it('drops the oldest tool results first to fit the window, then stops when nothing more can go', async () => {
    const big = tool('read_file', 'read', async (args) => ({ text: `${String(args['path'])}:` + 'x'.repeat(400) }));
    const read = (p: string): ScriptedTurn => ({ calls: [{ name: 'read_file', args: { path: p } }] });
    // Budget: each result is ~100 tokens; the window holds about two of them.
    const h = harness([read('one'), read('two'), read('three'), { text: 'answer' }], [big], { budget: { contextTokens: 420, answerTokens: 50, countTokens: (t) => Math.ceil(t.length / 4) } });
    const out = await runAgent(h.options);
    assert.equal(out.stop, 'answer');
    const last = h.requests.at(-1)!.messages.filter((m) => m.role === 'tool').map((m) => m.content.slice(0, 6));
    assert.deepEqual(last, ['[This ', 'two:xx', 'three:']);
    assert.ok(h.events.some((e) => e.type === 'notice' && /left out to fit/.test(e.message)));

    const tiny = harness([{ text: 'x' }], [big], { budget: { contextTokens: 40, answerTokens: 30, countTokens: (t) => Math.ceil(t.length / 4) } });
    const stopped = await runAgent(tiny.options);
    assert.equal(stopped.stop, 'context-budget');
    assert.equal(tiny.requests.length, 0);
  });
});
