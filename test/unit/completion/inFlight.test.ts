import assert from 'node:assert/strict';
import { type GenerationChunk } from '../../../src/backends/backend';
import { BackendError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import { CompletionPipeline } from '../../../src/completion/pipeline';
import { BUILTIN_FIM_TEMPLATES } from '../../../src/completion/fimTemplates';
import { noSleep, ScriptedBackend, settings, snapshot } from './fixtures';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pipeline on a backend that streams `chunks` one every `chunkDelayMs`. */
function slowPipeline(chunks: string[], chunkDelayMs = 15, options: { reuse?: boolean; modelName?: string; modelFamily?: string } = {}) {
  const backend = new ScriptedBackend(() => chunks, { chunkDelayMs, info: { modelName: options.modelName ?? 'autoglm-coder', modelFamily: options.modelFamily ?? 'qwen2.5-coder' } });
  const pipeline = new CompletionPipeline({ backend, settings: settings(), sleep: noSleep, ...(options.reuse !== undefined ? { reuse: options.reuse } : {}) });
  return { backend, pipeline };
}

/** Starts a request the way the editor does: each new keystroke cancels the previous request. */
function keystrokes(pipeline: CompletionPipeline) {
  let previous: AbortController | undefined;
  return (marked: string) => {
    previous?.abort();
    const controller = new AbortController();
    previous = controller;
    return { result: pipeline.provide(snapshot(marked), controller.signal), controller };
  };
}

describe('completion/in-flight generation', () => {
  it('serves the next keystrokes from the generation still running when the user types what it produces', async () => {
    const { backend, pipeline } = slowPipeline(['i', 'tems', '.len', 'gth;']);
    const type = keystrokes(pipeline);
    const first = type('const total = ║\nreturn total;');
    await tick(20); // 'i' has been produced
    const second = type('const total = i║\nreturn total;');
    await tick(5);
    const third = type('const total = it║\nreturn total;');
    assert.equal(await first.result, undefined);
    assert.equal(await second.result, undefined);
    const served = await third.result;
    assert.equal(served?.text, 'ems.length;');
    assert.equal(served?.stats.source, 'in-flight');
    assert.equal(backend.requests.length, 1, 'one generation for three keystrokes');
    const stats = pipeline.stats();
    assert.equal(stats.generationsStarted, 1);
    assert.equal(stats.servedByInFlight, 1);
    assert.equal(stats.cancelledWhileGenerating, 1);
    assert.equal(stats.generationsStopped, 0);
    assert.equal(backend.aborted, 0);
  });

  it('stops the generation as soon as what it produced disagrees with what was typed, and starts a new one', async () => {
    const { backend, pipeline } = slowPipeline(['i', 'tems', '.len', 'gth;']);
    const type = keystrokes(pipeline);
    const first = type('const total = ║\nreturn total;');
    await tick(20);
    const second = type('const total = c║\nreturn total;');
    assert.equal(await first.result, undefined);
    const served = await second.result;
    assert.equal(served?.stats.source, 'generated');
    assert.equal(backend.requests.length, 2);
    assert.equal(pipeline.stats().generationsStopped, 1);
    assert.ok(backend.yielded[0]! < 4, 'the first generation stopped early');
  });

  it('stops the generation when the cursor moves elsewhere', async () => {
    const { backend, pipeline } = slowPipeline(['a', 'b', 'c', ';']);
    const type = keystrokes(pipeline);
    const first = type('let x = ║;\nlet y = 2;');
    await tick(5);
    const second = type('let x = ;\nlet y = 2║;');
    assert.equal(await first.result, undefined);
    await second.result;
    assert.equal(backend.requests.length, 2);
    assert.equal(pipeline.stats().generationsStopped, 1);
    assert.equal(pipeline.stats().servedByInFlight, 0);
  });

  it('keeps the generation running when a waiting request is cancelled, for the keystroke after it', async () => {
    const { backend, pipeline } = slowPipeline(['i', 'tems', '.len', 'gth;'], 20);
    const type = keystrokes(pipeline);
    type('const total = ║');
    await tick(25);
    const second = type('const total = i║');
    await tick(10);
    second.controller.abort(); // the editor gave up on this request
    assert.equal(await second.result, undefined);
    const third = type('const total = ite║');
    assert.equal((await third.result)?.text, 'ms.length;');
    assert.equal(backend.requests.length, 1);
  });

  it('a finished generation that the typed text does not match leads to a new generation', async () => {
    const { backend, pipeline } = slowPipeline(['i', 'tems'], 10);
    const type = keystrokes(pipeline);
    type('const total = ║');
    await tick(5);
    const second = type('const total = items.║'); // typed past what the model will produce
    const served = await second.result;
    assert.equal(served?.stats.source, 'generated');
    assert.equal(backend.requests.length, 2);
  });

  it('without reuse (the benchmark peer) a cancelled request stops its generation', async () => {
    const { backend, pipeline } = slowPipeline(['i', 'tems', '.len', 'gth;'], 15, { reuse: false });
    const type = keystrokes(pipeline);
    const first = type('const total = ║');
    await tick(20);
    const second = type('const total = i║');
    assert.equal(await first.result, undefined);
    assert.equal((await second.result)?.stats.source, 'generated');
    assert.equal(backend.requests.length, 2);
    assert.ok(backend.yielded[0]! < 4);
  });

  it('a backend failure with no request waiting is counted and does not surface later', async () => {
    const backend = {
      info: () => ({ kind: 'local' as const, modelName: 'autoglm-coder', device: 'cpu', loaded: true }),
      async *generate(): AsyncGenerator<GenerationChunk> {
        yield { type: 'text', text: 'a' };
        await tick(20);
        throw new BackendError('engine crashed');
      },
    };
    const logger = new MemoryLogger('debug');
    const pipeline = new CompletionPipeline({ backend, settings: settings(), sleep: noSleep, logger });
    const controller = new AbortController();
    const pending = pipeline.provide(snapshot('let x = ║'), controller.signal);
    await tick(5);
    controller.abort();
    assert.equal(await pending, undefined);
    await tick(40);
    assert.equal(pipeline.stats().errors, 1);
    assert.ok(logger.records.some((r) => r.level === 'error' && r.errorName === 'BackendError'));
  });
});

describe('completion/autoglm-coder format', () => {
  it('puts the suffix first, so that typing changes only the end of the prompt', async () => {
    const { backend, pipeline } = slowPipeline(['1;'], 0, { modelFamily: 'autoglm-coder' });
    assert.equal(pipeline.template().family, 'autoglm-coder');
    const neighbour = { path: 'src/users.ts', languageId: 'typescript', text: 'export async function fetchUser(userId: string) {\n  return api.get(`/users/${userId}`);\n}' };
    await pipeline.provide(snapshot('const user = await fetchUser(userId);\nlet x = ║\nexport {};', { neighbours: [neighbour] }), new AbortController().signal);
    await pipeline.provide(snapshot('const user = await fetchUser(userId);\nlet x = 4║\nexport {};', { neighbours: [neighbour] }), new AbortController().signal);
    const [a, b] = backend.requests.map((r) => r.prompt);
    assert.equal(a, '<|fim_suffix|>\nexport {};<|fim_prefix|>const user = await fetchUser(userId);\nlet x = <|fim_middle|>');
    assert.ok(b!.startsWith(a!.slice(0, -'<|fim_middle|>'.length)), 'the second prompt extends the first');
    assert.ok(!a!.includes('fetchUser(userId: string)'), 'no neighbour snippets for a model trained without them');
  });

  it('is picked for the bundled model by name, and stops at the same special tokens as Qwen2.5-Coder', () => {
    const backend = new ScriptedBackend(() => ['x'], { info: { modelName: 'autoglm-coder', modelFamily: undefined, modelType: 'qwen2' } });
    const pipeline = new CompletionPipeline({ backend, settings: settings(), sleep: noSleep });
    assert.equal(pipeline.template().family, 'autoglm-coder');
    assert.deepEqual(BUILTIN_FIM_TEMPLATES['autoglm-coder'].stop, BUILTIN_FIM_TEMPLATES['qwen2.5-coder'].stop);
  });
});
