/**
 * The HTTP API against hostile requests, in process with a stub engine host: malformed request
 * targets are the client's error (400), and only loopback Host names are answered (DNS rebinding).
 */
import * as assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { silentLogger } from '../../../src/common/logger';
import type { EngineHost } from '../../../src/service/engineHost';
import { startHttpApi, type HttpApi } from '../../../src/service/http';
import { ServiceMetrics } from '../../../src/service/metrics';

const TOKEN = 'test-token-0123456789';

const stubHost = { modelInfo: () => ({ name: 'stub-model', modelDir: '/nowhere', loaded: true }) } as unknown as EngineHost;

const gauges = (): ReturnType<Parameters<typeof startHttpApi>[1]['gauges']> => ({
  queueDepth: 0,
  activeRequests: 0,
  prefixCacheHitRate: 0,
  prefixCacheBytes: 0,
  connectedClients: 0,
  modelLoads: 0,
  residentMemoryBytes: 0,
});

interface RawReply {
  status: number;
  head: string;
  body: string;
}

/** Sends `text` as is on a new connection and reads the whole answer (the request asks to close). */
function raw(port: number, text: string): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (b: Buffer) => parts.push(b));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(parts).toString('utf8');
      const split = all.indexOf('\r\n\r\n');
      const head = split < 0 ? all : all.slice(0, split);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: split < 0 ? '' : all.slice(split + 4) });
    });
    socket.end(text);
  });
}

/** A GET with the given target and Host header (none when `host` is undefined). */
function get(port: number, target: string, host: string | undefined, token?: string): Promise<RawReply> {
  const lines = [`GET ${target} HTTP/1.1`, ...(host !== undefined ? [`Host: ${host}`] : []), ...(token ? [`Authorization: Bearer ${token}`] : []), 'Connection: close', '', ''];
  return raw(port, lines.join('\r\n'));
}

function errorOf(reply: RawReply): { message: string; type: string; code: string | null; param: string | null } {
  const parsed = JSON.parse(reply.body) as { error: { message: string; type: string; code: string | null; param: string | null } };
  assert.equal(typeof parsed.error.message, 'string');
  return parsed.error;
}

describe('HTTP API: client errors and the Host check', function () {
  this.timeout(30_000);
  let api: HttpApi;
  let port: number;

  before(async () => {
    api = await startHttpApi({ port: 0, token: TOKEN }, { host: stubHost, metrics: new ServiceMetrics(), logger: silentLogger, gauges, onActivity: () => undefined });
    port = (api.server.address() as AddressInfo).port;
  });

  after(async () => {
    await api?.close();
  });

  it('answers a model id with a broken percent escape with 400 in the OpenAI error shape', async () => {
    const r = await get(port, '/v1/models/%E0%A4%A', `127.0.0.1:${port}`, TOKEN);
    assert.equal(r.status, 400);
    const e = errorOf(r);
    assert.equal(e.type, 'invalid_request_error');
    assert.equal(e.code, 'invalid_url');
  });

  for (const target of ['http://[::1', '//x:99999/', 'http://127.0.0.1:99999/health', '/v1/models/%ZZ']) {
    it(`answers the malformed request target '${target}' with 400, not 500`, async () => {
      const r = await get(port, target, `127.0.0.1:${port}`, TOKEN);
      assert.equal(r.status, 400, r.head);
      assert.equal(errorOf(r).code, 'invalid_url');
    });
  }

  for (const name of ['evil.example', 'evil.example:PORT', '127.0.0.1.nip.io', '127.0.0.1:OTHER', 'localhost.', '10.0.0.1', '']) {
    it(`refuses Host '${name}' with 421 before the token, on /health, /metrics and the API`, async () => {
      const host = name.replace('PORT', String(port)).replace('OTHER', String(port + 1));
      for (const route of ['/health', '/metrics', '/v1/models']) {
        const r = await get(port, route, host, TOKEN);
        assert.equal(r.status, 421, `${route}: ${r.head}`);
        const e = errorOf(r);
        assert.equal(e.code, 'invalid_host');
        assert.match(e.message, /Host/);
      }
      const noToken = await get(port, '/v1/models', host);
      assert.equal(noToken.status, 421, 'the Host check comes before auth');
    });
  }

  it('refuses a request without a Host header', async () => {
    const r = await raw(port, 'GET /health HTTP/1.0\r\n\r\n');
    assert.equal(r.status, 421, r.head);
  });

  it('refuses an absolute target naming another host even with a loopback Host header', async () => {
    for (const target of ['http://evil.example/health', '//evil.example/health', `http://127.0.0.1:${port}@evil.example/health`]) {
      const r = await get(port, target, `127.0.0.1:${port}`);
      assert.equal(r.status, 421, `${target}: ${r.head}`);
    }
  });

  for (const name of ['127.0.0.1', '127.0.0.1:PORT', 'localhost', 'LOCALHOST:PORT', '[::1]', '[::1]:PORT']) {
    it(`answers Host '${name}'`, async () => {
      const host = name.replace('PORT', String(port));
      const r = await get(port, '/health', host);
      assert.equal(r.status, 200, r.head);
      assert.deepEqual(JSON.parse(r.body), { status: 'ok', model: 'stub-model', loaded: true });
      const models = await get(port, '/v1/models/stub-model', host, TOKEN);
      assert.equal(models.status, 200, models.head);
      assert.equal(JSON.parse(models.body).id, 'stub-model');
    });
  }

  it('still asks a loopback request for its token', async () => {
    const r = await get(port, '/v1/models', `127.0.0.1:${port}`);
    assert.equal(r.status, 401);
    assert.equal(errorOf(r).code, 'missing_api_key');
  });
});
