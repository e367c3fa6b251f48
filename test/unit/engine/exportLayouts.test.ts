import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Engine, generateText } from '../../../src/engine';
import { MODEL_DIR, modelPresent } from './modelFixture';
import { useRewrittenModel } from './rewrittenModel';

const PROMPTS = ['import { readFile } from "node:fs";\n', 'def main():\n    ', 'const x = [1, 2, 3].map((v) =>', 'SELECT * FROM'];

(modelPresent ? describe : describe.skip)(
  'engine on an export without a position_ids input (skipped without the bundled model)',
  function () {
    this.timeout(300_000);
    const folder = useRewrittenModel('autoglm-nopos-', [{ from: 'model.onnx', name: 'model.onnx', options: { dropPositionIds: true } }]);

    it('the rewritten file really has no position_ids input', async () => {
      const session = await ort.InferenceSession.create(path.join(folder(), 'onnx', 'model.onnx'));
      assert.ok(!session.inputNames.includes('position_ids'));
      assert.ok(session.inputNames.includes('attention_mask'));
      await session.release();
    });

    it('gives the same greedy tokens as the original, isolated and batched with left padding', async () => {
      const original = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu' });
      const rewritten = await Engine.load({ modelDir: folder(), variant: 'fp32', provider: 'cpu' });
      try {
        const request = (prompt: string) => ({ prompt, maxTokens: 16, stopAtEos: false, usePrefixCache: false });
        const expected = [];
        for (const p of PROMPTS) expected.push((await generateText(original, request(p))).tokenIds);
        const isolated = [];
        for (const p of PROMPTS) isolated.push((await generateText(rewritten, request(p))).tokenIds);
        const batched = await Promise.all(PROMPTS.map((p) => generateText(rewritten, request(p))));
        assert.deepEqual(isolated, expected);
        assert.deepEqual(batched.map((r) => r.tokenIds), expected);
      } finally {
        await original.dispose();
        await rewritten.dispose();
      }
    });
  },
);

(modelPresent ? describe : describe.skip)(
  'engine on an export with float16 KV and logits (skipped without the bundled model)',
  function () {
    this.timeout(300_000);
    const folder = useRewrittenModel('autoglm-fp16io-', [{ from: 'model.onnx', name: 'model_fp16.onnx', options: { fp16Io: true } }]);

    it('loads as the fp16 variant and decodes with float16 KV, batched equal to isolated', async () => {
      const engine = await Engine.load({ modelDir: folder(), variant: 'auto', provider: 'cpu' });
      const reference = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu' });
      try {
        assert.equal(engine.model.variant, 'fp16', 'the only file in the folder');
        const request = (prompt: string) => ({ prompt, maxTokens: 12, stopAtEos: false, usePrefixCache: false });
        const isolated = [];
        for (const p of PROMPTS) isolated.push((await generateText(engine, request(p))).tokenIds);
        const batched = await Promise.all(PROMPTS.map((p) => generateText(engine, request(p))));
        assert.deepEqual(batched.map((r) => r.tokenIds), isolated);
        // The first token comes from float32 arithmetic in both; later ones see float16-rounded KV.
        for (let i = 0; i < PROMPTS.length; i++) {
          const fp32 = await generateText(reference, request(PROMPTS[i]!));
          assert.equal(isolated[i]![0], fp32.tokenIds[0]);
        }
        assert.ok(engine.stats().prefixCacheBytes === 0 && engine.stats().liveKvBytes === 0);
      } finally {
        await engine.dispose();
        await reference.dispose();
      }
    });
  },
);
