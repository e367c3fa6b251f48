/**
 * The service-client backend against real service processes started from source: sharing one
 * service between two editor clients, cancellation, version handshake, model switch, kill -9
 * recovery, giving up after repeated crashes, idle shutdown, and one trace id in both processes.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { ResponseError, SocketMessageReader, SocketMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';
import { collect, type GenerationChunk } from '../../../src/backends/backend';
import { LocalEngineBackend } from '../../../src/backends/localEngine';
import { ServiceClientBackend, type ServiceClientOptions } from '../../../src/backends/serviceBackend';
import { BackendError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import { HelloRequestType, SERVICE_PROTOCOL_VERSION, ServiceErrorCodes, StatsRequestType } from '../../../src/protocol/service';
import type { TokenLogprob } from '../../../src/protocol/generation';
import { readLock, processAlive } from '../../../src/service/lock';
import { killPid, modelDir, repoRoot, serviceArgs, tempDir, waitFor } from '../service/serviceProcess';

const request = { prompt: 'def add(a, b):', maxTokens: 8, temperature: 0, priority: 'interactive' as const };

/** The chunks of `stream`, also pushed to `into` as they pass. */
async function* tap(stream: AsyncIterable<GenerationChunk>, into: GenerationChunk[]): AsyncGenerator<GenerationChunk> {
  for await (const chunk of stream) {
    into.push(chunk);
    yield chunk;
  }
}

describe('service client backend (real service processes)', function () {
  this.timeout(120_000);
  const clients: ServiceClientBackend[] = [];
  const pids = new Set<number>();

  function client(dir: string, extra: Partial<ServiceClientOptions> = {}): ServiceClientBackend {
    const c = new ServiceClientBackend({
      nodePath: process.execPath,
      serviceArgs,
      cwd: repoRoot,
      model: { modelDir, variant: 'auto', provider: 'cpu', threads: 0 },
      runtimeDir: path.join(dir, 'rt'),
      logDir: path.join(dir, 'log'),
      idleShutdownMs: 0,
      logger: new MemoryLogger('info'),
      restartBackoffMs: [50],
      ...extra,
    });
    clients.push(c);
    return c;
  }

  const remember = (c: ServiceClientBackend): number => {
    const pid = c.servicePid!;
    pids.add(pid);
    return pid;
  };

  afterEach(() => {
    for (const c of clients.splice(0)) c.dispose();
    for (const pid of pids) killPid(pid);
    pids.clear();
  });

  it('two clients share one service: one process, one model load, two connected windows', async () => {
    const dir = tempDir();
    const a = client(dir, { clientName: 'window A' });
    const b = client(dir, { clientName: 'window B' });
    const [ra, rb] = await Promise.all([collect(a.generate(request, new AbortController().signal)), collect(b.generate(request, new AbortController().signal))]);
    remember(a);
    remember(b);
    assert.equal(ra.text, rb.text);
    assert.ok(ra.text.length > 0);
    assert.equal(ra.stats?.generatedTokens, 8);
    assert.equal(a.servicePid, b.servicePid);
    const stats = await a.stats();
    assert.equal(stats.modelLoads, 1);
    assert.equal(stats.connectedClients, 2);
    assert.deepEqual(stats.clients.map((c) => c.name).sort(), ['window A', 'window B']);
    assert.equal(stats.requestsCompleted, 2);
    assert.equal(a.info().loaded, true);
    assert.equal(a.info().modelName, 'autoglm-coder');
    assert.equal(await a.countTokens('def add(a, b):'), await b.countTokens('def add(a, b):'));
    assert.deepEqual(await b.health(), { status: 'ok' });
    const live = await a.liveStats();
    assert.equal(live.where, `shared service, pid ${a.servicePid}`);
    assert.deepEqual([live.model, live.device, live.connectedWindows, live.modelLoads, live.queueDepth, live.activeRequests], ['autoglm-coder', 'cpu', 2, 1, 0, 0]);
    assert.ok((live.residentMemoryBytes ?? 0) > 0);
    assert.equal(live.logFile, path.join(dir, 'log', 'service.log'));
  });

  it('restart stops the shared service for every window; the next request starts a fresh one', async () => {
    const dir = tempDir();
    const a = client(dir);
    const b = client(dir);
    await a.countTokens('x');
    await b.countTokens('x');
    const first = remember(a);
    await a.restart();
    assert.equal(a.connected, false, 'restart returns once the stopped service has closed the connection');
    await waitFor('the service to stop', () => (processAlive(first) ? undefined : true), 15_000);
    await waitFor('the other window to see it gone', () => (b.connected ? undefined : true), 5000);
    assert.ok((await b.countTokens('x')) > 0);
    assert.notEqual(remember(b), first);
    assert.ok((await a.countTokens('x')) > 0);
    assert.equal(a.servicePid, b.servicePid, 'the restarting window reaches the fresh service');
  });

  it('attachIfRunning never starts a service; after a window reload it learns the loaded model and its variant from the running one', async () => {
    const dir = tempDir();
    const early = client(dir);
    await early.attachIfRunning();
    assert.equal(early.connected, false);
    assert.equal(readLock(early.paths.lockFile), undefined, 'no service was started');
    const first = client(dir);
    await collect(first.generate(request, new AbortController().signal));
    remember(first);
    const reloaded = client(dir);
    assert.equal(reloaded.info().loaded, false, 'nothing known before looking');
    await reloaded.attachIfRunning();
    assert.equal(reloaded.servicePid, first.servicePid);
    assert.equal(reloaded.info().loaded, true);
    assert.equal(reloaded.info().device, 'cpu');
    assert.match(reloaded.info().variant ?? '', /^(fp32|fp16|q4|int8)$/);
    assert.equal(reloaded.info().variant, first.info().variant);
  });

  it("counts tokens in the window with the model's own tokenizer once it has loaded: the same numbers as the service's", async () => {
    const dir = tempDir();
    const c = client(dir);
    const texts = ['def add(a, b):\n    return a + b\n', '<|fim_prefix|>x = <|fim_suffix|>\n<|fim_middle|>', 'größe = "日本語" 🎉'];
    assert.equal(c.countTokensNow(texts[0]!), undefined, 'nothing before the first connection');
    const exact = [];
    for (const text of texts) exact.push(await c.countTokens(text));
    remember(c);
    const now = await waitFor('the tokenizer in this window', () => c.countTokensNow(texts[0]!), 20_000);
    assert.equal(now, exact[0]);
    assert.deepEqual(texts.map((t) => c.countTokensNow(t)), exact);
    assert.notDeepEqual(exact, texts.map((t) => Math.ceil(t.length / 3)), 'exact counts, not the estimate');
  });

  it('carries a forced prefix and log-probabilities to the engine: the answer and its records equal those of the engine in this process', async () => {
    const dir = tempDir();
    const c = client(dir);
    const forced = { ...request, prompt: 'def add(a, b):\n    return a +', forcedPrefix: ' b', logprobs: 2 };
    const records = (chunks: GenerationChunk[]): TokenLogprob[] => chunks.flatMap((ch) => (ch.type === 'text' ? (ch.logprobs ?? []) : []));
    const serviceChunks: GenerationChunk[] = [];
    const viaService = await collect(tap(c.generate(forced, new AbortController().signal), serviceChunks));
    remember(c);
    assert.equal(c.info().forcedPrefix, true);
    const local = new LocalEngineBackend({ modelDir, variant: 'auto', provider: 'cpu', threads: 0, logger: new MemoryLogger('warn') });
    try {
      const localChunks: GenerationChunk[] = [];
      const direct = await collect(tap(local.generate(forced, new AbortController().signal), localChunks));
      assert.equal(records(serviceChunks).length, viaService.stats?.generatedTokens, 'one record per generated token crossed the RPC');
      assert.deepEqual(records(serviceChunks), records(localChunks));
      assert.ok(records(serviceChunks).every((r) => r.top.length === 2));
      assert.ok(records(serviceChunks)[0]!.token.startsWith(' b'), 'the first token carries the forced text');
      assert.equal(viaService.text, direct.text);
      assert.equal(viaService.stats?.generatedTokens, direct.stats?.generatedTokens);
      assert.ok(!viaService.text.startsWith(' b'), viaService.text);
    } finally {
      local.dispose();
    }
  });

  it('cancellation ends the stream quietly and the engine drops the request', async () => {
    const dir = tempDir();
    const c = client(dir);
    await collect(c.generate({ ...request, maxTokens: 1 }, new AbortController().signal));
    remember(c);
    const ctl = new AbortController();
    const chunks: GenerationChunk[] = [];
    for await (const chunk of c.generate({ ...request, maxTokens: 1500 }, ctl.signal)) {
      chunks.push(chunk);
      if (chunks.length === 2) ctl.abort();
    }
    assert.equal(chunks.length, 2);
    assert.ok(chunks.every((ch) => ch.type === 'text'));
    const stats = await waitFor('the cancelled request', async () => {
      const s = await c.stats();
      return s.requestsCancelled === 1 && s.activeRequests === 0 ? s : undefined;
    }, 10_000);
    assert.ok(stats.generatedTokensTotal < 200, `stopped early (${stats.generatedTokensTotal} tokens)`);
  });

  it('turns the HTTP API on and off in the running service, without a restart', async () => {
    const dir = tempDir();
    const a = client(dir);
    await a.countTokens('x');
    const pid = remember(a);
    assert.equal(a.http, undefined);
    const b = client(dir, { httpPort: 0 });
    await b.countTokens('x');
    assert.equal(b.servicePid, pid);
    const on = b.http;
    assert.ok(on);
    assert.match(on.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(readLock(path.join(dir, 'rt', 'service.lock'))?.http?.url, on.url);
    const token = fs.readFileSync(on.tokenFile, 'utf8').trim();
    assert.equal((await fetch(`${on.url}/v1/models`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal(await a.setHttp(null), null);
    await assert.rejects(fetch(`${on.url}/health`));
    assert.equal(readLock(path.join(dir, 'rt', 'service.lock'))?.http, undefined);
    assert.equal((await a.stats()).pid, pid);
  });

  it('reports a model that cannot load to the request and in the health check', async () => {
    const dir = tempDir();
    const empty = tempDir('agl-model-');
    const c = client(dir, { model: { modelDir: empty, variant: 'auto', provider: 'cpu', threads: 0 } });
    await assert.rejects(collect(c.generate(request, new AbortController().signal)), (err: unknown) => err instanceof BackendError && err.message.includes(empty));
    remember(c);
    const health = await c.health();
    assert.equal(health.status, 'error');
    assert.ok(health.detail?.includes(empty));
    assert.equal(c.info().loaded, false);
  });

  it('says why the service could not start (a Node runtime that does not exist)', async () => {
    const dir = tempDir();
    const c = client(dir, { nodePath: path.join(dir, 'no-such-node'), connectTimeoutMs: 5000 });
    await assert.rejects(c.countTokens('x'), (err: unknown) => err instanceof BackendError && err.code === 'service-start' && /exited while starting.*ENOENT/s.test(err.message));
  });

  it('replaces an idle service of another version, and shares one that another window uses', async () => {
    // A service bundle that reports another version, as after an update of the extension.
    const bundle = path.join(repoRoot, 'out', `test-service-${process.pid}`, 'service.js');
    buildSync({ entryPoints: [path.join(repoRoot, 'src', 'service', 'main.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['onnxruntime-node'], define: { __AUTOGLM_VERSION__: '"9.9.9"' }, outfile: bundle, logLevel: 'silent' });
    // Chat templates render in a worker that the service looks for beside its bundle.
    buildSync({ entryPoints: [path.join(repoRoot, 'src', 'engine', 'chatTemplateWorker.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: path.join(path.dirname(bundle), 'chatTemplateWorker.js'), logLevel: 'silent' });
    try {
      const dir = tempDir();
      const old = client(dir, { serviceArgs: [bundle] });
      await old.countTokens('x');
      const oldPid = remember(old);
      assert.equal((await old.stats()).serviceVersion, '9.9.9');
      const sharing = client(dir);
      await sharing.countTokens('x');
      assert.equal(sharing.servicePid, oldPid, 'kept while another window uses it');
      sharing.dispose();
      old.dispose();
      await waitFor('the old windows to leave', () => (readLock(path.join(dir, 'rt', 'service.lock'))?.pid === oldPid ? true : undefined), 1000);
      const fresh = client(dir);
      const text = await collect(fresh.generate(request, new AbortController().signal));
      const newPid = remember(fresh);
      assert.notEqual(newPid, oldPid);
      assert.ok(text.text.length > 0);
      assert.equal((await fresh.stats()).serviceVersion, '0.0.0-dev');
      await waitFor('the old service to exit', () => (processAlive(oldPid) ? undefined : true), 10_000);
    } finally {
      fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
    }
  });

  it('refuses a client of another protocol version with a clear message', async () => {
    const dir = tempDir();
    const c = client(dir);
    await c.countTokens('x');
    remember(c);
    const socket = net.createConnection(c.paths.socket);
    await new Promise((r) => socket.once('connect', r));
    const conn = createMessageConnection(new SocketMessageReader(socket), new SocketMessageWriter(socket));
    conn.listen();
    try {
      await assert.rejects(
        conn.sendRequest(HelloRequestType, { protocolVersion: 999, clientVersion: '9.9.9', clientName: 'old', pid: 1 }),
        (err: unknown) => err instanceof ResponseError && err.code === ServiceErrorCodes.versionMismatch && err.message.includes(`speaks protocol ${SERVICE_PROTOCOL_VERSION}; this client 9.9.9 speaks 999`),
      );
      await assert.rejects(conn.sendRequest(StatsRequestType), (err: unknown) => err instanceof ResponseError && err.code === ServiceErrorCodes.notHandshaken);
    } finally {
      conn.dispose();
      socket.destroy();
    }
  });

  it('switches the model without restarting the service; other windows hear of it', async () => {
    const dir = tempDir();
    const c = client(dir);
    let changes = 0;
    const other = client(dir, { onStateChange: () => changes++ });
    const before = await collect(c.generate(request, new AbortController().signal));
    const pid = remember(c);
    assert.equal(await c.switchModel({ modelDir, variant: 'fp32', provider: 'cpu', threads: 0 }), true);
    assert.equal((await c.stats()).model.variant, 'fp32');
    await other.countTokens('x');
    const seen = changes;
    await c.switchModel({ modelDir, variant: 'q4', provider: 'cpu', threads: 0 });
    await waitFor('the model change in the other window', () => (changes > seen && other.info().loaded ? true : undefined), 5000);
    const after = await collect(c.generate(request, new AbortController().signal));
    assert.ok(after.text.length > 0 && before.text.length > 0);
    const stats = await c.stats();
    assert.equal(stats.pid, pid);
    assert.equal(stats.modelLoads, 3);
    assert.equal(stats.model.variant, 'q4');
  });

  it('a switch before any service runs starts one with the switched model: one load, not the old model first', async () => {
    const dir = tempDir();
    const c = client(dir, { model: { modelDir, variant: 'fp32', provider: 'cpu', threads: 0 } });
    assert.equal(await c.switchModel({ modelDir, variant: 'q4', provider: 'cpu', threads: 0 }), true);
    remember(c);
    const stats = await c.stats();
    assert.equal(stats.model.variant, 'q4');
    assert.equal(stats.modelLoads, 1);
  });

  it('kill -9 fails the request in flight with a clear error; the next request restarts the service', async () => {
    const dir = tempDir();
    const c = client(dir);
    await c.countTokens('warm up');
    const first = remember(c);
    const ctl = new AbortController();
    const stream = c.generate({ ...request, maxTokens: 1500 }, ctl.signal)[Symbol.asyncIterator]();
    assert.equal((await stream.next()).done, false);
    process.kill(first, 'SIGKILL');
    await assert.rejects(
      (async () => {
        for (;;) if ((await stream.next()).done) break;
      })(),
      (err: unknown) => err instanceof BackendError && err.code === 'service-died' && /stopped while the request ran.*restarted on the next request/.test(err.message),
    );
    const again = await collect(c.generate(request, new AbortController().signal));
    const second = remember(c);
    assert.notEqual(second, first);
    assert.ok(again.text.length > 0);
    assert.equal((await c.stats()).modelLoads, 1);
  });

  it('kills a service that stops answering (SIGSTOP) and fails its request; the next request starts a new one (skipped on Windows: no SIGSTOP)', async function () {
    if (process.platform === 'win32') this.skip();
    const dir = tempDir();
    // Wide enough that a service merely slowed by a busy machine is not taken for a hung one.
    const c = client(dir, { stallTimeoutMs: 1500, healthTimeoutMs: 2000 });
    await c.countTokens('warm up');
    const first = remember(c);
    const stream = c.generate({ ...request, maxTokens: 1500 }, new AbortController().signal)[Symbol.asyncIterator]();
    assert.equal((await stream.next()).done, false);
    process.kill(first, 'SIGSTOP');
    await assert.rejects(
      (async () => {
        for (;;) if ((await stream.next()).done) break;
      })(),
      (err: unknown) => err instanceof BackendError && err.code === 'service-died' && /did not answer a health check within 2000 ms/.test(err.message),
    );
    await waitFor('the hung service to be killed', () => (processAlive(first) ? undefined : true), 5000);
    const again = await collect(c.generate(request, new AbortController().signal));
    assert.notEqual(remember(c), first);
    assert.ok(again.text.length > 0);
  });

  it('gives up visibly after repeated crashes, and tries again after resetCrashes', async () => {
    const dir = tempDir();
    const logger = new MemoryLogger('info');
    const c = client(dir, { maxCrashes: 2, logger });
    for (let i = 0; i < 2; i++) {
      await c.countTokens('x');
      const pid = remember(c);
      process.kill(pid, 'SIGKILL');
      await waitFor('the lost connection', () => (c.connected ? undefined : true), 10_000);
    }
    await assert.rejects(c.countTokens('x'), (err: unknown) => err instanceof BackendError && err.code === 'service-gave-up' && /stopped unexpectedly 2 times in a row; it is not restarted again/.test(err.message));
    assert.equal(c.info().device, 'service stopped');
    assert.ok(logger.records.some((r) => r.level === 'error' && /keeps crashing/.test(r.msg)));
    c.resetCrashes();
    assert.ok((await c.countTokens('x')) > 0);
    remember(c);
  });

  it('shuts down after the idle time with no connected window and releases the lock and socket', async () => {
    const dir = tempDir();
    const c = client(dir, { idleShutdownMs: 800 });
    await c.countTokens('x');
    const pid = remember(c);
    const lockFile = path.join(dir, 'rt', 'service.lock');
    assert.equal(readLock(lockFile)?.pid, pid);
    await new Promise((r) => setTimeout(r, 1200));
    assert.ok(processAlive(pid), 'a connected window keeps it alive');
    c.dispose();
    await waitFor('the idle shutdown', () => (processAlive(pid) ? undefined : true), 15_000, 100);
    assert.equal(fs.existsSync(lockFile), false);
    assert.equal(fs.existsSync(path.join(dir, 'rt', 'service.sock')), false);
  });

  it("carries the editor's trace id into the service's log, and forwards a window the records of its own requests", async () => {
    const dir = tempDir();
    const logger = new MemoryLogger('debug');
    const c = client(dir, { logger, serviceLogLevel: 'debug', forwardLogLevel: 'debug' });
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    await collect(c.generate({ ...request, traceId }, new AbortController().signal));
    remember(c);
    const file = path.join(dir, 'log', 'service.log');
    const line = await waitFor('the traced line', () => fs.readFileSync(file, 'utf8').split('\n').find((l) => l.includes(traceId)), 5000);
    const rec = JSON.parse(line);
    assert.equal(rec.msg, 'rpc request');
    assert.equal(rec.level, 'debug');
    assert.match(rec.spanId, /^[\da-f]{16}$/);
    assert.ok(logger.records.some((r) => r['traceId'] === traceId && r.msg === 'service request'));
    await waitFor('a forwarded record', () => (logger.records.some((r) => r['process'] === 'service' && r['traceId'] === traceId) ? true : undefined), 5000);
    const otherTrace = 'ffffffffffffffffffffffffffffffff';
    const otherLogger = new MemoryLogger('debug');
    const other = client(dir, { logger: otherLogger, forwardLogLevel: 'debug' });
    await collect(other.generate({ ...request, traceId: otherTrace }, new AbortController().signal));
    await waitFor('the other window to see its own record', () => (otherLogger.records.some((r) => r['process'] === 'service' && r['traceId'] === otherTrace) ? true : undefined), 5000);
    assert.ok(!logger.records.some((r) => r['traceId'] === otherTrace), "a window does not receive another window's request records");
    assert.ok(!otherLogger.records.some((r) => r['traceId'] === traceId));
  });
});
