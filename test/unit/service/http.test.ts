/** The OpenAI-compatible HTTP API of a real service process on loopback, with the bundled model. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { startServiceProcess, waitFor, type ServiceProcess } from './serviceProcess';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(url: string, options: { method?: string; token?: string; body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? (options.body !== undefined ? 'POST' : 'GET'), headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Splits an SSE body into its data payloads, checking the framing on the way. */
function sseEvents(body: string): string[] {
  assert.ok(body.endsWith('\n\n'), 'every event ends with a blank line');
  return body
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => {
      assert.match(e, /^data: /, `event '${e.slice(0, 40)}' is a data line`);
      return e.slice('data: '.length);
    });
}

describe('service HTTP API (real process, bundled model)', function () {
  this.timeout(90_000);
  let svc: ServiceProcess;
  const post = (route: string, body: unknown, token = svc.token): Promise<Reply> => request(`${svc.url}${route}`, { token, body: JSON.stringify(body) });

  before(async () => {
    svc = await startServiceProcess(['--max-body-bytes', '65536']);
    await waitFor('the model', async () => ((await request(`${svc.url}/health`)).body.includes('"loaded":true') ? true : undefined));
  });

  after(async () => {
    await svc?.kill();
  });

  it('binds to 127.0.0.1 and answers /health without a token', async () => {
    assert.match(svc.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await request(`${svc.url}/health`);
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok', model: 'autoglm-coder', loaded: true });
  });

  it('requires the bearer token: missing and wrong get 401 in the OpenAI error shape, right gets the models', async () => {
    const missing = await request(`${svc.url}/v1/models`);
    assert.equal(missing.status, 401);
    assert.equal(JSON.parse(missing.body).error.code, 'missing_api_key');
    assert.equal(JSON.parse(missing.body).error.type, 'invalid_request_error');
    const wrong = await request(`${svc.url}/v1/models`, { token: `${svc.token.slice(0, -1)}x` });
    assert.equal(wrong.status, 401);
    assert.equal(JSON.parse(wrong.body).error.code, 'invalid_api_key');
    const short = await request(`${svc.url}/v1/completions`, { token: 'x', body: '{}' });
    assert.equal(short.status, 401);
    const right = await request(`${svc.url}/v1/models`, { token: svc.token });
    assert.equal(right.status, 200);
    const list = JSON.parse(right.body);
    assert.equal(list.object, 'list');
    assert.deepEqual(list.data.map((m: { id: string }) => m.id), ['autoglm-coder']);
    assert.equal((await request(`${svc.url}/metrics`)).status, 401);
  });

  it('refuses a DNS-rebinding Host before the token, even on /health', async () => {
    for (const route of ['/health', '/metrics', '/v1/models']) {
      const r = await request(`${svc.url}${route}`, { token: svc.token, headers: { host: 'evil.example' } });
      assert.equal(r.status, 421, route);
      assert.equal(JSON.parse(r.body).error.code, 'invalid_host');
    }
    const port = new URL(svc.url).port;
    assert.equal((await request(`${svc.url}/health`, { headers: { host: `127.0.0.1:${port}` } })).status, 200);
  });

  it('keeps the token, lock and runtime folder private to the user', () => {
    if (process.platform === 'win32') return;
    assert.equal(fs.statSync(svc.runtimeDir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(svc.tokenFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.join(svc.runtimeDir, 'service.lock')).mode & 0o777, 0o600);
    assert.equal(path.dirname(svc.tokenFile), svc.runtimeDir);
  });

  it('streams a completion as SSE ending with data: [DONE], with the same text as the plain answer', async () => {
    const body = { model: 'autoglm-coder', prompt: 'def add(a, b):', max_tokens: 10, temperature: 0 };
    const plain = await post('/v1/completions', body);
    assert.equal(plain.status, 200);
    const whole = JSON.parse(plain.body);
    assert.equal(whole.object, 'text_completion');
    assert.equal(whole.usage.completion_tokens, 10);
    assert.equal(whole.choices[0].finish_reason, 'length');
    const streamed = await post('/v1/completions', { ...body, stream: true });
    assert.equal(streamed.status, 200);
    assert.match(String(streamed.headers['content-type']), /^text\/event-stream/);
    const events = sseEvents(streamed.body);
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.ok(chunks.length >= 2);
    assert.ok(chunks.every((c) => c.object === 'text_completion' && c.id === chunks[0].id && c.model === 'autoglm-coder'));
    assert.equal(chunks.map((c) => c.choices[0].text).join(''), whole.choices[0].text);
    assert.deepEqual(chunks.map((c) => c.choices[0].finish_reason).filter((f) => f !== null), ['length']);
  });

  it('reports log-probabilities in both OpenAI shapes, plain and streamed', async () => {
    const body = { prompt: 'def add(a, b):', max_tokens: 6, temperature: 0, logprobs: 2 };
    const whole = JSON.parse((await post('/v1/completions', body)).body);
    const lp = whole.choices[0].logprobs;
    assert.equal(lp.tokens.length, whole.usage.completion_tokens);
    assert.equal(lp.token_logprobs.length, lp.tokens.length);
    assert.ok(lp.token_logprobs.every((v: number) => v <= 0));
    assert.ok(lp.top_logprobs.every((t: Record<string, number>) => Object.keys(t).length === 2));
    assert.equal(lp.text_offset[0], 0);
    assert.deepEqual(lp.top_logprobs.map((t: Record<string, number>, i: number) => Math.max(...Object.values(t)) === lp.token_logprobs[i]), lp.tokens.map(() => true), 'greedy took the likeliest token');
    const streamed = sseEvents((await post('/v1/completions', { ...body, stream: true })).body).slice(0, -1).map((e) => JSON.parse(e));
    assert.deepEqual(streamed.flatMap((c) => c.choices[0].logprobs?.tokens ?? []), lp.tokens);

    const chat = { messages: [{ role: 'user', content: 'Say hi.' }], max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 3 };
    const answer = JSON.parse((await post('/v1/chat/completions', chat)).body);
    const content = answer.choices[0].logprobs.content;
    assert.equal(content.length, answer.usage.completion_tokens);
    assert.ok(content.every((c: { token: string; logprob: number; bytes: number[]; top_logprobs: unknown[] }) => typeof c.token === 'string' && c.logprob <= 0 && Array.isArray(c.bytes) && c.top_logprobs.length === 3));
    const chunks = sseEvents((await post('/v1/chat/completions', { ...chat, stream: true })).body).slice(0, -1).map((e) => JSON.parse(e));
    assert.deepEqual(chunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []).map((c: { token: string }) => c.token), content.map((c: { token: string }) => c.token));
    const none = JSON.parse((await post('/v1/chat/completions', { ...chat, logprobs: undefined, top_logprobs: undefined })).body);
    assert.equal(none.choices[0].logprobs, null);
  });

  it('refuses malformed log-probability fields with a 400 naming the field', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/v1/completions', { prompt: 'x', logprobs: 21 }, 'logprobs'],
      ['/v1/completions', { prompt: 'x', logprobs: 'yes' }, 'logprobs'],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], top_logprobs: 2 }, 'top_logprobs'],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], logprobs: 1 }, 'logprobs'],
    ];
    for (const [route, body, param] of cases) {
      const r = await post(route, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(JSON.parse(r.body).error.param, param);
    }
  });

  it('builds a fill-in-the-middle prompt from prompt and suffix', async () => {
    const plain = JSON.parse((await post('/v1/completions', { prompt: 'def add(a, b):\n    ', max_tokens: 4, temperature: 0 })).body);
    const fim = JSON.parse((await post('/v1/completions', { prompt: 'def add(a, b):\n    ', suffix: '\n\nprint(add(1, 2))\n', max_tokens: 4, temperature: 0 })).body);
    // Three FIM special tokens plus the suffix's tokens.
    assert.ok(fim.usage.prompt_tokens >= plain.usage.prompt_tokens + 3 + 4, `${fim.usage.prompt_tokens} vs ${plain.usage.prompt_tokens}`);
  });

  it("lays out the fill-in-the-middle prompt in the loaded model's format (suffix first for the bundled model)", async () => {
    const prefix = 'def add(a, b):\n    ';
    const suffix = '\n\nprint(add(1, 2))\n';
    const fim = JSON.parse((await post('/v1/completions', { prompt: prefix, suffix, max_tokens: 6, temperature: 0 })).body);
    const spm = JSON.parse((await post('/v1/completions', { prompt: `<|fim_suffix|>${suffix}<|fim_prefix|>${prefix}<|fim_middle|>`, max_tokens: 6, temperature: 0 })).body);
    assert.equal(fim.usage.prompt_tokens, spm.usage.prompt_tokens);
    assert.equal(fim.choices[0].text, spm.choices[0].text);
  });

  it('streams a chat answer: role first, content deltas, finish reason, usage on request, [DONE]', async () => {
    const r = await post('/v1/chat/completions', { model: 'autoglm-coder', messages: [{ role: 'user', content: 'Write a Python hello world.' }], max_tokens: 6, temperature: 0, stream: true, stream_options: { include_usage: true } });
    assert.equal(r.status, 200);
    const events = sseEvents(r.body);
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk'));
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '' });
    const usage = chunks.at(-1);
    assert.deepEqual(usage.choices, []);
    assert.equal(usage.usage.completion_tokens, 6);
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'length');
    const plain = JSON.parse((await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'Write a Python hello world.' }], max_tokens: 6, temperature: 0 })).body);
    assert.equal(plain.object, 'chat.completion');
    assert.equal(plain.choices[0].message.role, 'assistant');
    assert.equal(plain.choices[0].message.content, chunks.slice(1, -2).map((c) => c.choices[0].delta.content).join(''));
  });

  it('applies stop sequences and repeats a sampled answer with the same seed', async () => {
    const free = JSON.parse((await post('/v1/completions', { prompt: 'def add(a, b):', max_tokens: 12, temperature: 0 })).body).choices[0].text as string;
    const piece = free.trim().split(/\s+/)[1] ?? free.trim().slice(2, 4);
    const stopped = JSON.parse((await post('/v1/completions', { prompt: 'def add(a, b):', max_tokens: 12, temperature: 0, stop: [piece] })).body);
    assert.equal(stopped.choices[0].finish_reason, 'stop');
    assert.ok(!stopped.choices[0].text.includes(piece));
    assert.equal(stopped.choices[0].text, free.slice(0, free.indexOf(piece)));
    const sampled = { prompt: 'import', max_tokens: 12, temperature: 1, top_p: 0.9, seed: 7 };
    const a = JSON.parse((await post('/v1/completions', sampled)).body).choices[0].text;
    const b = JSON.parse((await post('/v1/completions', sampled)).body).choices[0].text;
    assert.equal(a, b);
  });

  it('answers malformed JSON, bad fields, oversize bodies, unknown models, routes and methods with the right 4xx', async () => {
    const bad = await request(`${svc.url}/v1/chat/completions`, { token: svc.token, body: '{"messages": [' });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).error.code, 'invalid_json');
    const field = await post('/v1/completions', { prompt: 'x', max_tokens: -3 });
    assert.equal(field.status, 400);
    assert.equal(JSON.parse(field.body).error.param, 'max_tokens');
    const noMessages = await post('/v1/chat/completions', { messages: [] });
    assert.equal(JSON.parse(noMessages.body).error.param, 'messages');
    const big = await request(`${svc.url}/v1/completions`, { token: svc.token, body: JSON.stringify({ prompt: 'x'.repeat(100_000) }) });
    assert.equal(big.status, 413);
    assert.equal(JSON.parse(big.body).error.code, 'request_too_large');
    const unknown = await post('/v1/completions', { model: 'gpt-4', prompt: 'x' });
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.body).error.code, 'model_not_found');
    assert.equal((await request(`${svc.url}/v1/nothing`, { token: svc.token })).status, 404);
    assert.equal((await request(`${svc.url}/v1/completions`, { token: svc.token })).status, 405);
    // Still serving after all of that.
    assert.equal((await post('/v1/completions', { prompt: 'x', max_tokens: 1 })).status, 200);
  });

  it('cancels the generation when the client disconnects mid-stream', async () => {
    const metric = async (): Promise<string> => (await request(`${svc.url}/metrics`, { token: svc.token })).body;
    const cancelledBefore = Number(/autoglm_generations_total\{api="completions",outcome="cancelled"\} (\d+)/.exec(await metric())?.[1] ?? 0);
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${svc.url}/v1/completions`, { method: 'POST', headers: { authorization: `Bearer ${svc.token}`, 'content-type': 'application/json' } }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
      req.end(JSON.stringify({ prompt: 'def main():', max_tokens: 1500, temperature: 0, stream: true }));
    });
    const text = await waitFor('the cancelled generation in the metrics', async () => {
      const m = await metric();
      const n = Number(/autoglm_generations_total\{api="completions",outcome="cancelled"\} (\d+)/.exec(m)?.[1] ?? 0);
      return n > cancelledBefore ? m : undefined;
    }, 10_000, 100);
    assert.match(text, /autoglm_active_requests 0/);
  });

  it('exposes Prometheus metrics: requests, tokens, latency histograms, queue depth, prefix-cache hit rate', async () => {
    const r = await request(`${svc.url}/metrics`, { token: svc.token });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    for (const name of ['autoglm_http_requests_total{', 'autoglm_tokens_total{kind="generated"}', 'autoglm_request_duration_seconds_bucket{api="completions",le="+Inf"}', 'autoglm_time_to_first_token_seconds_count', 'autoglm_queue_depth 0', 'autoglm_prefix_cache_hit_rate ', 'autoglm_model_loads_total 1', 'process_resident_memory_bytes ']) {
      assert.ok(r.body.includes(name), `metrics include ${name}`);
    }
    const hit = Number(/autoglm_prefix_cache_hit_rate ([\d.e-]+)/.exec(r.body)![1]);
    assert.ok(hit > 0 && hit < 1, `repeated prompts hit the prefix cache (${hit})`);
  });

  it('logs one JSON line per request with trace and span ids, and no prompt text', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await request(`${svc.url}/v1/completions`, { token: svc.token, body: JSON.stringify({ prompt: 'SECRET_PROMPT_TEXT', max_tokens: 2 }), headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    assert.equal(r.headers['x-request-id'], traceId);
    const lines = await waitFor('the log line', () => {
      const text = fs.readFileSync(path.join(svc.logDir, 'service.log'), 'utf8');
      return text.includes(traceId) ? text : undefined;
    }, 5000);
    const records = lines.trim().split('\n').map((l) => JSON.parse(l));
    const mine = records.find((rec) => rec.traceId === traceId && rec.msg === 'http request');
    assert.ok(mine);
    assert.match(mine.spanId, /^[\da-f]{16}$/);
    assert.equal(mine.status, 200);
    assert.ok(!lines.includes('SECRET_PROMPT_TEXT'));
  });
});
