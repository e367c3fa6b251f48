import assert from 'node:assert/strict';
import { MemoryLogger } from '../../../src/common/logger';
import { CompletionPipeline, type CompletionPipelineOptions } from '../../../src/completion/pipeline';
import { accept, ScriptedBackend, noSleep, settings, snapshot, type SnapshotOptions } from './fixtures';

/** One generation through the whole pipeline: what the ghost text is and what accepting it leaves. */
async function ghost(marked: string, script: string[], snapOptions: SnapshotOptions = {}, options: Pick<CompletionPipelineOptions, 'guards'> = {}) {
  const snap = snapshot(marked, snapOptions);
  const logger = new MemoryLogger('debug');
  const pipeline = new CompletionPipeline({ backend: new ScriptedBackend(() => script), settings: settings(), sleep: noSleep, logger, ...options });
  const result = await pipeline.provide(snap, new AbortController().signal);
  const guardRecords = logger.records.filter((r) => r.msg === 'guard cut' || r.msg === 'guard drop');
  return { text: result?.text, accepted: result === undefined ? undefined : accept(snap, result), guardRecords, records: logger.records };
}

describe('completion/guards in the pipeline', () => {
  describe('leading whitespace on a blank line', () => {
    it('starts the ghost text at its first non-blank character: {\\n    ║', async () => {
      const { text, accepted, guardRecords } = await ghost('function f() {\n    ║\n}', ['   return 1;']);
      assert.equal(text, 'return 1;');
      assert.equal(accepted, 'function f() {\n    return 1;║\n}');
      assert.ok(guardRecords.some((r) => r.guard === 'indentation' && r.level === 'debug'));
    });

    it('re-bases the later lines by the same delta', async () => {
      const { text } = await ghost('class Stack {\n    push(x) {\n        ║\n    }\n}', ['   this.items.push(x);\n           return this;']);
      assert.equal(text, 'this.items.push(x);\n        return this;');
    });

    it('drops the indentation the model repeated from the cursor', async () => {
      const { text } = await ghost('if (ok) {\n\t║\n}', ['\trun();\n\t\tmore();'], { indentation: { insertSpaces: false, tabSize: 4 } });
      assert.equal(text, 'run();\n\tmore();');
    });
  });

  describe('repetition inside a line', () => {
    it('cuts a word list repeated sixty times after three copies', async () => {
      const { text, guardRecords } = await ghost('const args = [║];', [`${'data, '.repeat(60)}data];`]);
      assert.equal(text, 'data, data, data');
      assert.ok(guardRecords.some((r) => r.guard === 'repetition'));
    });

    it('stops the generation at the loop instead of running out its tokens', async () => {
      const backend = new ScriptedBackend(() => ['[', ...Array.from({ length: 60 }, () => 'data, '), '];']);
      const pipeline = new CompletionPipeline({ backend, settings: settings(), sleep: noSleep });
      const result = await pipeline.provide(snapshot('const args = ║'), new AbortController().signal);
      assert.equal(result?.text, '[data, data, data');
      assert.ok(backend.yielded[0]! < 10, `the backend yielded ${backend.yielded[0]} chunks`);
    });

    it('cuts a repeated phrase in a comment', async () => {
      const { text } = await ghost('// Move the cursor to ║\nfunction move() {}', [`${'the end of '.repeat(40)}\n`]);
      assert.equal(text, 'the end of the end of the end of');
    });

    it('keeps a short legitimate repetition', async () => {
      const { text } = await ghost('const zero = ║', ['[0, 0, 0, 0];']);
      assert.equal(text, '[0, 0, 0, 0];');
    });
  });

  describe('mid-line completion before auto-closed brackets', () => {
    it('keeps one line and leaves the auto-closed )) to close it: listFiles(║))', async () => {
      const marked = 'function walk(dir: string, out: string[]) {\n    for (const name of names) {\n        out.push(...listFiles(║))\n    }\n}';
      const { text, accepted } = await ghost(marked, ['dir, name)\n}']);
      assert.equal(text, 'dir, name');
      assert.equal(accepted, 'function walk(dir: string, out: string[]) {\n    for (const name of names) {\n        out.push(...listFiles(dir, name║))\n    }\n}');
    });

    it('still completes a block body between braces: {║}', async () => {
      const { text } = await ghost('function add(a: number, b: number) {║}', ['\n    return a + b;\n}']);
      assert.equal(text, '\n    return a + b;');
    });
  });

  describe('duplicates of the suffix', () => {
    it("drops a } that the block's next line already holds", async () => {
      const marked = 'class Bag {\n    items: number[] = [];\n    get size(): number {\n        return this.items.length ║\n    }\n}';
      const { text, guardRecords } = await ghost(marked, ['}']);
      assert.equal(text, undefined);
      assert.ok(guardRecords.some((r) => r.guard === 'suffix-duplicate' && r.msg === 'guard drop'));
    });

    it('keeps what comes before the duplicated }', async () => {
      const marked = 'class Bag {\n    get size(): number {\n        return this.items.length║\n    }\n}';
      const { text } = await ghost(marked, ['; }']);
      assert.equal(text, ';');
    });

    it('keeps a } that closes a block the cursor line opened', async () => {
      const { text } = await ghost('function f() {\n    if (x) {║\n}', [' return 1; }']);
      assert.equal(text, ' return 1; }');
    });

    it('drops a line identical to the next line of the document', async () => {
      const { text } = await ghost('function f() {\n    ║\n    return total;\n}', ['return total;']);
      assert.equal(text, undefined);
    });

    it('trims the rest of the cursor line the completion repeats: if (║) {', async () => {
      const { text } = await ghost('function f() {\n    if (║) {\n    }\n}', ['ready) {']);
      assert.equal(text, 'ready');
    });
  });

  describe('operator already typed', () => {
    it('trims a repeated = after `const n = `', async () => {
      const { text, guardRecords } = await ghost('const n = ║', ['= items.length;']);
      assert.equal(text, 'items.length;');
      assert.ok(guardRecords.some((r) => r.guard === 'operator'));
    });

    it('keeps the space when the cursor is right after the operator', async () => {
      const { text } = await ghost('const n =║', [' = 1;']);
      assert.equal(text, ' 1;');
    });

    it('trims a repeated => and a repeated comma', async () => {
      assert.equal((await ghost('const f = (x) => ║', ['=> x * 2;'])).text, 'x * 2;');
      assert.equal((await ghost('call(a, ║);', [', b'])).text, 'b');
    });

    it('drops a completion that is only the repeated operator', async () => {
      assert.equal((await ghost('const n = ║', ['= '])).text, undefined);
    });

    it('keeps == where the user typed = without a space', async () => {
      assert.equal((await ghost('if (a =║', ['= b) {'])).text, '= b) {');
    });
  });

  describe('bracket structure', () => {
    it('drops a completion with an extra closer', async () => {
      const { text, guardRecords } = await ghost('function f() {\n    a();\n    ║\n}', ['items.push(b));']);
      assert.equal(text, undefined);
      assert.ok(guardRecords.some((r) => r.guard === 'bracket-structure' && r.msg === 'guard drop'));
    });

    it('ends a mid-line completion where it closes the call the suffix closes: foo(║);', async () => {
      assert.equal((await ghost('const v = foo(║);', ['a), b'])).text, 'a');
      assert.equal((await ghost('const v = foo(║);', ['a), b'], {}, { guards: ['bracket-structure'] })).text, undefined);
    });

    it('drops a mismatched closer', async () => {
      assert.equal((await ghost('const v = foo(║);', ['items[0]]'])).text, undefined);
    });

    it('ignores brackets in strings and comments', async () => {
      assert.equal((await ghost('const v = foo(║);', ['")", 1 /* ) */'])).text, '")", 1 /* ) */');
    });

    it('keeps a block the completion opens and leaves unfinished', async () => {
      const { text } = await ghost('function f() {\n    ║\n}', ['for (const x of xs) {\n        use(x);'], {}, {});
      assert.equal(text, 'for (const x of xs) {\n        use(x);');
    });
  });

  describe('ablation', () => {
    it('turns each guard off on its own', async () => {
      assert.equal((await ghost('const n = ║', ['= items.length;'], {}, { guards: [] })).text, '= items.length;');
      assert.equal((await ghost('const n = ║', ['= items.length;'], {}, { guards: ['repetition'] })).text, '= items.length;');
      assert.equal((await ghost('const n = ║', ['= items.length;'], {}, { guards: 'all' })).text, 'items.length;');
    });

    it('logs no code when a guard cuts', async () => {
      const { records } = await ghost('const n = ║', ['= secretValue;']);
      assert.ok(!JSON.stringify(records).includes('secretValue'));
    });
  });
});
