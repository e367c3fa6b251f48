/**
 * The remote OpenAI-compatible backend against the project's own service on loopback (a real
 * process), and against small scripted servers for the failures: refused connection, retries,
 * timeouts, a stream that stops or dies half-way.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collect, type GenerationChunk } from '../../../src/backends/backend';
import { RemoteBackend, stopReasonOf, type RemoteBackendOptions } from '../../../src/backends/remote';
import { BackendError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import type { TokenLogprob } from '../../../src/protocol/generation';
import { startServiceProcess, waitFor, type ServiceProcess } from '../service/serviceProcess';

const never = (): AbortSignal => new AbortController().signal;
const req = { prompt: 'def add(a, b):', maxTokens: 8, temperature: 0, priority: 'interactive' as const };

function isBackendError(code: string, message?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof BackendError, `expected a BackendError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  };
}

/** A scripted server; `handler` gets the attempt number (1-based). */
async function fakeServer(handler: (req: http.IncomingMessage, res: http.ServerResponse, attempt: number) => void): Promise<{ url: string; attempts: () => number; close: () => Promise<void> }> {
  let attempts = 0;
  const server = http.createServer((rq, rs) => {
    attempts++;
    rq.resume();
    rq.on('end', () => handler(rq, rs, attempts));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    attempts: () => attempts,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const sse = (res: http.ServerResponse, text: string): void => {
  res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text, finish_reason: null }] })}\n\n`);
};

describe('remote backend', function () {
  this.timeout(60_000);
  const remote = (o: Partial<RemoteBackendOptions> & { baseUrl: string }): RemoteBackend => new RemoteBackend({ model: 'autoglm-coder', logger: new MemoryLogger('info'), retryBackoffMs: 20, ...o });

  describe("against the project's own service (real process on loopback)", () => {
    let svc: ServiceProcess;
    before(async () => {
      svc = await startServiceProcess();
    });
    after(async () => {
      await svc?.kill();
    });

    it('streams a completion equal to the server answer, with usage as stats', async () => {
      const backend = remote({ baseUrl: `${svc.url}/v1`, apiKey: svc.token });
      const got = await collect(backend.generate(req, never()));
      const direct = await fetch(`${svc.url}/v1/completions`, { method: 'POST', headers: { authorization: `Bearer ${svc.token}` }, body: JSON.stringify({ prompt: req.prompt, max_tokens: 8, temperature: 0 }) });
      assert.equal(got.text, ((await direct.json()) as { choices: { text: string }[] }).choices[0]!.text);
      assert.equal(got.stats?.generatedTokens, 8);
      assert.equal(got.stats?.stopReason, 'max-tokens');
      assert.ok(got.stats!.promptTokens > 0);
      assert.deepEqual(await backend.listModels(), ['autoglm-coder']);
      assert.deepEqual(backend.info(), { kind: 'remote', modelName: 'autoglm-coder', device: `${svc.url}/v1`, loaded: true });
    });

    it('asks for log-probabilities and reads them back from both endpoints', async () => {
      const backend = remote({ baseUrl: `${svc.url}/v1`, apiKey: svc.token });
      const records = async (stream: AsyncIterable<GenerationChunk>): Promise<TokenLogprob[]> => {
        const out: TokenLogprob[] = [];
        for await (const chunk of stream) if (chunk.type === 'text') out.push(...(chunk.logprobs ?? []));
        return out;
      };
      const completion = await records(backend.generate({ ...req, logprobs: 2 }, never()));
      assert.equal(completion.length, 8);
      assert.ok(completion.every((r) => r.logprob <= 0 && r.top.length === 2 && r.top[0]!.logprob >= r.top[1]!.logprob));
      const chat = await records(backend.chat({ messages: [{ role: 'user', content: 'hello' }], maxTokens: 4, temperature: 0, priority: 'chat', logprobs: 1 }, never()));
      assert.equal(chat.length, 4);
      assert.ok(chat.every((r) => r.top.length === 1 && r.top[0]!.token === r.token));
      assert.deepEqual(await records(backend.generate(req, never())), [], 'none unless asked for');
    });

    it('streams a chat answer', async () => {
      const backend = remote({ baseUrl: `${svc.url}/v1/`, apiKey: svc.token });
      const got = await collect(backend.chat({ messages: [{ role: 'user', content: 'hello' }], maxTokens: 5, temperature: 0, priority: 'chat' }, never()));
      assert.equal(got.stats?.generatedTokens, 5);
      assert.ok(got.text.length > 0);
    });

    it('says the key was rejected or missing (401)', async () => {
      await assert.rejects(collect(remote({ baseUrl: `${svc.url}/v1`, apiKey: 'wrong' }).generate(req, never())), isBackendError('remote-auth', /rejected the API key \(HTTP 401\): Incorrect bearer token/));
      await assert.rejects(collect(remote({ baseUrl: `${svc.url}/v1` }).generate(req, never())), isBackendError('remote-auth', /Missing bearer token/));
    });

    it('says the model or endpoint was not found (404)', async () => {
      await assert.rejects(collect(remote({ baseUrl: `${svc.url}/v1`, apiKey: svc.token, model: 'nope' }).generate(req, never())), isBackendError('remote-not-found', /model id 'nope'.*does not exist/));
    });

    it('cancellation ends the stream quietly and the server drops the generation', async () => {
      const backend = remote({ baseUrl: `${svc.url}/v1`, apiKey: svc.token });
      const ctl = new AbortController();
      const chunks: GenerationChunk[] = [];
      for await (const chunk of backend.generate({ ...req, maxTokens: 1500 }, ctl.signal)) {
        chunks.push(chunk);
        ctl.abort();
      }
      assert.equal(chunks.length, 1);
      await waitFor('the cancelled generation', async () => {
        const m = await (await fetch(`${svc.url}/metrics`, { headers: { authorization: `Bearer ${svc.token}` } })).text();
        return /outcome="cancelled"\} [1-9]/.test(m) && /autoglm_active_requests 0/.test(m) ? true : undefined;
      }, 10_000, 100);
    });

    it('fails clearly when the server dies mid-stream (kill -9), then when it is gone', async () => {
      const backend = remote({ baseUrl: `${svc.url}/v1`, apiKey: svc.token, maxRetries: 1 });
      const chunks: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const chunk of backend.generate({ ...req, maxTokens: 1500 }, never())) {
            if (chunk.type === 'text') chunks.push(chunk.text);
            if (chunks.length === 3) svc.child.kill('SIGKILL');
          }
        })(),
        isBackendError('remote-stream-ended', /in the middle of the answer|before the end of the answer/),
      );
      assert.ok(chunks.length >= 3);
      await assert.rejects(collect(backend.generate(req, never())), isBackendError('remote-unreachable', /Cannot reach .*ECONNREFUSED/));
    });
  });

  describe('against scripted servers', () => {
    const servers: { close: () => Promise<void> }[] = [];
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()));
    });
    const serve = async (h: Parameters<typeof fakeServer>[0]): ReturnType<typeof fakeServer> => {
      const s = await fakeServer(h);
      servers.push(s);
      return s;
    };

    it('retries 503 before the first byte with backoff, then streams', async () => {
      const s = await serve((_rq, rs, n) => {
        if (n < 3) {
          rs.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"loading"}}');
          return;
        }
        rs.writeHead(200, { 'content-type': 'text/event-stream' });
        sse(rs, 'ok');
        rs.end('data: [DONE]\n\n');
      });
      const got = await collect(remote({ baseUrl: s.url }).generate(req, never()));
      assert.equal(got.text, 'ok');
      assert.equal(s.attempts(), 3);
    });

    it('asks again without log-probabilities when a server refuses them, and stops asking', async () => {
      const bodies: Record<string, unknown>[] = [];
      const server = http.createServer((rq, rs) => {
        let raw = '';
        rq.on('data', (c: Buffer) => (raw += c.toString()));
        rq.on('end', () => {
          const body = JSON.parse(raw) as Record<string, unknown>;
          bodies.push(body);
          if (body['logprobs'] !== undefined) {
            rs.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'logprobs is not supported' } }));
            return;
          }
          rs.writeHead(200, { 'content-type': 'text/event-stream' });
          sse(rs, 'ok');
          rs.end('data: [DONE]\n\n');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const backend = remote({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` });
        assert.equal((await collect(backend.generate({ ...req, logprobs: 2 }, never()))).text, 'ok');
        assert.equal((await collect(backend.generate({ ...req, logprobs: 2 }, never()))).text, 'ok');
        assert.deepEqual(bodies.map((b) => b['logprobs']), [2, undefined, undefined], 'asked once, then never again');
      } finally {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
    });

    it('reads log-probabilities in the chat shape and leaves out malformed entries', async () => {
      const s = await fakeServer((_rq, rs) => {
        rs.writeHead(200, { 'content-type': 'text/event-stream' });
        const content = [{ token: 'a', logprob: -0.5, top_logprobs: [{ token: 'a', logprob: -0.5 }, { token: 'b', logprob: 'x' }] }, { token: 7, logprob: -1 }];
        rs.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'a' }, logprobs: { content }, finish_reason: null }] })}\n\n`);
        rs.end('data: [DONE]\n\n');
      });
      try {
        const chunks: GenerationChunk[] = [];
        for await (const c of remote({ baseUrl: s.url }).chat({ messages: [{ role: 'user', content: 'x' }], maxTokens: 2, priority: 'chat', logprobs: 2 }, never())) chunks.push(c);
        assert.deepEqual(chunks[0], { type: 'text', text: 'a', logprobs: [{ token: 'a', logprob: -0.5, top: [{ token: 'a', logprob: -0.5 }] }] });
      } finally {
        await s.close();
      }
    });

    it('does not retry a 500 or a 400, and reports the server message', async () => {
      const s = await serve((_rq, rs) => rs.writeHead(500).end('{"error":{"message":"out of memory"}}'));
      await assert.rejects(collect(remote({ baseUrl: s.url }).generate(req, never())), isBackendError('remote-server', /HTTP 500\): out of memory/));
      assert.equal(s.attempts(), 1);
      const t = await serve((_rq, rs) => rs.writeHead(400).end('{"error":{"message":"bad stop"}}'));
      await assert.rejects(collect(remote({ baseUrl: t.url }).generate(req, never())), isBackendError('remote-request', /bad stop/));
      assert.equal(t.attempts(), 1);
    });

    it('gives up on a server that answers 503 every time', async () => {
      const s = await serve((_rq, rs) => rs.writeHead(503).end());
      await assert.rejects(collect(remote({ baseUrl: s.url, maxRetries: 2 }).generate(req, never())), isBackendError('remote-server', /HTTP 503/));
      assert.equal(s.attempts(), 3);
    });

    it('times out a server that never answers', async () => {
      const s = await serve(() => undefined);
      const started = Date.now();
      await assert.rejects(collect(remote({ baseUrl: s.url, connectTimeoutMs: 300 }).generate(req, never())), isBackendError('remote-timeout', /no answer within 300 ms/));
      assert.ok(Date.now() - started < 3000);
      assert.equal(s.attempts(), 1);
    });

    it('times out a stream that goes silent, without retrying (text was already shown)', async () => {
      const s = await serve((_rq, rs) => {
        rs.writeHead(200, { 'content-type': 'text/event-stream' });
        sse(rs, 'partial');
      });
      const chunks: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const c of remote({ baseUrl: s.url, idleTimeoutMs: 300 }).generate(req, never())) if (c.type === 'text') chunks.push(c.text);
        })(),
        isBackendError('remote-timeout', /no data for 300 ms in the middle of the answer \(7 characters received\)/),
      );
      assert.deepEqual(chunks, ['partial']);
      assert.equal(s.attempts(), 1);
    });

    it('reports a stream closed before [DONE] and an error event inside the stream', async () => {
      const s = await serve((_rq, rs) => {
        rs.writeHead(200, { 'content-type': 'text/event-stream' });
        sse(rs, 'abc');
        rs.end();
      });
      await assert.rejects(collect(remote({ baseUrl: s.url }).generate(req, never())), isBackendError('remote-stream-ended', /before the end of the answer \(3 characters received\)/));
      const t = await serve((_rq, rs) => {
        rs.writeHead(200, { 'content-type': 'text/event-stream' });
        rs.end(`data: ${JSON.stringify({ error: { message: 'engine crashed' } })}\n\n`);
      });
      await assert.rejects(collect(remote({ baseUrl: t.url }).generate(req, never())), isBackendError('remote-stream-error', /engine crashed/));
    });

    it('parses SSE split across reads, CRLF framing and comment lines; sends the key and the request fields', async () => {
      let seen: { auth: string | undefined; body: Record<string, unknown> } | undefined;
      const server = http.createServer((rq, rs) => {
        let body = '';
        rq.on('data', (b: Buffer) => (body += b.toString()));
        rq.on('end', () => {
          seen = { auth: rq.headers.authorization, body: JSON.parse(body) as Record<string, unknown> };
          rs.writeHead(200, { 'content-type': 'text/event-stream' });
          const payload = `: keep-alive\r\n\r\ndata: ${JSON.stringify({ choices: [{ delta: { content: 'Hel' } }] })}\r\n\r\ndata: ${JSON.stringify({ choices: [{ delta: { content: 'lo' }, finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 2 } })}\r\n\r\ndata: [DONE]\r\n\r\n`;
          const mid = Math.floor(payload.length / 2);
          rs.write(payload.slice(0, mid));
          setTimeout(() => rs.end(payload.slice(mid)), 20);
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      servers.push({ close: () => new Promise<void>((r) => server.close(() => r())) });
      const backend = remote({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'sk-test', model: 'm' });
      const got = await collect(backend.chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 7, temperature: 0.5, topP: 0.9, seed: 3, stop: ['\n'], priority: 'chat' }, never()));
      assert.equal(got.text, 'Hello');
      assert.equal(got.stats?.promptTokens, 9);
      assert.equal(got.stats?.generatedTokens, 2);
      assert.equal(got.stats?.stopReason, 'stop-token');
      assert.equal(seen?.auth, 'Bearer sk-test');
      assert.deepEqual(
        { model: seen?.body['model'], max_tokens: seen?.body['max_tokens'], temperature: seen?.body['temperature'], top_p: seen?.body['top_p'], seed: seen?.body['seed'], stop: seen?.body['stop'], stream: seen?.body['stream'] },
        { model: 'm', max_tokens: 7, temperature: 0.5, top_p: 0.9, seed: 3, stop: ['\n'], stream: true },
      );
    });
  });

  describe('the contract', () => {
    it("maps OpenAI's finish_reason to the contract's stop reasons, never to 'stop'", () => {
      assert.deepEqual(
        ['length', 'stop', 'content_filter', 'tool_calls', null, 'stop-sequence', 'context-full'].map(stopReasonOf),
        ['max-tokens', 'stop-token', 'stop-token', 'tool-calls', 'stop-token', 'stop-sequence', 'context-full'],
      );
    });

    it('counts tokens with the one estimate and has no exact count at hand', async () => {
      const backend = remote({ baseUrl: 'http://127.0.0.1:9/v1' });
      assert.equal(await backend.countTokens('x'.repeat(30)), 10);
      assert.equal(backend.countTokensNow('x'.repeat(30)), undefined);
    });
  });
});
