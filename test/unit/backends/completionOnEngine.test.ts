/** The inline-completion pipeline on the bundled model through the local engine backend. */
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { LocalEngineBackend } from '../../../src/backends/localEngine';
import { MemoryLogger } from '../../../src/common/logger';
import { CompletionPipeline, DEFAULT_COMPLETION_SETTINGS, type CompletionSnapshot } from '../../../src/completion';
import { bundledModelDir } from '../../../src/engine';

const CURSOR = '║';

function snapshot(marked: string): CompletionSnapshot {
  const offset = marked.indexOf(CURSOR);
  const text = marked.replace(CURSOR, '');
  const before = text.slice(0, offset).split('\n');
  return {
    path: 'src/example.ts',
    languageId: 'typescript',
    text,
    offset,
    line: before.length - 1,
    character: before[before.length - 1]!.length,
    eol: '\n',
    indentation: { insertSpaces: true, tabSize: 2 },
    selectionEmpty: true,
    neighbours: [],
  };
}

const CANDIDATES = [
  'export function fibonacci(n: number): number {\n  if (n < 2) {\n    return n;\n  }\n  ║\n}\n',
  'export class Stack<T> {\n  private items: T[] = [];\n\n  push(item: T): void {\n    ║\n  }\n}\n',
  'import * as fs from "node:fs";\n\nexport function readJson(file: string): unknown {\n  const text = ║\n}\n',
  'const values = [1, 2, 3];\nconst doubled = values.map(║);\n',
];

describe('completion pipeline on the bundled model', function () {
  this.timeout(180_000);
  let backend: LocalEngineBackend;
  let pipeline: CompletionPipeline;

  before(async () => {
    backend = new LocalEngineBackend({ modelDir: bundledModelDir(path.join(__dirname, '..', '..', '..', 'src', 'engine')), variant: 'fp32', provider: 'cpu', threads: 0, logger: new MemoryLogger('warn') });
    const engine = await backend.engine();
    pipeline = new CompletionPipeline({
      backend,
      settings: { ...DEFAULT_COMPLETION_SETTINGS, debounceMs: 0 },
      countTokens: (t) => engine.countTokens(t),
      sleep: async () => undefined,
    });
  });

  after(() => backend.dispose());

  it("uses the model's own fill-in-the-middle format", () => {
    assert.equal(pipeline.template().family, 'autoglm-coder');
  });

  it('generates, then answers the same place from its cache and the next keystroke by typed-ahead reuse', async () => {
    let checked = false;
    for (const marked of CANDIDATES) {
      const first = await pipeline.provide(snapshot(marked), new AbortController().signal);
      if (!first || first.text.length < 2) {
        continue;
      }
      assert.equal(first.stats.source, 'generated');
      assert.ok(first.stats.promptTokens > 0);
      const again = await pipeline.provide(snapshot(marked), new AbortController().signal);
      assert.equal(again?.stats.source, 'cache');
      assert.equal(again?.text, first.text);
      // The user types the first character of the suggestion.
      const typed = first.text[0]!;
      const at = marked.indexOf(CURSOR);
      const next = marked.slice(0, at) + typed + CURSOR + marked.slice(at + 1);
      const rest = await pipeline.provide(snapshot(next), new AbortController().signal);
      assert.equal(rest?.stats.source, 'typed-ahead');
      assert.equal(rest?.text, first.text.slice(1));
      checked = true;
      break;
    }
    assert.ok(checked, 'the model completed at least one of the candidate places');
    const counters = pipeline.stats();
    assert.ok(counters.servedFromCache >= 1 && counters.servedByTypedAhead >= 1);
  });

  it('heals a partial word: the engine is asked to start with it and the answer continues it at the cursor', async () => {
    assert.equal(backend.info().forcedPrefix, true);
    const requests: string[] = [];
    const spy = new CompletionPipeline({
      backend: {
        info: () => backend.info(),
        generate: (request, signal) => {
          requests.push(request.forcedPrefix ?? '');
          return backend.generate(request, signal);
        },
      },
      settings: { ...DEFAULT_COMPLETION_SETTINGS, debounceMs: 0 },
      sleep: async () => undefined,
    });
    const marked = 'const values = [1, 2, 3];\nconst total = values.reduce((sum, value) => sum + val║, 0);\n';
    const result = await spy.provide(snapshot(marked), new AbortController().signal);
    spy.dispose();
    assert.deepEqual(requests, [' val']);
    if (result !== undefined) {
      // Whatever the model wrote, it was written as the rest of the word: no second copy of it.
      assert.ok(!result.text.startsWith('val') && !result.text.startsWith(' val'), result.text);
    }
  });

  it('returns nothing for an aborted request and leaves no work in the engine', async () => {
    const ctl = new AbortController();
    ctl.abort();
    assert.equal(await pipeline.provide(snapshot('function main() {\n  ║\n}\n'), ctl.signal), undefined);
    const engine = await backend.engine();
    await engine.whenIdle();
    assert.equal(engine.stats().activeRequests, 0);
    assert.equal(engine.stats().liveKvBytes, 0);
  });
});
