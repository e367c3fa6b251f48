import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Engine, generateText } from '../../../src/engine';
import { countBelowLevel, raiseNBitsAccuracy } from '../../../src/engine/nbitsAccuracy';
import { MalformedOnnxError } from '../../../src/engine/onnxWire';
import { MODEL_DIR, modelPresent } from './modelFixture';

const describeModel = modelPresent ? describe : describe.skip;

describe('4-bit accuracy level rewrite: malformed input', () => {
  it('a truncated file is a MalformedOnnxError, not a wrong model', () => {
    const bytes = Uint8Array.from([0x3a, 0x10, 0x0a, 0x02]); // graph field claiming 16 bytes, holding 2
    assert.throws(() => raiseNBitsAccuracy(bytes), MalformedOnnxError);
  });
  it('a file with no graph is returned as it is', () => {
    const bytes = Uint8Array.from([0x08, 0x07]); // ir_version 7 only
    const out = raiseNBitsAccuracy(bytes);
    assert.equal(out.changed, 0);
    assert.equal(out.model, bytes);
  });
});

describeModel('4-bit accuracy level rewrite on the bundled q4 model (skipped when models/autoglm-coder is absent)', function () {
  this.timeout(300_000);
  const file = path.join(MODEL_DIR, 'onnx', 'model_q4.onnx');

  it('raises every MatMulNBits node to level 4, growing the file by at most one attribute per node', () => {
    const bytes = readFileSync(file);
    const before = countBelowLevel(bytes);
    assert.ok(before > 0, 'the shipped q4 file uses the default level');
    const { model, changed } = raiseNBitsAccuracy(bytes);
    assert.equal(changed, before);
    assert.equal(countBelowLevel(model), 0);
    // a node's accuracy_level attribute is replaced (same size) or added (about 22 bytes with its headers)
    assert.ok(model.length >= bytes.length && model.length < bytes.length + changed * 40, `${bytes.length} -> ${model.length}`);
    assert.equal(raiseNBitsAccuracy(model).changed, 0, 'a second pass has nothing to do');
  });

  it('the engine opens the rewritten model, says so, and greedy output matches the file as it is', async () => {
    const fast = await Engine.load({ modelDir: MODEL_DIR, variant: 'q4', provider: 'cpu' });
    const plain = await Engine.load({ modelDir: MODEL_DIR, variant: 'q4', provider: 'cpu', int8Compute: false });
    try {
      assert.ok(fast.model.int8Rewritten > 0);
      assert.equal(plain.model.int8Rewritten, 0);
      for (const prompt of ['export function add(a: number, b: number): number {\n', 'class Stack<T> {\n  private items: T[] = [];\n']) {
        const a = await generateText(fast, { prompt, maxTokens: 32 });
        const b = await generateText(plain, { prompt, maxTokens: 32 });
        assert.deepEqual(a.tokenIds, b.tokenIds, prompt);
      }
    } finally {
      await fast.dispose();
      await plain.dispose();
    }
  });
});
