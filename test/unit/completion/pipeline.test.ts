import assert from 'node:assert/strict';
import { BackendError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import { CompletionPipeline, type CompletionPipelineOptions } from '../../../src/completion/pipeline';
import { type CompletionSettings, type CompletionSnapshot } from '../../../src/completion/types';
import { accept, noSleep, ScriptedBackend, settings, snapshot, STATS } from './fixtures';

function pipelineWith(script: string[] | ((prompt: string) => string[]), options: Omit<Partial<CompletionPipelineOptions>, 'settings'> & { settings?: Partial<CompletionSettings>; chunkDelayMs?: number } = {}) {
  const backend = new ScriptedBackend((r) => (typeof script === 'function' ? script(r.prompt) : script), { chunkDelayMs: options.chunkDelayMs });
  const logger = new MemoryLogger('debug');
  const pipeline = new CompletionPipeline({ sleep: noSleep, logger, ...options, backend: options.backend ?? backend, settings: settings(options.settings) });
  return { pipeline, backend, logger };
}

async function complete(marked: string, script: string[], snapOptions: Parameters<typeof snapshot>[1] = {}, settingsOverrides: Partial<CompletionSettings> = {}) {
  const snap = snapshot(marked, snapOptions);
  const { pipeline, backend } = pipelineWith(script, { settings: settingsOverrides });
  const result = await pipeline.provide(snap, new AbortController().signal);
  return { snap, result, backend, pipeline, accepted: result === undefined ? undefined : accept(snap, result) };
}

describe('completion/pipeline', () => {
  it('TypeScript: completes a block body after an opener and leaves the existing brace alone', async () => {
    const { accepted, result, backend } = await complete('function add(a: number, b: number) {║}', ['\n    return', ' a + b;\n}', '\n\nfunction next() {}']);
    assert.equal(accepted, 'function add(a: number, b: number) {\n    return a + b;║}');
    assert.equal(result?.stats.source, 'generated');
    assert.ok(backend.requests[0]!.prompt.startsWith('<|fim_prefix|>function add(a: number, b: number) {<|fim_suffix|>}<|fim_middle|>'));
    assert.equal(backend.requests[0]!.priority, 'interactive');
  });

  it('Python: stops at the dedent after a function body', async () => {
    const { accepted } = await complete('def area(r):║\n\nprint(area(2))', ['\n    return 3.14 * r * r\n', '\ndef other():\n    pass'], { languageId: 'python', path: 'geo.py' });
    assert.equal(accepted, 'def area(r):\n    return 3.14 * r * r║\n\nprint(area(2))');
  });

  it('Go: keeps tabs and CRLF of the document, drops the closing brace the suffix holds', async () => {
    const { accepted, result, backend } = await complete('func main() {\r\n\t║\r\n}', ['fmt.Println("hi")\n    os.Exit(0)\n}\n'], { languageId: 'go', indentation: { insertSpaces: false, tabSize: 4 } });
    assert.equal(result?.text, 'fmt.Println("hi")\r\n\tos.Exit(0)');
    assert.equal(accepted, 'func main() {\r\n\tfmt.Println("hi")\r\n\tos.Exit(0)║\r\n}');
    assert.ok(!backend.requests[0]!.prompt.includes('\r'), 'the prompt uses \\n line breaks');
  });

  it('Rust: one line before closers, without doubling them', async () => {
    const { result } = await complete('let v = vec![1, 2║];', [', 3];\nprintln!("{:?}", v);'], { languageId: 'rust' });
    assert.equal(result?.text, ', 3');
  });

  it('JSON: finishes the value on its line', async () => {
    const { result } = await complete('{\n  "name": "demo",\n  "version": ║\n}', ['"1.0.0",\n  "main": "index.js"'], { languageId: 'json', path: 'package.json' });
    assert.equal(result?.text, '"1.0.0",');
  });

  it('non-ASCII text passes through intact and the closing quote is not doubled', async () => {
    const { result } = await complete('const greeting = "║";', ['こんにちは、世界 👋";\n']);
    assert.equal(result?.text, 'こんにちは、世界 👋');
  });

  it('completes an empty file', async () => {
    const { result, backend } = await complete('║', ['import fs from "node:fs";\n', 'import path from "node:path";\n']);
    assert.equal(result?.text, 'import fs from "node:fs";\nimport path from "node:path";');
    assert.equal(backend.requests[0]!.prompt, '<|fim_prefix|><|fim_suffix|><|fim_middle|>');
  });

  it('keeps the prompt of a very large file within the token budget', async () => {
    const lines = Array.from({ length: 60_000 }, (_, i) => `export const value${i} = ${i};`);
    const marked = `${lines.slice(0, 30_000).join('\n')}\nexport const value30000 = ║\n${lines.slice(30_001).join('\n')}`;
    const started = performance.now();
    const { result, backend } = await complete(marked, ['30000;\n']);
    assert.equal(result?.text, '30000;');
    assert.ok(backend.requests[0]!.prompt.length / 3 <= 1024, `prompt chars ${backend.requests[0]!.prompt.length}`);
    assert.ok(backend.requests[0]!.prompt.includes('export const value29999 = 29999;\nexport const value30000 = <|fim_suffix|>'));
    assert.ok(performance.now() - started < 2000);
  });

  it('single line in a comment, asking the backend to stop at the line break', async () => {
    const { result, backend } = await complete('// Returns the ║\nfunction sum() {}', ['sum of a and b\nfunction']);
    assert.equal(result?.text, 'sum of a and b');
    assert.ok(backend.requests[0]!.stop?.includes('\n'));
    assert.ok((backend.requests[0]!.maxTokens ?? 0) <= 64);
  });

  it('extends a selected IntelliSense item and replaces its range', async () => {
    const { result, snap, backend } = await complete('console.«lo║', ['("hi");'], { itemText: 'log' });
    assert.ok(backend.requests[0]!.prompt.includes('console.log<|fim_suffix|>'));
    assert.deepEqual(result?.range, { start: snap.offset - 2, end: snap.offset });
    assert.equal(result?.text, 'log("hi");');
  });

  it('serves the same context from the cache without generating again', async () => {
    const { pipeline, backend } = pipelineWith(['items.length;']);
    const snap = snapshot('const total = ║');
    await pipeline.provide(snap, new AbortController().signal);
    const second = await pipeline.provide(snapshot('const total = ║'), new AbortController().signal);
    assert.equal(second?.stats.source, 'cache');
    assert.equal(second?.text, 'items.length;');
    assert.equal(backend.requests.length, 1);
    assert.equal(pipeline.stats().servedFromCache, 1);
  });

  it('serves typed-ahead characters of the suggestion without generating', async () => {
    const { pipeline, backend } = pipelineWith(['items.length;']);
    await pipeline.provide(snapshot('const total = ║\nreturn total;'), new AbortController().signal);
    const r1 = await pipeline.provide(snapshot('const total = i║\nreturn total;'), new AbortController().signal);
    const r2 = await pipeline.provide(snapshot('const total = items.║\nreturn total;'), new AbortController().signal);
    assert.deepEqual([r1?.text, r1?.stats.source, r2?.text], ['tems.length;', 'typed-ahead', 'length;']);
    assert.equal(backend.requests.length, 1);
    assert.equal(pipeline.stats().servedByTypedAhead, 2);
  });

  it('aborts the previous request when the next keystroke arrives', async () => {
    const { pipeline, backend } = pipelineWith(['a', 'b', 'c', ';'], { chunkDelayMs: 20 });
    const first = pipeline.provide(snapshot('let x = ║'), new AbortController().signal);
    await new Promise((r) => setTimeout(r, 5));
    const second = pipeline.provide(snapshot('let xy = ║'), new AbortController().signal);
    assert.equal(await first, undefined);
    assert.equal((await second)?.text, 'abc;');
    assert.equal(pipeline.stats().cancelled, 1);
    assert.equal(pipeline.stats().cancelledWhileGenerating, 1);
    assert.ok(backend.yielded[0]! < 4, 'the first generation stopped early');
  });

  it('returns nothing when the caller cancels during the debounce', async () => {
    const sleeps: number[] = [];
    const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve, reject) => {
      sleeps.push(ms);
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => { clearTimeout(t); reject(Object.assign(new Error('aborted'), { name: 'AbortError' })); });
    });
    const { pipeline, backend } = pipelineWith(['1;'], { sleep, settings: { debounceMs: 'adaptive' } });
    const ctl = new AbortController();
    const pending = pipeline.provide(snapshot('let x = ║'), ctl.signal);
    ctl.abort();
    assert.equal(await pending, undefined);
    assert.deepEqual(sleeps, [100]);
    assert.equal(backend.requests.length, 0);
    assert.equal(pipeline.stats().cancelled, 1);
    assert.equal(pipeline.stats().cancelledWhileGenerating, 0);
  });

  it('counts and logs skips by reason', async () => {
    const { pipeline, logger } = pipelineWith(['x']);
    await pipeline.provide(snapshot('fo║o'), new AbortController().signal);
    await pipeline.provide(snapshot('x║', { selectionEmpty: false }), new AbortController().signal);
    await pipeline.provide(snapshot('x = ║', { languageId: 'markdown' }), new AbortController().signal);
    const stats = pipeline.stats();
    assert.equal(stats.requests, 3);
    assert.equal(stats.skipped['mid-word'], 1);
    assert.equal(stats.skipped.selection, 1);
    assert.equal(stats.generationsStarted, 1);
    assert.ok(logger.records.some((r) => r.msg === 'completion skipped' && r.reason === 'mid-word' && r.level === 'debug'));
  });

  it('drops an empty answer, remembers it, and logs no code', async () => {
    const { pipeline, backend, logger } = pipelineWith(['\nconst secretValue = 1;']);
    const snap: CompletionSnapshot = snapshot('const x = 1;║');
    assert.equal(await pipeline.provide(snap, new AbortController().signal), undefined);
    assert.equal(await pipeline.provide(snap, new AbortController().signal), undefined);
    assert.equal(backend.requests.length, 1);
    assert.equal(pipeline.stats().empty, 1);
    assert.ok(!JSON.stringify(logger.records).includes('secretValue'));
  });

  it('stops a looping model at repeated lines and at the suffix', async () => {
    const { result } = await complete('function f() {\n    ║\n    return total;\n}', ['total += 1;\n    total += 2;\n    total += 2;\n    total += 2;\n']);
    assert.equal(result?.text, 'total += 1;\n    total += 2;');
    const suffixRepeat = await complete('function f() {\n    ║\n    return total;\n}', ['let total = 0;\n    return total;\n}\n']);
    assert.equal(suffixRepeat.result?.text, 'let total = 0;');
  });

  it('honours max lines and reports the backend stats', async () => {
    const { result } = await complete('if (ok) {║', ['\n  a();\n  b();\n  c();\n  d();\n}'], {}, { maxLines: 3 });
    assert.equal(result?.text, '\n  a();\n  b();');
    const full = await complete('let x = ║', ['1;']);
    assert.equal(full.result?.stats.promptTokens, STATS.promptTokens);
    assert.equal(full.result?.stats.reusedTokens, STATS.reusedTokens);
    assert.ok((full.result?.stats.latencyMs ?? -1) >= 0);
  });

  it('rethrows an unexpected backend failure after logging it', async () => {
    const backend = new ScriptedBackend(() => [], { fail: new BackendError('engine crashed') });
    const logger = new MemoryLogger('debug');
    const pipeline = new CompletionPipeline({ backend, settings: settings(), sleep: noSleep, logger });
    await assert.rejects(pipeline.provide(snapshot('let x = ║'), new AbortController().signal), /engine crashed/);
    assert.equal(pipeline.stats().errors, 1);
    assert.ok(logger.records.some((r) => r.level === 'error' && r.errorName === 'BackendError'));
  });

  it('renders the template of the model family, or the one the setting names', async () => {
    const deepseek = new ScriptedBackend(() => ['1;'], { info: { modelName: 'deepseek-coder-1.3b-base', modelFamily: undefined } });
    const p1 = new CompletionPipeline({ backend: deepseek, settings: settings(), sleep: noSleep });
    await p1.provide(snapshot('let x = ║'), new AbortController().signal);
    assert.ok(deepseek.requests[0]!.prompt.startsWith('<\uff5cfim\u2581begin\uff5c>'));
    const p2 = new CompletionPipeline({ backend: deepseek, settings: settings({ fimTemplate: 'codestral' }), sleep: noSleep });
    await p2.provide(snapshot('let y = ║'), new AbortController().signal);
    assert.ok(deepseek.requests[1]!.prompt.startsWith('[SUFFIX]'));
  });

  it('puts similar neighbour files in the repository-level prompt', async () => {
    const neighbour = { path: 'src/users.ts', languageId: 'typescript', text: 'export async function fetchUser(userId: string) {\n  return api.get(`/users/${userId}`);\n}' };
    const { backend } = await complete('const user = await fetchUser(userId);\nconst posts = await api.get(║', ['"/posts");'], { neighbours: [neighbour] });
    assert.ok(backend.requests[0]!.prompt.startsWith('<|repo_name|>src\n<|file_sep|>src/users.ts\nexport async function fetchUser'));
  });

  it('forgets cached answers when a setting that shapes them changes', async () => {
    const { pipeline, backend } = pipelineWith(['items.length;']);
    await pipeline.provide(snapshot('const total = ║'), new AbortController().signal);
    pipeline.updateSettings(settings({ maxTokens: 32 }));
    const again = await pipeline.provide(snapshot('const total = ║'), new AbortController().signal);
    assert.equal(again?.stats.source, 'generated');
    assert.equal(backend.requests.length, 2);
    assert.equal(backend.requests[1]!.maxTokens, 32);
  });

  it('generates every time when reuse is off (the benchmark peer)', async () => {
    const { pipeline, backend } = pipelineWith(['items.length;'], { reuse: false });
    await pipeline.provide(snapshot('const total = ║'), new AbortController().signal);
    await pipeline.provide(snapshot('const total = i║'), new AbortController().signal);
    await pipeline.provide(snapshot('const total = i║'), new AbortController().signal);
    assert.equal(backend.requests.length, 3);
    assert.equal(pipeline.stats().servedByTypedAhead + pipeline.stats().servedFromCache, 0);
  });
});
