/** The local engine backend on the bundled model and real onnxruntime. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { collect } from '../../../src/backends/backend';
import { LocalEngineBackend } from '../../../src/backends/localEngine';
import { MemoryLogger } from '../../../src/common/logger';
import { bundledModelDir, Engine, type GenerateStats } from '../../../src/engine';

describe('local engine backend (bundled model)', function () {
  this.timeout(120_000);
  const logger = new MemoryLogger('info');
  let backend: LocalEngineBackend;
  let loads = 0;

  before(() => {
    backend = new LocalEngineBackend(
      { modelDir: bundledModelDir(path.join(__dirname, '..', '..', '..', 'src', 'engine')), variant: 'fp32', provider: 'cpu', threads: 0, logger },
      (o) => {
        loads++;
        return Engine.load(o);
      },
    );
  });

  after(() => backend.dispose());

  it('does not load the model until the first request, then loads it once', async () => {
    assert.equal(backend.info().loaded, false);
    assert.equal(backend.info().device, 'not loaded');
    assert.equal(backend.countTokensNow('const x = 1;'), undefined, 'no exact count before the model is loaded');
    const [a, b] = await Promise.all([backend.countTokens('const x = 1;'), backend.countTokens('const x = 1;')]);
    assert.equal(a, b);
    assert.ok(a > 0);
    assert.equal(backend.countTokensNow('const x = 1;'), a);
    assert.equal(loads, 1);
    assert.deepEqual([backend.info().loaded, backend.info().device, backend.info().modelType], [true, 'cpu', 'qwen2']);
    assert.match(backend.info().variant ?? '', /^(fp32|fp16|q4|int8)$/, 'the variant that runs, not the setting');
  });

  it('streams a greedy completion whose text equals the stats and repeats exactly', async () => {
    const request = { prompt: 'export function add(a: number, b: number) {', maxTokens: 12, temperature: 0, priority: 'interactive' as const };
    const first = await collect(backend.generate(request, new AbortController().signal));
    const second = await collect(backend.generate(request, new AbortController().signal));
    assert.equal(first.text, second.text);
    assert.ok(first.stats && first.stats.generatedTokens >= 1 && first.stats.generatedTokens <= 12);
    assert.ok(second.stats!.reusedTokens > 0, 'the second run reuses the prompt from the prefix cache');
    const engineStats = second.stats as GenerateStats;
    assert.equal(engineStats.prefilledTokens, engineStats.promptTokens - engineStats.reusedTokens, "the done chunk carries the engine's own stats");
  });

  it('answers the local-backend questions for an engine in this window', async () => {
    assert.equal(await backend.switchModel({ modelDir: 'elsewhere', variant: 'auto', provider: 'cpu', threads: 0 }), false);
    assert.equal(backend.http, undefined);
    assert.equal(await backend.setHttp(0), undefined);
    await backend.restart();
    assert.equal(backend.info().loaded, true, 'restart leaves the loaded model in place');
    const live = await backend.liveStats();
    assert.deepEqual([live.where, live.device, live.queueDepth, live.activeRequests], ['this window', 'cpu', 0, 0]);
    assert.ok(live.prefixCacheHitRate > 0 && live.prefixCacheHitRate <= 1, String(live.prefixCacheHitRate));
    assert.ok((live.residentMemoryBytes ?? 0) > 0);
  });

  it("renders chat messages with the model's own ChatML template", async () => {
    const engine = await backend.engine();
    const prompt = engine.renderChat([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true });
    assert.ok(prompt.endsWith('<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n'), prompt);
    const answer = await collect(backend.chat({ messages: [{ role: 'user', content: 'Write a function.' }], maxTokens: 8, temperature: 0, priority: 'chat' }, new AbortController().signal));
    assert.ok(answer.stats!.promptTokens > 5);
  });

  it('ends the stream quietly when aborted and leaves nothing running', async () => {
    const ctl = new AbortController();
    let chunks = 0;
    for await (const chunk of backend.generate({ prompt: 'function main() {\n', maxTokens: 200, temperature: 0, priority: 'chat' }, ctl.signal)) {
      if (chunk.type === 'text' && ++chunks === 2) {
        ctl.abort();
      }
    }
    const engine = await backend.engine();
    await engine.whenIdle();
    assert.equal(engine.stats().activeRequests, 0);
    assert.equal(engine.stats().liveKvBytes, 0);
  });

  it('reports a broken model folder to the request and recovers for the next one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-broken-'));
    fs.writeFileSync(path.join(dir, 'config.json'), '{ not json');
    const broken = new LocalEngineBackend({ modelDir: dir, variant: 'auto', provider: 'cpu', threads: 0, logger });
    await assert.rejects(broken.countTokens('x'), /config\.json/);
    assert.equal(broken.info().loaded, false);
    assert.ok(logger.records.some((r) => r.msg === 'Model failed to load'));
    // The good backend is unaffected.
    assert.ok((await backend.countTokens('ok')) > 0);
  });
});
