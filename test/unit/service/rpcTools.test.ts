/**
 * Tool calls over the editor <-> service RPC: the service's session (with a scripted engine
 * double behind the real engine host) and the editor's connection, over a unix socket in this
 * process. The request's tools, choice, calls and results reach the engine; the calls come back
 * as `tool-call` chunks; hostile fields are refused naming the field.
 */
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { SocketMessageReader, SocketMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import { collect } from '../../../src/backends/backend';
import { ServiceConnection } from '../../../src/backends/serviceConnection';
import { BackendError } from '../../../src/common/errors';
import { silentLogger } from '../../../src/common/logger';
import type { GenerateRequest } from '../../../src/engine';
import type { ChatGenerationRequest, ToolDefinition } from '../../../src/protocol/generation';
import { EngineHost } from '../../../src/service/engineHost';
import type { ServiceLog } from '../../../src/service/logFile';
import { ServiceMetrics } from '../../../src/service/metrics';
import { servicePaths } from '../../../src/service/paths';
import { RpcSession, type RpcServerDeps } from '../../../src/service/rpcSession';
import { scriptedEngine } from './scriptedEngine';
import { tempDir } from './serviceProcess';

const never = (): AbortSignal => new AbortController().signal;
const WEATHER: ToolDefinition = { name: 'get_weather', description: 'The weather in a city.', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

describe('tool calls over the service RPC (scripted engine)', function () {
  this.timeout(30_000);
  const asked: GenerateRequest[] = [];
  let server: net.Server;
  let connection: ServiceConnection;

  before(async () => {
    const host = new EngineHost({ modelDir: '/scripted', variant: 'auto', provider: 'cpu', threads: 0 }, silentLogger, new ServiceMetrics(), { load: async () => scriptedEngine(asked) });
    const deps = {
      host,
      log: { listen: () => () => undefined } as unknown as ServiceLog,
      logger: silentLogger,
      logPrompts: false,
      hello: () => ({ logFile: '/dev/null' }),
      stats: () => {
        throw new Error('not asked');
      },
      onClientsChanged: () => undefined,
      shutdown: () => undefined,
      setHttp: async () => null,
    } satisfies RpcServerDeps;
    const socketPath = servicePaths(tempDir()).socket;
    let n = 0;
    server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
      const session = new RpcSession(conn, ++n, new Set(), deps);
      socket.on('close', () => session.closed());
      conn.listen();
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection(socketPath, () => resolve(s));
      s.once('error', reject);
    });
    connection = new ServiceConnection(socket, { logger: silentLogger, socketPath }, { modelChanged: () => undefined, streamFinished: () => undefined, closed: () => new BackendError('lost', 'service-died') });
    await connection.handshake();
  });

  beforeEach(() => {
    asked.length = 0;
  });

  after(() => {
    connection?.close();
    server?.close();
  });

  const chat = (extra: Partial<ChatGenerationRequest>): ChatGenerationRequest => ({ messages: [{ role: 'user', content: 'Weather in Paris?' }], maxTokens: 32, priority: 'chat', ...extra });

  it('carries the tools to the engine and the call back as a tool-call chunk, ending with stop reason tool-calls', async () => {
    const got = await collect(connection.chat(chat({ tools: [WEATHER], toolChoice: 'required' }), never()));
    assert.equal(got.text, 'Let me check.');
    assert.equal(got.toolCalls.length, 1);
    assert.deepEqual({ name: got.toolCalls[0]!.name, arguments: got.toolCalls[0]!.arguments }, { name: 'get_weather', arguments: '{"city":"Paris"}' });
    assert.equal(got.stats?.stopReason, 'tool-calls');
    assert.deepEqual(asked[0]!.constraint, { kind: 'tool-calls', tools: [WEATHER], open: '<tool_call>', close: '</tool_call>', required: true });
  });

  it("carries the assistant's calls and the tool results into the prompt, and the response format to the engine", async () => {
    const got = await collect(
      connection.chat(
        chat({
          messages: [
            { role: 'user', content: 'Weather in Paris?' },
            { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
            { role: 'tool', content: '{"temp": 21}', toolCallId: 'call_1' },
          ],
          tools: [WEATHER],
        }),
        never(),
      ),
    );
    assert.equal(got.text, 'It is 21 degrees in Paris.');
    assert.equal(got.stats?.stopReason, 'stop-token');
    const prompt = String(asked[0]!.prompt);
    assert.ok(prompt.includes('<|im_start|>assistant\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n{"temp": 21}\n</tool_response><|im_end|>'), prompt);
    await collect(connection.chat(chat({ responseFormat: { type: 'json_schema', schema: { type: 'object' } } }), never()));
    assert.deepEqual(asked[1]!.responseFormat, { type: 'json_schema', schema: { type: 'object' } });
  });

  it('refuses hostile chat fields as an invalid request naming the field, before the engine sees them', async () => {
    const bad: Array<[Partial<ChatGenerationRequest>, RegExp]> = [
      [{ tools: [{ name: 'bad name', description: '', parameters: {} }] }, /tools\[0\]\.name must match/],
      [{ tools: [WEATHER], toolChoice: { name: 'other' } }, /toolChoice\.name names 'other'/],
      [{ tools: Array.from({ length: 129 }, (_, i) => ({ ...WEATHER, name: `t${i}` })) }, /tools must be an array of at most 128/],
      [{ messages: [{ role: 'tool', content: 'r' }] }, /messages\[0\]\.toolCallId must name the call/],
      [{ messages: [{ role: 'user', content: 'x', toolCalls: [{ id: 'c', name: 'f', arguments: '{}' }] }] }, /messages\[0\]\.toolCalls is only for assistant messages/],
      [{ messages: [{ role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'f', arguments: 'x'.repeat(300_000) }] }] }, /arguments is longer than/],
      [{ responseFormat: { type: 'json_schema', schema: 'x' } as unknown as ChatGenerationRequest['responseFormat'] }, /responseFormat\.schema must be a JSON schema object/],
      [{ messages: [{ role: 'wizard', content: 'x' }] }, /messages\[0\]\.role must be/],
    ];
    for (const [fields, message] of bad) {
      await assert.rejects(collect(connection.chat(chat(fields), never())), (err: unknown) => {
        assert.ok(err instanceof BackendError, String(err));
        assert.equal(err.code, 'invalid-request');
        assert.match(err.message, message);
        return true;
      });
    }
    assert.equal(asked.length, 0);
  });
});
