/**
 * Tool calls through the remote backend, against a loopback stand-in that streams `tool_calls`
 * deltas the way OpenAI's API does (index-keyed fragments: id, type and name first, then pieces
 * of the arguments), and records what it was sent.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collect } from '../../../src/backends/backend';
import { RemoteBackend } from '../../../src/backends/remote';
import { REMOTE_CALL_LIMITS } from '../../../src/backends/remoteTools';
import { BackendError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import type { ChatGenerationRequest, ToolDefinition } from '../../../src/protocol/generation';

const never = (): AbortSignal => new AbortController().signal;

interface StandIn {
  url: string;
  bodies: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A server that answers every request with these SSE payloads (objects are sent as JSON). */
async function standIn(events: readonly unknown[]): Promise<StandIn> {
  const bodies: Record<string, unknown>[] = [];
  const server = http.createServer((rq, rs) => {
    let body = '';
    rq.on('data', (b: Buffer) => (body += b.toString()));
    rq.on('end', () => {
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      rs.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of events) rs.write(`data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`);
      rs.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    bodies,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-x' };
const chunk = (delta: Record<string, unknown>, finish: string | null = null): unknown => ({ ...head, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
const fragment = (index: number, fields: Record<string, unknown>): Record<string, unknown> => ({ tool_calls: [{ index, ...fields }] });

/** Two calls, their arguments split mid-token, as OpenAI streams parallel calls. */
const OPENAI_STREAM = [
  chunk({ role: 'assistant', content: null }),
  chunk(fragment(0, { id: 'call_weather', type: 'function', function: { name: 'get_weather', arguments: '' } })),
  chunk(fragment(0, { function: { arguments: '{"ci' } })),
  chunk(fragment(0, { function: { arguments: 'ty": "Par' } })),
  chunk(fragment(0, { function: { arguments: 'is"}' } })),
  chunk(fragment(1, { id: 'call_time', type: 'function', function: { name: 'get_time', arguments: '' } })),
  chunk(fragment(1, { function: { arguments: '{"zone": "CET"}' } })),
  chunk({}, 'tool_calls'),
  { ...head, choices: [], usage: { prompt_tokens: 40, completion_tokens: 21 } },
  '[DONE]',
];

const WEATHER: ToolDefinition = { name: 'get_weather', description: 'Weather of a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };
const TIME: ToolDefinition = { name: 'get_time', description: 'Time in a zone.', parameters: { type: 'object', properties: { zone: { type: 'string' } } } };

describe('remote backend: tool calls', function () {
  this.timeout(30_000);
  const servers: StandIn[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  const serve = async (events: readonly unknown[]): Promise<StandIn> => {
    const s = await standIn(events);
    servers.push(s);
    return s;
  };
  const remote = (s: StandIn): RemoteBackend => new RemoteBackend({ baseUrl: s.url, model: 'gpt-x', logger: new MemoryLogger('info'), maxRetries: 0 });
  const request = (extra: Partial<ChatGenerationRequest> = {}): ChatGenerationRequest => ({ messages: [{ role: 'user', content: 'Weather and time in Paris?' }], tools: [WEATHER, TIME], maxTokens: 64, priority: 'chat', ...extra });

  it('assembles the streamed fragments into whole calls, in index order, with stop reason tool-calls', async () => {
    const s = await serve(OPENAI_STREAM);
    const got = await collect(remote(s).chat(request(), never()));
    assert.equal(got.text, '');
    assert.deepEqual(got.toolCalls, [
      { id: 'call_weather', name: 'get_weather', arguments: '{"city": "Paris"}' },
      { id: 'call_time', name: 'get_time', arguments: '{"zone": "CET"}' },
    ]);
    assert.equal(got.stats?.stopReason, 'tool-calls');
    assert.equal(got.stats?.generatedTokens, 21);
  });

  it("sends tools, tool_choice and response_format, and the conversation's calls and results, in OpenAI's shape", async () => {
    const s = await serve([chunk({ content: 'ok' }, 'stop'), '[DONE]']);
    const got = await collect(
      remote(s).chat(
        request({
          messages: [
            { role: 'user', content: 'Weather in Paris?' },
            { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
            { role: 'tool', content: '{"temp": 21}', toolCallId: 'call_1' },
          ],
          toolChoice: { name: 'get_weather' },
          responseFormat: { type: 'json_schema', name: 'weather', schema: { type: 'object' } },
        }),
        never(),
      ),
    );
    assert.equal(got.text, 'ok');
    assert.equal(got.stats?.stopReason, 'stop-token');
    const body = s.bodies[0]!;
    assert.deepEqual(body['tools'], [
      { type: 'function', function: { name: 'get_weather', description: 'Weather of a city.', parameters: WEATHER.parameters } },
      { type: 'function', function: { name: 'get_time', description: 'Time in a zone.', parameters: TIME.parameters } },
    ]);
    assert.deepEqual(body['tool_choice'], { type: 'function', function: { name: 'get_weather' } });
    assert.deepEqual(body['response_format'], { type: 'json_schema', json_schema: { name: 'weather', schema: { type: 'object' } } });
    assert.deepEqual(body['messages'], [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp": 21}' },
    ]);
  });

  it('sends no tool fields without tools, and string tool choices and json_object as they are', async () => {
    const s = await serve([chunk({ content: '{}' }, 'stop'), '[DONE]']);
    await collect(remote(s).chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, priority: 'chat', toolChoice: 'required', responseFormat: { type: 'json_object' } }, never()));
    await collect(remote(s).chat(request({ toolChoice: 'none' }), never()));
    assert.equal(s.bodies[0]!['tools'], undefined);
    assert.equal(s.bodies[0]!['tool_choice'], undefined);
    assert.deepEqual(s.bodies[0]!['response_format'], { type: 'json_object' });
    assert.equal(s.bodies[1]!['tool_choice'], 'none');
  });

  it('keeps the text a model says before its call, and takes whole calls without an index (as some servers send them)', async () => {
    const s = await serve([
      chunk({ content: 'Checking.' }),
      chunk({ tool_calls: [{ id: 'a', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
      chunk({ tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: '{"city": "Oslo"}' } }] }),
      chunk({}, 'stop'),
      '[DONE]',
    ]);
    const got = await collect(remote(s).chat(request(), never()));
    assert.equal(got.text, 'Checking.');
    assert.deepEqual(got.toolCalls.map((c) => [c.name, c.arguments]), [['get_time', '{}'], ['get_weather', '{"city": "Oslo"}']]);
    assert.equal(got.toolCalls[0]!.id, 'a');
    assert.match(got.toolCalls[1]!.id, /^call_[0-9a-f]{24}$/, 'a call without an id is given one');
    assert.equal(got.stats?.stopReason, 'tool-calls', 'calls made: the turn ended in calls whatever the finish reason said');
  });

  it('refuses a stream whose calls break the bounds or the shape, naming what is wrong', async () => {
    const cases: Array<[unknown[], RegExp]> = [
      [[chunk(fragment(REMOTE_CALL_LIMITS.calls, { id: 'x', function: { name: 'get_time' } }))], /index is not an integer in \[0, 128\)/],
      [[chunk(fragment(0, { id: 'x', function: { name: 'get_time', arguments: 'x'.repeat(REMOTE_CALL_LIMITS.argumentsChars + 1) } }))], /arguments are longer than/],
      [[chunk(fragment(0, { id: 'x', function: { name: 'n'.repeat(65) } }))], /name is longer than 64/],
      [[chunk(fragment(0, { id: 'x', function: { arguments: '{}' } })), chunk({}, 'tool_calls')], /tool call 0 has no function name/],
      [[chunk({ tool_calls: 'nope' })], /delta.tool_calls is not an array/],
    ];
    for (const [events, message] of cases) {
      const s = await serve([...events, '[DONE]']);
      await assert.rejects(collect(remote(s).chat(request(), never())), (err: unknown) => {
        assert.ok(err instanceof BackendError, String(err));
        assert.equal(err.code, 'remote-protocol');
        assert.match(err.message, message);
        return true;
      });
    }
  });
});
