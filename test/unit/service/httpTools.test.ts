/**
 * Tools and response formats in the OpenAI-compatible HTTP API, spoken to with the official
 * `openai` client. In process, the engine host runs a scripted engine double (the model's output
 * is scripted; the bundled model's real chat template renders the prompt) so that the wire shapes
 * are proven whatever the model would write.
 */
import * as assert from 'node:assert/strict';
import OpenAI from 'openai';
import { silentLogger } from '../../../src/common/logger';
import type { GenerateRequest } from '../../../src/engine';
import { EngineHost } from '../../../src/service/engineHost';
import { startHttpApi, type HttpApi } from '../../../src/service/http';
import { ServiceMetrics } from '../../../src/service/metrics';
import { scriptedEngine } from './scriptedEngine';

const TOKEN = 'test-token-0123456789';

const gauges = (): ReturnType<Parameters<typeof startHttpApi>[1]['gauges']> => ({
  queueDepth: 0,
  activeRequests: 0,
  prefixCacheHitRate: 0,
  prefixCacheBytes: 0,
  connectedClients: 0,
  modelLoads: 0,
  residentMemoryBytes: 0,
});

const WEATHER_TOOL: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'The weather in a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const TIME_TOOL: OpenAI.Chat.Completions.ChatCompletionTool = { type: 'function', function: { name: 'get_time', description: 'The time in a zone.', parameters: { type: 'object', properties: { zone: { type: 'string' } } } } };

describe('HTTP API: tools and response formats with the openai client (scripted engine)', function () {
  this.timeout(30_000);
  let api: HttpApi;
  let client: OpenAI;
  const asked: GenerateRequest[] = [];

  before(async () => {
    const host = new EngineHost({ modelDir: '/scripted', variant: 'auto', provider: 'cpu', threads: 0 }, silentLogger, new ServiceMetrics(), { load: async () => scriptedEngine(asked) });
    api = await startHttpApi({ port: 0, token: TOKEN }, { host, metrics: new ServiceMetrics(), logger: silentLogger, gauges, onActivity: () => undefined });
    client = new OpenAI({ baseURL: `${api.url}/v1`, apiKey: TOKEN, maxRetries: 0 });
  });

  beforeEach(() => {
    asked.length = 0;
  });

  after(async () => {
    await api?.close();
  });

  it('a tools round trip: tool_calls back with finish_reason tool_calls, then the tool message gets the answer', async () => {
    const question: OpenAI.Chat.Completions.ChatCompletionMessageParam = { role: 'user', content: 'Weather in Paris?' };
    const first = await client.chat.completions.create({ model: 'scripted', messages: [question], tools: [WEATHER_TOOL, TIME_TOOL] });
    const choice = first.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, 'Let me check.');
    const calls = choice.message.tool_calls ?? [];
    assert.equal(calls.length, 1);
    const call = calls[0]!;
    assert.equal(call.type, 'function');
    assert.match(call.id, /^call_[0-9a-f]{24}$/);
    assert.deepEqual(call.type === 'function' && { name: call.function.name, arguments: JSON.parse(call.function.arguments) as unknown }, { name: 'get_weather', arguments: { city: 'Paris' } });
    assert.deepEqual(asked[0]!.constraint, {
      kind: 'tool-calls',
      tools: [
        { name: 'get_weather', description: 'The weather in a city.', parameters: WEATHER_TOOL.function.parameters },
        { name: 'get_time', description: 'The time in a zone.', parameters: (TIME_TOOL as { function: { parameters: unknown } }).function.parameters },
      ],
      open: '<tool_call>',
      close: '</tool_call>',
      required: false,
    });

    const second = await client.chat.completions.create({
      model: 'scripted',
      messages: [question, choice.message, { role: 'tool', tool_call_id: call.id, content: '{"temp": 21}' }],
      tools: [WEATHER_TOOL, TIME_TOOL],
    });
    assert.equal(second.choices[0]!.finish_reason, 'stop');
    assert.equal(second.choices[0]!.message.content, 'It is 21 degrees in Paris.');
    assert.equal(second.choices[0]!.message.tool_calls, undefined);
    const prompt = String(asked[1]!.prompt);
    assert.ok(prompt.includes('<|im_start|>assistant\nLet me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>'), prompt);
    assert.ok(prompt.includes('<|im_start|>user\n<tool_response>\n{"temp": 21}\n</tool_response><|im_end|>\n<|im_start|>assistant\n'), prompt);
  });

  it('streams the call as delta.tool_calls, which the client assembles into the same message', async () => {
    const stream = client.chat.completions.stream({ model: 'scripted', messages: [{ role: 'user', content: 'Weather in Paris?' }], tools: [WEATHER_TOOL] });
    const finished = await stream.finalChatCompletion();
    const choice = finished.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, 'Let me check.');
    const call = choice.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });

    const raw = await client.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'Weather?' }], tools: [WEATHER_TOOL], stream: true });
    const deltas: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of raw) deltas.push(chunk);
    const withCalls = deltas.filter((d) => d.choices[0]?.delta.tool_calls);
    assert.equal(withCalls.length, 1);
    assert.equal(withCalls[0]!.choices[0]!.delta.tool_calls![0]!.index, 0);
    assert.equal(deltas.at(-1)!.choices[0]!.finish_reason, 'tool_calls');
  });

  it("tool_choice: 'none' offers no tools; a named choice offers and requires only that one", async () => {
    const none = await client.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'Hi' }], tools: [WEATHER_TOOL], tool_choice: 'none' });
    assert.equal(none.choices[0]!.message.content, 'No tools here.');
    assert.equal(asked[0]!.constraint, undefined);
    assert.ok(!String(asked[0]!.prompt).includes('# Tools'));
    await client.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'Hi' }], tools: [WEATHER_TOOL, TIME_TOOL], tool_choice: { type: 'function', function: { name: 'get_time' } } });
    const constraint = asked[1]!.constraint;
    assert.ok(constraint?.kind === 'tool-calls');
    assert.deepEqual([constraint.tools.map((t) => t.name), constraint.required], [['get_time'], true]);
  });

  it('response_format maps to the contract: json_schema with its schema, json_object, and text as no format', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'integer' } }, required: ['city', 'temp'] };
    const answer = await client.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'Weather as JSON' }], response_format: { type: 'json_schema', json_schema: { name: 'weather', schema } } });
    assert.deepEqual(JSON.parse(answer.choices[0]!.message.content!), { city: 'Paris', temp: 21 });
    assert.deepEqual(asked[0]!.responseFormat, { type: 'json_schema', name: 'weather', schema });
    await client.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'JSON' }], response_format: { type: 'json_object' } });
    assert.deepEqual(asked[1]!.responseFormat, { type: 'json_object' });
    await client.chat.completions.create({ model: 'scripted', messages: [{ role: 'user', content: 'text' }], response_format: { type: 'text' } });
    assert.equal(asked[2]!.responseFormat, undefined);
  });

  it('refuses malformed tools, choices, formats and tool messages with 400 in the OpenAI shape, naming the field', async () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ tools: [{ type: 'function', function: { name: 'has space' } }] }, 'tools[0].function.name'],
      [{ tools: [{ type: 'retrieval' }] }, 'tools[0]'],
      [{ tools: [WEATHER_TOOL, WEATHER_TOOL] }, 'tools[1]'],
      [{ tools: Array.from({ length: 129 }, (_, i) => ({ type: 'function', function: { name: `t${i}` } })) }, 'tools'],
      [{ tools: [{ type: 'function', function: { name: 'deep', parameters: JSON.parse(`${'{"a":'.repeat(40)}{}${'}'.repeat(40)}`) as unknown } }] }, 'tools[0].function.parameters'],
      [{ tools: [WEATHER_TOOL], tool_choice: { type: 'function', function: { name: 'get_time' } } }, 'tool_choice.function.name'],
      [{ tool_choice: 'required' }, 'tool_choice'],
      [{ tool_choice: 'always' }, 'tool_choice'],
      [{ response_format: { type: 'xml' } }, 'response_format.type'],
      [{ response_format: { type: 'json_schema', json_schema: { name: 'x' } } }, 'response_format.json_schema.schema'],
      [{ messages: [{ role: 'tool', content: 'r' }] }, 'messages[0].tool_call_id'],
      [{ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: 7 } }] }] }, 'messages[0].tool_calls[0].function.arguments'],
    ];
    for (const [fields, param] of bad) {
      const body = { model: 'scripted', messages: [{ role: 'user', content: 'Hi' }], ...fields } as unknown as OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
      await assert.rejects(client.chat.completions.create(body), (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError, `${param}: ${String(err)}`);
        assert.equal(err.status, 400);
        assert.equal((err.error as { type?: string }).type, 'invalid_request_error');
        assert.equal(err.param, param, err.message);
        return true;
      });
    }
    assert.equal(asked.length, 0, 'no malformed request reached the engine');
  });
});
