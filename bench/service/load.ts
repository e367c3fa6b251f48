/**
 * Load benchmark of the service over loopback: 1,000 concurrent short completions and 100
 * concurrent streaming chats against one real service process, compared with the same kind of
 * requests sent one at a time; bad requests mixed into the load must get the right 4xx (or, for
 * a mid-stream disconnect, be cleaned up) while the service keeps serving.
 *
 *   node -r tsx/cjs bench/service/load.ts [--requests 1000] [--chats 100] [--sequential 200]
 *        [--max-tokens 8] [--chat-tokens 24] [--time-limit-s 600] [--out bench/results/service-load.json]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { machine, round } from '../common';
import { bundledModelDir, Engine, generateText } from '../../src/engine';
import { readLock } from '../../src/service/lock';

const root = path.resolve(__dirname, '..', '..');

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    chats: { type: 'string', default: '100' },
    sequential: { type: 'string', default: '200' },
    'max-tokens': { type: 'string', default: '8' },
    'chat-tokens': { type: 'string', default: '24' },
    'time-limit-s': { type: 'string', default: '600' },
    out: { type: 'string', default: path.join(root, 'bench', 'results', 'service-load.json') },
  },
});
const REQUESTS = Number(values.requests);
const CHATS = Number(values.chats);
const SEQUENTIAL = Number(values.sequential);
const MAX_TOKENS = Number(values['max-tokens']);
const CHAT_TOKENS = Number(values['chat-tokens']);
const deadline = Date.now() + Number(values['time-limit-s']) * 1000;

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

interface Reply {
  status: number;
  body: string;
  ms: number;
  firstByteMs: number;
}

function send(url: string, opts: { token?: string; body?: string; method?: string; abortAfterFirstChunk?: boolean }): Promise<Reply> {
  const started = performance.now();
  return new Promise((resolve) => {
    const remaining = Math.max(1000, deadline - Date.now());
    const req = http.request(url, { agent, method: opts.method ?? (opts.body !== undefined ? 'POST' : 'GET'), headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), 'content-type': 'application/json' } }, (res) => {
      let body = '';
      let firstByteMs = -1;
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (firstByteMs < 0) firstByteMs = performance.now() - started;
        body += c;
        if (opts.abortAfterFirstChunk && body.includes('data: ')) {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started, firstByteMs });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started, firstByteMs }));
      res.on('error', () => resolve({ status: res.statusCode ?? -1, body, ms: performance.now() - started, firstByteMs }));
    });
    req.setTimeout(remaining, () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: -1, body: String(err), ms: performance.now() - started, firstByteMs: -1 }));
    req.end(opts.body);
  });
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function latency(values: number[]): Record<string, number> {
  return { p50: round(percentile(values, 50), 1), p95: round(percentile(values, 95), 1), p99: round(percentile(values, 99), 1), max: round(Math.max(...values), 1) };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agl-bench-'));
  const rt = path.join(dir, 'rt');
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(root, 'src', 'service', 'main.ts'), '--runtime-dir', rt, '--log-dir', path.join(dir, 'log'), '--port', '0', '--idle-ms', '0', '--provider', 'cpu', '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const kill = (): void => void (child.exitCode === null && child.kill('SIGKILL'));
  process.on('exit', kill);
  try {
    let lock = readLock(path.join(rt, 'service.lock'));
    while (!lock?.http) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the service did not start');
      await new Promise((r) => setTimeout(r, 100));
      lock = readLock(path.join(rt, 'service.lock'));
    }
    const url = lock.http.url;
    const token = fs.readFileSync(lock.http.tokenFile, 'utf8').trim();
    const peakRss = (): number => {
      try {
        return Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
      } catch {
        return NaN;
      }
    };
    const rssNow = async (): Promise<number> => Number(/process_resident_memory_bytes (\d+)/.exec((await send(`${url}/metrics`, { token })).body)?.[1] ?? NaN);
    while ((await send(`${url}/health`, {})).body.includes('"loaded":false')) await new Promise((r) => setTimeout(r, 100));
    const rssIdle = await rssNow();
    const completion = (i: number): string => JSON.stringify({ model: 'autoglm-coder', prompt: `def helper_${i % 50}(value):\n    # step ${i}\n`, max_tokens: MAX_TOKENS, temperature: 0 });
    const chat = (i: number): string => JSON.stringify({ model: 'autoglm-coder', messages: [{ role: 'user', content: `Write a function that returns ${i} squared.` }], max_tokens: CHAT_TOKENS, temperature: 0, stream: true });
    // Warm-up (first-run allocations, JIT) outside every measurement.
    await Promise.all(Array.from({ length: 8 }, (_, i) => send(`${url}/v1/completions`, { token, body: completion(i) })));

    console.error(`sequential: ${SEQUENTIAL} completions one at a time`);
    const seqLat: number[] = [];
    let seqErrors = 0;
    const seqStart = performance.now();
    for (let i = 0; i < SEQUENTIAL && Date.now() < deadline; i++) {
      const r = await send(`${url}/v1/completions`, { token, body: completion(i) });
      if (r.status !== 200) seqErrors++;
      seqLat.push(r.ms);
    }
    const seqSeconds = (performance.now() - seqStart) / 1000;

    console.error(`concurrent: ${REQUESTS} completions at once, with bad requests mixed in`);
    let memPeakDuringLoad = 0;
    const sampler = setInterval(() => void rssNow().then((v) => (memPeakDuringLoad = Math.max(memPeakDuringLoad, v || 0))), 500);
    const bad: { kind: string; expected: number | 'cancelled'; got: Promise<number | string> }[] = [];
    const badRound = (): void => {
      bad.push({ kind: 'malformed JSON', expected: 400, got: send(`${url}/v1/completions`, { token, body: '{"prompt": "x",' }).then((r) => r.status) });
      bad.push({ kind: 'oversize body', expected: 413, got: send(`${url}/v1/completions`, { token, body: JSON.stringify({ prompt: 'x'.repeat(2 << 20) }) }).then((r) => r.status) });
      bad.push({ kind: 'missing token', expected: 401, got: send(`${url}/v1/completions`, { body: completion(0) }).then((r) => r.status) });
      bad.push({ kind: 'wrong token', expected: 401, got: send(`${url}/v1/completions`, { token: 'agl-wrong', body: completion(0) }).then((r) => r.status) });
      bad.push({ kind: 'unknown model', expected: 404, got: send(`${url}/v1/chat/completions`, { token, body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }) }).then((r) => r.status) });
      bad.push({ kind: 'mid-stream disconnect', expected: 'cancelled', got: send(`${url}/v1/completions`, { token, body: JSON.stringify({ prompt: 'def main():', max_tokens: 400, temperature: 0, stream: true }), abortAfterFirstChunk: true }).then((r) => (r.status === 200 ? 'cancelled' : r.status)) });
    };
    const loadStart = performance.now();
    const loads = Array.from({ length: REQUESTS }, (_, i) => {
      if (i % Math.max(1, Math.floor(REQUESTS / 5)) === Math.floor(REQUESTS / 10)) badRound();
      return send(`${url}/v1/completions`, { token, body: completion(i) });
    });
    const loadReplies = await Promise.all(loads);
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const loadErrors = loadReplies.filter((r) => r.status !== 200);

    console.error(`streaming chats: ${CHATS} at once`);
    const chatStart = performance.now();
    const chatReplies = await Promise.all(Array.from({ length: CHATS }, (_, i) => send(`${url}/v1/chat/completions`, { token, body: chat(i) })));
    const chatSeconds = (performance.now() - chatStart) / 1000;
    clearInterval(sampler);
    const chatErrors = chatReplies.filter((r) => r.status !== 200 || !r.body.endsWith('data: [DONE]\n\n') || r.body.includes('"error"'));

    console.error(`streaming chats one at a time: ${Math.min(20, CHATS)}`);
    const chatSeqLat: number[] = [];
    const chatSeqStart = performance.now();
    for (let i = 0; i < Math.min(20, CHATS); i++) chatSeqLat.push((await send(`${url}/v1/chat/completions`, { token, body: chat(i) })).ms);
    const chatSeqSeconds = (performance.now() - chatSeqStart) / 1000;

    const badResults = await Promise.all(bad.map(async (b) => ({ kind: b.kind, expected: b.expected, got: await b.got })));
    const badByKind: Record<string, { sent: number; right: number; got: Record<string, number> }> = {};
    for (const b of badResults) {
      const e = (badByKind[b.kind] ??= { sent: 0, right: 0, got: {} });
      e.sent++;
      if (b.got === b.expected) e.right++;
      e.got[String(b.got)] = (e.got[String(b.got)] ?? 0) + 1;
    }
    // Settled: every disconnected stream was cancelled, nothing is left running, and it still serves.
    let metrics = '';
    for (let i = 0; i < 50; i++) {
      metrics = (await send(`${url}/metrics`, { token })).body;
      if (/autoglm_active_requests 0\b/.test(metrics) && /autoglm_queue_depth 0\b/.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const cancelled = Number(/autoglm_generations_total\{api="completions",outcome="cancelled"\} (\d+)/.exec(metrics)?.[1] ?? 0);
    const after = await send(`${url}/v1/completions`, { token, body: completion(1) });
    const loadAverageAtEnd = os.loadavg().map((l) => round(l, 2));
    const hitRate = Number(/autoglm_prefix_cache_hit_rate ([\d.e-]+)/.exec(metrics)?.[1] ?? NaN);

    // Peer in the same run: the same completions straight into an engine in this process (the
    // service is idle meanwhile), which shows what the HTTP and process boundary cost.
    console.error('in-process engine peer: the same completions, concurrent then one at a time');
    const engine = await Engine.load({ modelDir: bundledModelDir(path.join(root, 'src', 'engine')), provider: 'cpu', maxQueue: REQUESTS + 64 });
    const promptOf = (i: number): string => (JSON.parse(completion(i)) as { prompt: string }).prompt;
    await Promise.all(Array.from({ length: 8 }, (_, i) => generateText(engine, { prompt: promptOf(i), maxTokens: MAX_TOKENS, priority: 'interactive' })));
    const engStart = performance.now();
    const engLat = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const t = performance.now();
        await generateText(engine, { prompt: promptOf(i), maxTokens: MAX_TOKENS, priority: 'interactive' });
        return performance.now() - t;
      }),
    );
    const engSeconds = (performance.now() - engStart) / 1000;
    const engSeqStart = performance.now();
    let engSeqCount = 0;
    for (let i = 0; i < SEQUENTIAL && Date.now() < deadline; i++, engSeqCount++) await generateText(engine, { prompt: promptOf(i), maxTokens: MAX_TOKENS, priority: 'interactive' });
    const engSeqSeconds = (performance.now() - engSeqStart) / 1000;
    await engine.dispose();

    const result = {
      benchmark: 'service-load',
      date: new Date().toISOString(),
      machine: { ...machine(), loadAverageAtEnd: undefined as unknown },
      model: 'autoglm-coder (bundled, auto variant, cpu)',
      note: 'Client and service share the same machine (and its cores) over loopback HTTP; the service runs from source (tsx).',
      completions: {
        requests: REQUESTS,
        maxTokens: MAX_TOKENS,
        concurrent: {
          errors: loadErrors.length,
          errorStatuses: [...new Set(loadErrors.map((r) => r.status))],
          errorSamples: [...new Set(loadErrors.map((r) => `${r.status} after ${Math.round(r.ms)} ms: ${r.body.slice(0, 160)}`))].slice(0, 5),
          latencyMs: latency(loadReplies.map((r) => r.ms)),
          seconds: round(loadSeconds, 2),
          requestsPerSecond: round(REQUESTS / loadSeconds, 1),
        },
        oneAtATime: {
          requests: seqLat.length,
          errors: seqErrors,
          latencyMs: latency(seqLat),
          requestsPerSecond: round(seqLat.length / seqSeconds, 1),
        },
        throughputRatio: round(REQUESTS / loadSeconds / (seqLat.length / seqSeconds), 2),
        inProcessEnginePeer: {
          concurrent: { latencyMs: latency(engLat), requestsPerSecond: round(REQUESTS / engSeconds, 1) },
          oneAtATime: { requests: engSeqCount, requestsPerSecond: round(engSeqCount / engSeqSeconds, 1) },
          serviceOverConcurrentEngine: round(REQUESTS / loadSeconds / (REQUESTS / engSeconds), 2),
        },
      },
      streamingChats: {
        requests: CHATS,
        maxTokens: CHAT_TOKENS,
        concurrent: {
          errors: chatErrors.length,
          latencyMs: latency(chatReplies.map((r) => r.ms)),
          firstByteMs: latency(chatReplies.map((r) => r.firstByteMs)),
          seconds: round(chatSeconds, 2),
          chatsPerSecond: round(CHATS / chatSeconds, 2),
        },
        oneAtATime: { requests: chatSeqLat.length, latencyMs: latency(chatSeqLat), chatsPerSecond: round(chatSeqLat.length / chatSeqSeconds, 2) },
        throughputRatio: round(CHATS / chatSeconds / (chatSeqLat.length / chatSeqSeconds), 2),
      },
      badRequestsDuringLoad: badByKind,
      cancelledGenerationsCounted: cancelled,
      servingAfterLoad: after.status === 200,
      prefixCacheHitRate: round(hitRate, 3),
      residentMemoryMiB: { idleAfterLoad: round(rssIdle / 2 ** 20, 1), peakSampledDuringLoad: round(memPeakDuringLoad / 2 ** 20, 1), peakVmHWM: round(peakRss() / 2 ** 20, 1) },
    };
    result.machine.loadAverageAtEnd = loadAverageAtEnd;
    fs.mkdirSync(path.dirname(values.out!), { recursive: true });
    fs.writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    kill();
    agent.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
