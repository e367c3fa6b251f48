/** The service's small parts on their own: lock, runtime folder, token, log rotation, metrics, request parsing, RPC errors, idle shutdown. */
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ResponseError } from 'vscode-jsonrpc/node';
import { AutoGlmError, BusyError, ModelLoadError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import { ServiceErrorCodes } from '../../../src/protocol/service';
import { IdleShutdown } from '../../../src/service/idleShutdown';
import { acquireLock, readLock, releaseLock, type LockContent } from '../../../src/service/lock';
import { RotatingLogFile, ServiceLog } from '../../../src/service/logFile';
import { ServiceMetrics } from '../../../src/service/metrics';
import { ApiError, familyFimPrompt, hostRequest, parseChatCompletion, parseCompletion } from '../../../src/service/openai';
import { ensureRuntimeDir, readOrCreateToken, servicePaths } from '../../../src/service/paths';
import { toResponseError } from '../../../src/service/rpcSession';
import { traceIdFromTraceparent } from '../../../src/service/trace';
import { tempDir } from './serviceProcess';

const lockOf = (pid: number): LockContent & { instance: string } => ({ pid, instance: `lock-${pid}`, version: 't', protocolVersion: 1, socket: 's', startedAt: new Date().toISOString() });

describe('service parts', function () {
  this.timeout(20_000);

  it('lock: a live holder keeps it, a dead holder is taken over, release removes only our own', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'service.lock');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(file, JSON.stringify(lockOf(other.pid!)));
      const held = await acquireLock(file, lockOf(process.pid));
      assert.equal(held.acquired, false);
      assert.equal(!held.acquired && held.holder?.pid, other.pid);
      releaseLock(file, lockOf(process.pid).instance);
      assert.equal(readLock(file)?.pid, other.pid, 'release leaves a lock that is not ours');
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    const taken = await acquireLock(file, lockOf(process.pid));
    assert.equal(taken.acquired, true);
    assert.equal(readLock(file)?.pid, process.pid);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    releaseLock(file, lockOf(process.pid).instance);
    assert.equal(fs.existsSync(file), false);
  });

  it('runtime folder: created or tightened to 0700; the token is created once with 0600 and reused', () => {
    if (process.platform === 'win32') return;
    const dir = path.join(tempDir(), 'rt');
    fs.mkdirSync(dir, { mode: 0o755 });
    fs.chmodSync(dir, 0o755);
    ensureRuntimeDir(dir);
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const paths = servicePaths(dir);
    assert.equal(paths.socket, path.join(dir, 'service.sock'));
    const token = readOrCreateToken(paths.tokenFile);
    assert.match(token, /^agl-[\da-f]{64}$/);
    assert.equal(fs.statSync(paths.tokenFile).mode & 0o777, 0o600);
    assert.equal(readOrCreateToken(paths.tokenFile), token);
  });

  it('log file: JSON lines, rotated by size, keeping three old files; listeners get their own level', () => {
    const dir = tempDir();
    const log = new ServiceLog(new RotatingLogFile({ dir, maxBytes: 400, keep: 3 }), 'info');
    const seen: string[] = [];
    log.listen('debug', (r) => seen.push(r.msg));
    for (let i = 0; i < 40; i++) log.logger.info(`record ${i}`, { traceId: `t${i}` });
    log.logger.debug('debug only to the listener');
    log.close();
    const files = fs.readdirSync(dir).sort();
    assert.deepEqual(files, ['service.1.log', 'service.2.log', 'service.3.log', 'service.log']);
    const last = fs.readFileSync(path.join(dir, 'service.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(last.at(-1).msg, 'record 39');
    assert.equal(last.at(-1).traceId, 't39');
    assert.ok(fs.statSync(path.join(dir, 'service.1.log')).size <= 400);
    assert.ok(!fs.readFileSync(path.join(dir, 'service.log'), 'utf8').includes('debug only'));
    assert.equal(seen.at(-1), 'debug only to the listener');
    assert.equal(seen.length, 41);
  });

  it('metrics: cumulative histogram buckets, counters with escaped labels, gauges', () => {
    const m = new ServiceMetrics();
    m.requestLatency.observe(0.003, { api: 'chat' });
    m.requestLatency.observe(0.2, { api: 'chat' });
    m.httpRequests.inc({ route: '/a"b', status: '200' });
    const text = m.render({ queueDepth: 3, activeRequests: 2, prefixCacheHitRate: 0.5, prefixCacheBytes: 10, connectedClients: 1, modelLoads: 1, residentMemoryBytes: 5 });
    assert.match(text, /autoglm_request_duration_seconds_bucket\{api="chat",le="0.005"\} 1\n/);
    assert.match(text, /autoglm_request_duration_seconds_bucket\{api="chat",le="0.25"\} 2\n/);
    assert.match(text, /autoglm_request_duration_seconds_bucket\{api="chat",le="\+Inf"\} 2\n/);
    assert.match(text, /autoglm_request_duration_seconds_count\{api="chat"\} 2\n/);
    assert.ok(text.includes('autoglm_http_requests_total{route="/a\\"b",status="200"} 1'));
    assert.match(text, /autoglm_queue_depth 3\n/);
    assert.match(text, /# TYPE autoglm_prefix_cache_hit_rate gauge\nautoglm_prefix_cache_hit_rate 0.5\n/);
  });

  it('fill-in-the-middle prompt in the loaded model family: suffix first for the bundled model, by name, then by model type', () => {
    assert.equal(familyFimPrompt({ name: 'autoglm-coder', modelType: 'qwen2' }, 'a', 'b'), '<|fim_suffix|>b<|fim_prefix|>a<|fim_middle|>');
    assert.equal(familyFimPrompt({ name: 'Qwen2.5-Coder-0.5B', modelType: 'qwen2' }, 'a', 'b'), '<|fim_prefix|>a<|fim_suffix|>b<|fim_middle|>');
    assert.equal(familyFimPrompt({ name: 'my-model', modelType: 'starcoder2' }, 'a', 'b'), '<fim_prefix>a<fim_suffix>b<fim_middle>');
  });

  it('request parsing: defaults, limits and the param named in errors', () => {
    assert.deepEqual(hostRequest(parseCompletion({ prompt: 'x', max_tokens: 3, temperature: 0, top_p: 0.5, stop: ['\n'], seed: 4 }), { text: 'x' }, 'interactive'), {
      prompt: { text: 'x' },
      priority: 'interactive',
      maxTokens: 3,
      temperature: 0,
      topP: 0.5,
      stop: ['\n'],
      seed: 4,
    });
    assert.equal('seed' in hostRequest(parseChatCompletion({ messages: [{ role: 'user', content: 'hi' }] }), { messages: [] }, 'chat'), false);
    const c = parseCompletion({ prompt: ['x'], suffix: 'y', stop: 'z' });
    assert.deepEqual([c.prompt, c.suffix, c.stop, c.maxTokens, c.temperature, c.stream], ['x', 'y', ['z'], 16, 1, false]);
    const chat = parseChatCompletion({ messages: [{ role: 'developer', content: [{ type: 'text', text: 'be brief' }] }, { role: 'user', content: 'hi' }], max_completion_tokens: 5 });
    assert.deepEqual(chat.messages, [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }]);
    assert.equal(chat.maxTokens, 5);
    const param = (f: () => unknown): string | null => {
      try {
        f();
      } catch (err) {
        assert.ok(err instanceof ApiError);
        assert.equal(err.status, 400);
        return err.param;
      }
      return 'no error';
    };
    assert.equal(param(() => parseCompletion({ prompt: 'x', stop: ['a', 'b', 'c', 'd', 'e'] })), 'stop');
    assert.equal(param(() => parseCompletion({ prompt: 'x', temperature: 3 })), 'temperature');
    assert.equal(param(() => parseCompletion({ prompt: 'x', n: 2 })), 'n');
    assert.equal(param(() => parseCompletion({ prompt: 5 })), 'prompt');
    assert.equal(param(() => parseChatCompletion({ messages: [{ role: 'wizard', content: 'x' }] })), 'messages[0].role');
    assert.equal(param(() => parseCompletion([1])), null);
  });

  it('trace ids: taken from a well-formed traceparent only', () => {
    assert.equal(traceIdFromTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(traceIdFromTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined);
    assert.equal(traceIdFromTraceparent('garbage'), undefined);
  });

  it('RPC errors: typed errors cross the wire with their code in data; anything else is internal and logged', () => {
    const log = new MemoryLogger('debug');
    const wire = (err: unknown): [number, string, unknown] => {
      const r = toResponseError(err, log);
      return [r.code, r.message, r.data];
    };
    assert.deepEqual(wire(new BusyError('queue full')), [ServiceErrorCodes.busy, 'queue full', { code: 'busy' }]);
    assert.deepEqual(wire(new ModelLoadError('/m/config.json', 'is missing')), [ServiceErrorCodes.modelLoad, '/m/config.json: is missing', { code: 'model-load' }]);
    assert.deepEqual(wire(new AutoGlmError('too long', 'prompt-too-long')), [ServiceErrorCodes.invalidRequest, 'too long', { code: 'prompt-too-long' }]);
    assert.deepEqual(wire(new AutoGlmError('bye', 'shutting-down')), [ServiceErrorCodes.shuttingDown, 'bye', { code: 'shutting-down' }]);
    assert.deepEqual(wire(new AutoGlmError('bug', 'internal')), [ServiceErrorCodes.internal, 'bug', { code: 'internal' }]);
    assert.equal(log.records.length, 0);
    assert.deepEqual(wire(new TypeError('x is undefined')), [ServiceErrorCodes.internal, 'x is undefined', { code: 'internal' }]);
    assert.equal(log.records.at(-1)?.msg, 'request failed');
    assert.equal(log.records.at(-1)?.level, 'error');
    const passed = new ResponseError(ServiceErrorCodes.notHandshaken, 'hello first');
    assert.equal(toResponseError(passed, log), passed);
  });

  it('idle shutdown: after the idle time with no window, put off while HTTP is busy, never once stopping', async () => {
    const reasons: string[] = [];
    let busy = true;
    const idle = new IdleShutdown(40, () => busy, (reason) => reasons.push(reason));
    const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    idle.arm(1);
    await wait(80);
    assert.equal(reasons.length, 0, 'a connected window keeps it');
    idle.arm(0);
    await wait(70);
    assert.equal(reasons.length, 0, 'an HTTP request being answered puts it off');
    busy = false;
    await wait(70);
    assert.deepEqual(reasons, ['idle for 40 ms with no connected window']);
    idle.dispose();
    idle.arm(0);
    await wait(70);
    assert.equal(reasons.length, 1, 'a stopping service does not start the wait again');
    new IdleShutdown(0, () => false, (reason) => reasons.push(reason)).arm(0);
    await wait(20);
    assert.equal(reasons.length, 1, '0 never stops');
  });
});
