/**
 * The service connection on its own, against a scripted JSON-RPC server in this process over a
 * unix socket (a named pipe on Windows) in a temp folder: handshake, multiplexed streams,
 * cancellation, typed errors, a lost connection, a service that stops answering, log forwarding.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { ResponseError, SocketMessageReader, SocketMessageWriter, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc/node';
import { collect, type GenerationChunk } from '../../../src/backends/backend';
import { HandshakeError, ServiceConnection, type ConnectionEnd, type ConnectionEvents } from '../../../src/backends/serviceConnection';
import { BackendError, BusyError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import type { GenerationStats } from '../../../src/protocol/generation';
import {
  ChunkNotificationType,
  CountTokensRequestType,
  GenerateRequestType,
  HealthRequestType,
  HelloRequestType,
  LogNotificationType,
  ModelChangedNotificationType,
  SERVICE_PROTOCOL_VERSION,
  ServiceErrorCodes,
  ShutdownRequestType,
  type HelloResult,
  type ServiceModelInfo,
} from '../../../src/protocol/service';
import { servicePaths } from '../../../src/service/paths';
import { tempDir, waitFor } from '../service/serviceProcess';

const model: ServiceModelInfo = { name: 'm', modelDir: '/models/m', loaded: true };
const stats: GenerationStats = { promptTokens: 3, reusedTokens: 0, generatedTokens: 2, timeToFirstTokenMs: 1, tokensPerSecond: 10, stopReason: 'max-tokens' };
const request = { prompt: 'p', maxTokens: 2, priority: 'interactive' as const };

/** A scripted service: each test registers the handlers it needs on `onConnection`. */
class FakeService {
  readonly server: net.Server;
  readonly connections: MessageConnection[] = [];
  readonly sockets: net.Socket[] = [];
  onConnection: (conn: MessageConnection) => void = () => undefined;

  constructor(readonly socketPath: string) {
    this.server = net.createServer((socket) => {
      const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
      this.connections.push(conn);
      this.sockets.push(socket);
      socket.on('error', () => undefined);
      this.onConnection(conn);
      conn.listen();
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

function helloResult(pid = process.pid): HelloResult {
  return { protocolVersion: SERVICE_PROTOCOL_VERSION, serviceVersion: 't', pid, model, logFile: '/log/service.log' };
}

function connect(socket: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(socket, () => resolve(s));
    s.once('error', reject);
  });
}

describe('service connection (scripted in-process server)', function () {
  this.timeout(20_000);
  let service: FakeService;
  let connection: ServiceConnection | undefined;
  let ends: ConnectionEnd[];
  let models: ServiceModelInfo[];
  let finished: number;
  let logger: MemoryLogger;
  const events: ConnectionEvents = {
    modelChanged: (m) => models.push(m),
    streamFinished: () => finished++,
    closed: (end) => {
      ends.push(end);
      return new BackendError(`lost (${end.inflight} in flight)`, 'service-died');
    },
  };

  beforeEach(async () => {
    service = new FakeService(servicePaths(tempDir()).socket);
    await service.listen();
    ends = [];
    models = [];
    finished = 0;
    logger = new MemoryLogger('debug');
  });

  afterEach(() => {
    connection?.close();
    connection = undefined;
    service.close();
  });

  async function open(options: { stallTimeoutMs?: number; healthTimeoutMs?: number } = {}): Promise<ServiceConnection> {
    connection = new ServiceConnection(await connect(service.socketPath), { logger, socketPath: service.socketPath, clientName: 'test window', ...options }, events);
    return connection;
  }

  it('shakes hands with its name, version and log level, and returns what the service says', async () => {
    let seen: unknown;
    service.onConnection = (conn) =>
      conn.onRequest(HelloRequestType, (p) => {
        seen = p;
        return helloResult();
      });
    const c = await open();
    assert.deepEqual(await c.handshake(), helloResult());
    assert.deepEqual(seen, { protocolVersion: SERVICE_PROTOCOL_VERSION, clientVersion: '0.0.0-dev', clientName: 'test window', pid: process.pid, logLevel: 'info' });
  });

  it('reports a service of another protocol as a version mismatch, and other refusals as a failed handshake', async () => {
    service.onConnection = (conn) =>
      conn.onRequest(HelloRequestType, () => {
        throw new ResponseError(ServiceErrorCodes.versionMismatch, 'speaks protocol 99', { serviceVersion: '9', protocolVersion: 99 });
      });
    const c = await open();
    await assert.rejects(c.handshake(), (err: unknown) => err instanceof HandshakeError && err.versionMismatch && err.code === 'service-version' && err.message === 'speaks protocol 99');
    c.close();
    service.onConnection = (conn) =>
      conn.onRequest(HelloRequestType, () => {
        throw new Error('no');
      });
    const d = await open();
    await assert.rejects(d.handshake(), (err: unknown) => err instanceof HandshakeError && !err.versionMismatch && err.code === 'service-handshake' && err.message.includes(service.socketPath));
  });

  it('multiplexes streams by id: interleaved chunks (text and tool calls) reach their own stream, the result ends it with stats', async () => {
    service.onConnection = (conn) => {
      conn.onRequest(HelloRequestType, () => helloResult());
      const waiting = new Map<string, () => void>();
      conn.onRequest(GenerateRequestType, async (p) => {
        await new Promise<void>((resolve) => {
          waiting.set(p.streamId, resolve);
          if (waiting.size < 2) return;
          // Both streams are open: interleave their chunks, then answer both.
          const [a, b] = [...waiting.keys()];
          void conn.sendNotification(ChunkNotificationType, { streamId: a!, text: 'a1' });
          void conn.sendNotification(ChunkNotificationType, { streamId: b!, text: 'b1' });
          void conn.sendNotification(ChunkNotificationType, { streamId: a!, text: 'a2' });
          void conn.sendNotification(ChunkNotificationType, { streamId: b!, toolCall: { id: 'call_1', name: 'read_file', arguments: '{"path":"a.ts"}' } });
          for (const done of waiting.values()) done();
        });
        return p.prompt === 'A' ? { cancelled: false, stats } : { cancelled: false, stats: { ...stats, generatedTokens: 1 } };
      });
    };
    const c = await open();
    await c.handshake();
    const [a, b] = await Promise.all([collect(c.generate({ ...request, prompt: 'A' }, new AbortController().signal)), collect(c.generate({ ...request, prompt: 'B' }, new AbortController().signal))]);
    assert.deepEqual(a, { text: 'a1a2', toolCalls: [], stats });
    assert.deepEqual(b, { text: 'b1', toolCalls: [{ id: 'call_1', name: 'read_file', arguments: '{"path":"a.ts"}' }], stats: { ...stats, generatedTokens: 1 } });
    assert.equal(finished, 2);
    assert.equal(c.inflight, 0);
  });

  it('sends the request unchanged with its stream and trace ids; aborting cancels it at the service and ends the stream quietly', async () => {
    let params: unknown;
    let cancelled = false;
    service.onConnection = (conn) => {
      conn.onRequest(HelloRequestType, () => helloResult());
      conn.onRequest(GenerateRequestType, async (p, token) => {
        params = p;
        void conn.sendNotification(ChunkNotificationType, { streamId: p.streamId, text: 'x' });
        await new Promise<void>((resolve) => token.onCancellationRequested(() => resolve()));
        cancelled = true;
        return { cancelled: true };
      });
    };
    const c = await open();
    await c.handshake();
    const ctl = new AbortController();
    const chunks: GenerationChunk[] = [];
    const traced = { ...request, stop: ['\n'], forcedPrefix: 'ab', traceId: 'a'.repeat(32) };
    for await (const chunk of c.generate(traced, ctl.signal)) {
      chunks.push(chunk);
      ctl.abort();
    }
    assert.deepEqual(chunks, [{ type: 'text', text: 'x' }]);
    await waitFor('the cancellation at the service', () => (cancelled ? true : undefined), 5000);
    const { streamId, ...sent } = params as { streamId: string };
    assert.match(streamId, /^[\da-f-]{36}$/);
    assert.deepEqual(sent, traced);
    assert.equal(finished, 0);
    assert.ok(logger.records.some((r) => r.msg === 'service request' && r['traceId'] === traced.traceId && r['method'] === 'generate'));
  });

  it("maps the service's errors to typed ones: busy, and the code in the error's data", async () => {
    service.onConnection = (conn) => {
      conn.onRequest(HelloRequestType, () => helloResult());
      conn.onRequest(GenerateRequestType, () => {
        throw new ResponseError(ServiceErrorCodes.busy, 'queue full', { code: 'busy' });
      });
      conn.onRequest(CountTokensRequestType, () => {
        throw new ResponseError(ServiceErrorCodes.invalidRequest, 'prompt too long', { code: 'prompt-too-long' });
      });
    };
    const c = await open();
    await c.handshake();
    await assert.rejects(collect(c.generate(request, new AbortController().signal)), (err: unknown) => err instanceof BusyError && err.message === 'queue full');
    await assert.rejects(c.request(CountTokensRequestType, { text: 'x' }), (err: unknown) => err instanceof BackendError && err.code === 'prompt-too-long' && err.message === 'prompt too long');
  });

  it('a lost connection fails the streams in flight with the error its owner gives, once', async () => {
    service.onConnection = (conn) => {
      conn.onRequest(HelloRequestType, () => helloResult());
      conn.onRequest(GenerateRequestType, (p) => {
        void conn.sendNotification(ChunkNotificationType, { streamId: p.streamId, text: 'x' });
        return new Promise(() => undefined);
      });
    };
    const c = await open();
    await c.handshake();
    const stream = c.generate(request, new AbortController().signal);
    assert.deepEqual((await stream.next()).value, { type: 'text', text: 'x' });
    service.sockets[0]!.destroy();
    await assert.rejects(stream.next(), (err: unknown) => err instanceof BackendError && err.message === 'lost (1 in flight)');
    await assert.rejects(c.request0(HealthRequestType), (err: unknown) => err instanceof BackendError && err.message === 'lost (1 in flight)');
    assert.equal(ends.length, 1);
    assert.equal(ends[0]!.onPurpose, false);
    assert.equal(ends[0]!.hello.pid, process.pid);
  });

  it('an idle service that closes the connection before its answer arrives counts as stopping, on purpose', async () => {
    service.onConnection = (conn) => {
      conn.onRequest(HelloRequestType, () => helloResult());
      conn.onRequest(ShutdownRequestType, () => {
        for (const s of service.sockets) s.destroy();
        return new Promise(() => undefined);
      });
    };
    const c = await open();
    await c.handshake();
    assert.equal(await c.stopIfIdle(), true);
    await waitFor('the close', () => (ends.length > 0 ? true : undefined), 5000);
    assert.equal(ends[0]!.onPurpose, true);
  });

  it('kills a service that has a stream in flight but answers neither with text nor to a health check', async function () {
    if (process.platform === 'win32') this.skip();
    const stand: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => stand.once('exit', (_code, signal) => resolve(signal)));
    try {
      service.onConnection = (conn) => {
        conn.onRequest(HelloRequestType, () => helloResult(stand.pid!));
        conn.onRequest(GenerateRequestType, () => new Promise(() => undefined));
        conn.onRequest(HealthRequestType, () => new Promise(() => undefined));
      };
      const c = await open({ stallTimeoutMs: 100, healthTimeoutMs: 150 });
      await c.handshake();
      await assert.rejects(collect(c.generate(request, new AbortController().signal)), (err: unknown) => err instanceof BackendError && err.message === 'lost (1 in flight)');
      assert.equal(await exited, 'SIGKILL');
      assert.equal(ends[0]!.unresponsive, 'it did not answer a health check within 150 ms and was stopped');
      assert.ok(logger.records.some((r) => r.level === 'error' && r.msg === 'the service stopped answering; killing it'));
    } finally {
      stand.kill('SIGKILL');
    }
  });

  it("forwards the service's log records at their level, and its model changes", async () => {
    service.onConnection = (conn) =>
      conn.onRequest(HelloRequestType, () => {
        setTimeout(() => {
          void conn.sendNotification(LogNotificationType, { record: { time: 't0', level: 'warn', msg: 'from the service', traceId: 'abc' } });
          void conn.sendNotification(ModelChangedNotificationType, { model: { ...model, name: 'next' } });
        }, 10);
        return helloResult();
      });
    const c = await open();
    await c.handshake();
    const record = await waitFor('the forwarded record', () => logger.records.find((r) => r.msg === 'from the service'), 5000);
    assert.equal(record.level, 'warn');
    assert.equal(record['process'], 'service');
    assert.equal(record['serviceTime'], 't0');
    assert.equal(record['traceId'], 'abc');
    await waitFor('the model change', () => (models.length > 0 ? true : undefined), 5000);
    assert.equal(models[0]!.name, 'next');
  });

  it('ends on purpose: streams in flight end quietly and requests fail as disposed', async () => {
    service.onConnection = (conn) => {
      conn.onRequest(HelloRequestType, () => helloResult());
      conn.onRequest(GenerateRequestType, (p) => {
        void conn.sendNotification(ChunkNotificationType, { streamId: p.streamId, text: 'x' });
        return new Promise(() => undefined);
      });
      conn.onRequest(HealthRequestType, () => new Promise(() => undefined));
    };
    const c = await open();
    await c.handshake();
    const stream = c.generate(request, new AbortController().signal);
    await stream.next();
    const health = c.request0(HealthRequestType);
    c.close();
    assert.equal((await stream.next()).done, true);
    await assert.rejects(health, (err: unknown) => err instanceof BackendError && err.code === 'disposed');
    await waitFor('the close', () => (ends.length > 0 ? true : undefined), 5000);
    assert.equal(ends[0]!.onPurpose, true);
  });
});
