import assert from 'node:assert/strict';
import { CompletionPipeline, promptBudget } from '../../../src/completion/pipeline';
import { healText } from '../../../src/completion/healing';
import { BUILTIN_FIM_TEMPLATES, fimFamilyRecord } from '../../../src/completion/fimTemplates';
import { ScriptedBackend, noSleep, settings, snapshot } from './fixtures';

describe('completion/healing: the text cut off the prompt and forced on the output', () => {
  const cases: Array<[string, string]> = [
    ['while (this.#calculatedSi', 'calculatedSi'],
    ['const maxSize = this.#max', 'max'],
    ['    return fibonacci(n - 1) + fib', ' fib'],
    ['x = ', ' '],
    ['\t\tif (x) {\n\t\t\t', '\t'],
    ['                ', ' '],
    ['                whi', ' whi'],
    ['snake_case_na', 'snake_case_na'],
    ['$el', '$el'],
    ['value2', 'value2'],
    ['const größe = grö', ' grö'],
    ['foo(', '('],
    ['items.', '.'],
    ['x =', ' ='],
    ['callback(err, value)', ')'],
    ['const x = "a";', '";'],
    ['line\n', ''],
    ['', ''],
    [`const ${'a'.repeat(40)}`, ''],
    [`// ${'='.repeat(40)}`, ''],
  ];
  for (const [prefix, expected] of cases) {
    it(`${JSON.stringify(prefix.slice(-24))} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(healText(prefix), expected);
      assert.ok(prefix.endsWith(expected));
    });
  }
});

describe('completion/promptBudget', () => {
  const qwen = BUILTIN_FIM_TEMPLATES['qwen2.5-coder'];
  const autoglm = BUILTIN_FIM_TEMPLATES['autoglm-coder'];
  it('is the setting when the model has room', () => {
    assert.equal(promptBudget(1024, 128, qwen, 32_768), 1024);
    assert.equal(promptBudget(1024, 128, qwen, undefined), 1024);
  });
  it('leaves room for the output in a short context window', () => {
    assert.equal(promptBudget(1024, 128, qwen, 1024), 896);
  });
  it("keeps the bundled model's prompt and output within the 512-token windows it was trained on", () => {
    assert.equal(promptBudget(1024, 128, autoglm, 2048), 384);
    assert.equal(promptBudget(1024, 64, autoglm, 2048), 448);
    assert.equal(promptBudget(256, 64, autoglm, 2048), 256);
  });
  it("a template built on the family's record (as prompt packs are) keeps its trained context", () => {
    const fromPack = { ...fimFamilyRecord('autoglm-coder'), render: (p: string, s: string) => `${s}${p}` };
    assert.equal(promptBudget(1024, 128, fromPack, 2048), 384);
  });
  it('never goes below 64 tokens', () => {
    assert.equal(promptBudget(1024, 128, qwen, 100), 64);
  });
});

describe('completion/pipeline with token healing', () => {
  const run = async (marked: string, info: { forcedPrefix?: boolean; modelFamily?: string }, healing?: boolean) => {
    const backend = new ScriptedBackend(() => ['ze) {\n'], { info });
    const pipeline = new CompletionPipeline({ backend, settings: settings(), sleep: noSleep, ...(healing !== undefined ? { healing } : {}) });
    const result = await pipeline.provide(snapshot(marked), new AbortController().signal);
    return { request: backend.requests[0]!, result };
  };

  it('cuts the partial word off the prompt and asks the backend to start with it', async () => {
    const { request, result } = await run('while (size > maxSi║)', { forcedPrefix: true });
    assert.equal(request.forcedPrefix, ' maxSi');
    assert.ok(request.prompt.includes('<|fim_prefix|>while (size ><|fim_suffix|>'), request.prompt);
    // The backend's answer starts after the forced text, so it is inserted at the cursor as it is.
    assert.ok(result?.text.startsWith('ze'), result?.text);
  });

  it('sends the whole prefix to a backend that cannot force a prefix', async () => {
    const { request } = await run('while (size > maxSi║)', {});
    assert.equal(request.forcedPrefix, undefined);
    assert.ok(request.prompt.includes('<|fim_prefix|>while (size > maxSi<|fim_suffix|>'), request.prompt);
  });

  it('can be turned off', async () => {
    const { request } = await run('while (size > maxSi║)', { forcedPrefix: true }, false);
    assert.equal(request.forcedPrefix, undefined);
  });

  it('heals a run of punctuation the same way', async () => {
    const { request } = await run('foo(║)', { forcedPrefix: true });
    assert.equal(request.forcedPrefix, '(');
    assert.ok(request.prompt.includes('<|fim_prefix|>foo<|fim_suffix|>'), request.prompt);
  });

  it('leaves a prompt that ends in a line break as it is', async () => {
    const { request } = await run('foo();\n║', { forcedPrefix: true });
    assert.equal(request.forcedPrefix, undefined);
  });

  it('cuts the bundled model family prompt to its trained windows', async () => {
    const lines = Array.from({ length: 400 }, (_, i) => `export const value${i} = ${i};`);
    const { request } = await run(`${lines.join('\n')}\nexport const v║\n${lines.join('\n')}`, { modelFamily: 'autoglm-coder', forcedPrefix: true });
    assert.ok(request.prompt.startsWith('<|fim_suffix|>'), 'suffix-first form');
    // Estimated tokens (3 characters each): within 512 minus the output tokens.
    assert.ok(request.prompt.length / 3 <= 512 - request.maxTokens, `${request.prompt.length} characters, ${request.maxTokens} output tokens`);
  });
});
