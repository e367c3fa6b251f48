import assert from 'node:assert/strict';
import { Engine, generateText, type GenerateEvent } from '../../../src/engine';
import { MAX_TOP_LOGPROBS, type TokenLogprob } from '../../../src/protocol/generation';
import { tokenLogprobs } from '../../../src/engine/sampling';
import { MODEL_DIR, modelPresent } from './modelFixture';

const describeModel = modelPresent ? describe : describe.skip;

describe('token log-probabilities', () => {
  it('are the log-softmax of the logits, the top ones most likely first', () => {
    const logits = new Float32Array([1, 3, 2, 0]);
    const z = Math.log([1, 3, 2, 0].reduce((s, v) => s + Math.exp(v), 0));
    const found = tokenLogprobs(logits, 2, 2);
    assert.ok(Math.abs(found.logprob - (2 - z)) < 1e-6);
    assert.deepEqual(found.top.map((t) => t.id), [1, 2]);
    assert.ok(Math.abs(found.top[0]!.logprob - (3 - z)) < 1e-6);
    assert.deepEqual(tokenLogprobs(logits, 0, 0).top, []);
  });

  it('give -Infinity to a token masked out and keep the others finite', () => {
    const found = tokenLogprobs(new Float32Array([-Infinity, 0, 0]), 1, 3);
    assert.equal(found.top.at(-1)!.logprob, -Infinity);
    assert.ok(Math.abs(found.logprob - Math.log(0.5)) < 1e-6);
  });
});

describeModel('engine log-probabilities on the bundled model (skipped when models/autoglm-coder is absent)', function () {
  this.timeout(300_000);
  let engine: Engine;
  const prompt = '<|fim_prefix|>function add(a, b) {\n  return <|fim_suffix|>\n}\n<|fim_middle|>';

  before(async () => {
    engine = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu' });
  });

  after(async () => {
    await engine?.dispose();
  });

  async function records(request: Parameters<Engine['generate']>[0]): Promise<{ logprobs: TokenLogprob[]; tokenIds: number[]; text: string }> {
    const logprobs: TokenLogprob[] = [];
    let done: Extract<GenerateEvent, { type: 'done' }> | undefined;
    for await (const event of engine.generate(request)) {
      if (event.type === 'delta') logprobs.push(...(event.logprobs ?? []));
      else done = event;
    }
    return { logprobs, tokenIds: done!.tokenIds, text: done!.text };
  }

  it('report one record per generated token; greedy picks the most likely, and the output is unchanged', async () => {
    const plain = await generateText(engine, { prompt, maxTokens: 12, usePrefixCache: false });
    const got = await records({ prompt, maxTokens: 12, usePrefixCache: false, logprobs: 3 });
    assert.deepEqual(got.tokenIds, plain.tokenIds, 'asking for log-probabilities does not change the output');
    assert.equal(got.logprobs.length, got.tokenIds.length);
    for (const [i, r] of got.logprobs.entries()) {
      assert.equal(r.top.length, 3);
      assert.ok(r.logprob <= 0, `token ${i}: a log-probability is at most 0`);
      assert.equal(r.top[0]!.token, r.token, `token ${i}: greedy decoding took the most likely token`);
      assert.ok(Math.abs(r.top[0]!.logprob - r.logprob) < 1e-5);
      assert.ok(r.top[0]!.logprob >= r.top[1]!.logprob && r.top[1]!.logprob >= r.top[2]!.logprob, 'most likely first');
      assert.ok(r.top.reduce((s, t) => s + Math.exp(t.logprob), 0) <= 1 + 1e-5, 'probabilities sum to at most 1');
    }
    assert.equal(got.logprobs.map((r) => r.token).join('').startsWith(got.text.slice(0, 4)), true, 'token texts spell the output');
  });

  it('name a special token by its name', async () => {
    const got = await records({ prompt, maxTokens: 64, usePrefixCache: false, logprobs: 0 });
    const last = got.logprobs.at(-1)!;
    assert.ok(engine.model.eosTokenIds.includes(got.tokenIds.at(-1)!) ? /^<\|.*\|>$/.test(last.token) : last.token !== '', `last token '${last.token}'`);
    assert.ok(got.logprobs.every((r) => r.top.length === 0));
  });

  it('are not reported unless asked for', async () => {
    for await (const event of engine.generate({ prompt, maxTokens: 4 })) {
      if (event.type === 'delta') assert.equal(event.logprobs, undefined);
    }
  });

  it('refuse a count outside 0..MAX_TOP_LOGPROBS as an invalid request', async () => {
    for (const logprobs of [-1, 1.5, MAX_TOP_LOGPROBS + 1]) {
      await assert.rejects(generateText(engine, { prompt, maxTokens: 2, logprobs }), (err: Error & { code?: string }) => err.code === 'invalid-request');
    }
  });
});
