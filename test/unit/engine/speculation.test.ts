import assert from 'node:assert/strict';
import { Engine, generateText } from '../../../src/engine';
import { DEFAULT_PROMPT_LOOKUP } from '../../../src/engine/promptLookup';
import { MODEL_DIR, modelPresent } from './modelFixture';

const REPEATED = 'const a = items.map((item) => item.id);\nconst b = items.map((item) => item.id);\nconst c = items.map((item) => item.';
const FIM = '<|fim_prefix|>function f(x) {\n  return x + 1;\n}\nfunction g(x) {\n  return <|fim_suffix|>\n}\n<|fim_middle|>';
const describeModel = modelPresent ? describe : describe.skip;

describeModel('prompt-lookup speculation on the bundled model (skipped when models/autoglm-coder is absent)', function () {
  this.timeout(300_000);
  let on: Engine;
  let off: Engine;
  before(async () => {
    on = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu', speculation: { promptLookup: DEFAULT_PROMPT_LOOKUP } });
    off = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu', speculation: false });
  });
  after(async () => {
    await on?.dispose();
    await off?.dispose();
  });

  for (const [name, request] of [
    ['greedy, repeated lines', { prompt: REPEATED, maxTokens: 40, stopAtEos: false, usePrefixCache: false }],
    ['greedy, FIM', { prompt: FIM, maxTokens: 30, usePrefixCache: false }],
    ['maxTokens and a stop sequence inside drafts', { prompt: REPEATED, maxTokens: 13, stop: ['const d'], stopAtEos: false, usePrefixCache: false }],
    ['seeded sampling', { prompt: REPEATED, maxTokens: 40, temperature: 0.8, seed: 7, stopAtEos: false, usePrefixCache: false }],
  ] as const) {
    it(`${name}: output equals decoding without speculation`, async () => {
      const before = on.stats().acceptedDraftTokens;
      const a = await generateText(on, request);
      const b = await generateText(off, request);
      assert.deepEqual(a.tokenIds, b.tokenIds);
      assert.equal(a.text, b.text);
      if (name.startsWith('greedy, repeated')) assert.ok(on.stats().acceptedDraftTokens > before, 'some drafts were accepted');
    });
  }

  it('the prefix cache is right after a speculative run', async () => {
    const request = { prompt: REPEATED, maxTokens: 30, stopAtEos: false };
    const first = await generateText(on, request);
    const second = await generateText(on, request);
    assert.ok(second.stats.reusedTokens > 0);
    assert.deepEqual(second.tokenIds, first.tokenIds);
    assert.deepEqual(first.tokenIds, (await generateText(off, { ...request, usePrefixCache: false })).tokenIds);
  });
});
