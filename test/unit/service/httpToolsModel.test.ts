/**
 * Tools and response formats end to end on the bundled model: the real service process and its
 * HTTP API through the official `openai` client, and the in-window local engine backend. What
 * the model writes is only guaranteed well formed by the engine's decoding constraint
 * (src/engine/constrain/); the tests that need it are skipped, saying so, where it is absent.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import OpenAI from 'openai';
import { collect } from '../../../src/backends/backend';
import { LocalEngineBackend } from '../../../src/backends/localEngine';
import { MemoryLogger } from '../../../src/common/logger';
import { Engine } from '../../../src/engine';
import type { ToolDefinition } from '../../../src/protocol/generation';
import { modelDir, repoRoot, startServiceProcess, waitFor, type ServiceProcess } from './serviceProcess';

const constrained = fs.existsSync(path.join(repoRoot, 'src', 'engine', 'constrain'));
const needsConstraint = constrained ? it : it.skip;
const NEEDS = constrained ? '' : ' (skipped: needs the engine’s decoding constraint, src/engine/constrain/, not in this tree)';

const READ_FILE: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'read_file', description: 'Read a file of the workspace.', parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } },
};
const LIST_FILES: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'list_files', description: 'List the files matching a glob.', parameters: { type: 'object', properties: { glob: { type: 'string' }, max_results: { type: 'integer', minimum: 1, maximum: 50 } }, required: ['glob'] } },
};

const SCHEMA = {
  type: 'object',
  properties: { name: { type: 'string', maxLength: 40 }, language: { type: 'string', enum: ['python', 'typescript', 'go'] }, lines: { type: 'integer', minimum: 1, maximum: 500 } },
  required: ['name', 'language', 'lines'],
  additionalProperties: false,
};

describe('tools and response formats on the bundled model (real service, openai client)', function () {
  this.timeout(120_000);
  let svc: ServiceProcess;
  let client: OpenAI;

  before(async () => {
    svc = await startServiceProcess();
    await waitFor('the model', async () => ((await fetch(`${svc.url}/health`).then((r) => r.text())).includes('"loaded":true') ? true : undefined));
    client = new OpenAI({ baseURL: `${svc.url}/v1`, apiKey: svc.token, maxRetries: 0 });
  });

  after(async () => {
    await svc?.kill();
  });

  it("tool_choice 'none': the tools are not offered, and the answer is text with no calls", async () => {
    const r = await client.chat.completions.create({ model: 'autoglm-coder', messages: [{ role: 'user', content: 'Write a Python function that adds two numbers.' }], tools: [READ_FILE], tool_choice: 'none', max_tokens: 24, temperature: 0 });
    const choice = r.choices[0]!;
    assert.equal(choice.message.tool_calls, undefined);
    assert.ok(choice.finish_reason === 'stop' || choice.finish_reason === 'length', choice.finish_reason);
    assert.ok((choice.message.content ?? '').length > 0);
    assert.ok(r.usage!.completion_tokens > 0);
  });

  it('a conversation with calls and tool results is accepted and answered', async () => {
    const r = await client.chat.completions.create({
      model: 'autoglm-coder',
      messages: [
        { role: 'user', content: 'What does src/a.py do?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '{"path": "src/a.py"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'def add(a, b):\n    return a + b\n' },
      ],
      tools: [READ_FILE],
      max_tokens: 16,
      temperature: 0,
    });
    assert.equal(r.choices.length, 1);
    assert.ok(r.usage!.prompt_tokens > 60, `the tools and the call are in the prompt (${r.usage!.prompt_tokens} tokens)`);
    assert.ok(r.usage!.completion_tokens > 0);
  });

  needsConstraint(`a tools round trip: a required call comes back as tool_calls valid under its parameters, then the tool result is answered${NEEDS}`, async () => {
    const ajv = new Ajv();
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [{ role: 'user', content: 'List the Python files of the project.' }];
    const first = await client.chat.completions.create({ model: 'autoglm-coder', messages, tools: [READ_FILE, LIST_FILES], tool_choice: { type: 'function', function: { name: 'list_files' } }, max_tokens: 96, temperature: 0 });
    const choice = first.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    const call = choice.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function', JSON.stringify(choice.message));
    assert.equal(call.function.name, 'list_files');
    const args = JSON.parse(call.function.arguments) as unknown;
    assert.ok(ajv.validate(LIST_FILES.function.parameters!, args), `${call.function.arguments}: ${ajv.errorsText()}`);
    const second = await client.chat.completions.create({
      model: 'autoglm-coder',
      messages: [...messages, choice.message, { role: 'tool', tool_call_id: call.id, content: 'src/a.py\nsrc/b.py' }],
      tools: [READ_FILE, LIST_FILES],
      tool_choice: 'none',
      max_tokens: 24,
      temperature: 0,
    });
    assert.equal(second.choices[0]!.message.tool_calls, undefined);
    assert.ok((second.choices[0]!.message.content ?? '').length > 0);
  });

  needsConstraint(`response_format json_schema: sampled answers parse and validate under the schema${NEEDS}`, async () => {
    const ajv = new Ajv();
    const validate = ajv.compile(SCHEMA);
    for (const seed of [1, 2, 3]) {
      const r = await client.chat.completions.create({
        model: 'autoglm-coder',
        messages: [{ role: 'user', content: 'Describe a small program as JSON with its name, language and number of lines.' }],
        response_format: { type: 'json_schema', json_schema: { name: 'program', schema: SCHEMA } },
        max_tokens: 96,
        temperature: 1,
        seed,
      });
      const text = r.choices[0]!.message.content ?? '';
      assert.ok(validate(JSON.parse(text)), `seed ${seed}: ${text}: ${ajv.errorsText(validate.errors)}`);
    }
  });
});

describe('tool calls on the in-window local engine backend (bundled model)', function () {
  this.timeout(120_000);
  let backend: LocalEngineBackend;

  before(() => {
    backend = new LocalEngineBackend({ modelDir, variant: 'auto', provider: 'cpu', threads: 0, logger: new MemoryLogger('info') }, (o) => Engine.load(o));
  });

  after(() => backend.dispose());

  it("without tools on offer the turn is text, as before (the bundled model's template renders the calls of earlier turns as text)", async () => {
    const got = await collect(
      backend.chat(
        {
          messages: [
            { role: 'user', content: 'Read a.py' },
            { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'read_file', arguments: '{"path":"a.py"}' }] },
            { role: 'tool', content: 'x = 1', toolCallId: 'c1' },
          ],
          maxTokens: 8,
          temperature: 0,
          priority: 'chat',
        },
        new AbortController().signal,
      ),
    );
    assert.deepEqual(got.toolCalls, []);
    assert.ok(got.stats && got.stats.generatedTokens > 0);
    assert.notEqual(got.stats.stopReason, 'tool-calls');
  });

  needsConstraint(`a named tool choice yields one tool-call chunk whose arguments validate, and stop reason tool-calls${NEEDS}`, async () => {
    const tool: ToolDefinition = { name: 'read_file', description: 'Read a file of the workspace.', parameters: READ_FILE.function.parameters! };
    const got = await collect(backend.chat({ messages: [{ role: 'user', content: 'Show me setup.py' }], tools: [tool], toolChoice: { name: 'read_file' }, maxTokens: 64, temperature: 0, priority: 'chat' }, new AbortController().signal));
    assert.equal(got.toolCalls.length >= 1, true, got.text);
    assert.equal(got.toolCalls[0]!.name, 'read_file');
    assert.ok(new Ajv().validate(tool.parameters, JSON.parse(got.toolCalls[0]!.arguments)), got.toolCalls[0]!.arguments);
    assert.equal(got.stats?.stopReason, 'tool-calls');
  });
});
