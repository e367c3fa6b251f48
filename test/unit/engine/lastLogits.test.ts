import * as assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from '../../../src/common/logger';
import { Engine, generateText } from '../../../src/engine';
import { keepLastLogits } from '../../../src/engine/lastLogits';
import { countBelowLevel, raiseNBitsAccuracy } from '../../../src/engine/nbitsAccuracy';
import { graphSkeleton } from '../../../src/engine/onnxExternalRefs';
import { MalformedOnnxError, bytesField } from '../../../src/engine/onnxWire';
import { MODEL_DIR, modelPresent } from './modelFixture';

const describeModel = modelPresent ? describe : describe.skip;

/** A ModelProto whose graph has one node of `op` producing `logits` from `x`. */
function oneNodeModel(op: string): Uint8Array {
  const node = Buffer.concat([bytesField(1, 'x'), bytesField(2, 'logits'), bytesField(4, op)]);
  return bytesField(7, bytesField(1, node));
}

describe('last-logits graph edit: input it must leave alone', () => {
  it('a truncated file is a MalformedOnnxError, not a wrong model', () => {
    assert.throws(() => keepLastLogits(Uint8Array.from([0x3a, 0x10, 0x0a, 0x02])), MalformedOnnxError);
  });
  it('a file with no graph is returned as it is', () => {
    const bytes = Uint8Array.from([0x08, 0x07]);
    const out = keepLastLogits(bytes);
    assert.equal(out.added, false);
    assert.equal(out.model, bytes);
  });
  it('a graph whose logits do not come from a matrix product is returned as it is', () => {
    const bytes = oneNodeModel('Softmax');
    assert.equal(keepLastLogits(bytes).added, false);
    assert.equal(keepLastLogits(bytes).model, bytes);
  });
  it('a one-MatMul graph gets the input and the slice in front of the MatMul', () => {
    const { model, added } = keepLastLogits(oneNodeModel('MatMul'));
    assert.equal(added, true);
    const text = Buffer.from(model).toString('latin1');
    assert.ok(text.includes('num_logits_to_keep') && text.includes('Slice') && text.includes('autoglm_keep_logits_hidden'));
    assert.equal(keepLastLogits(model).added, false, 'a second pass has nothing to do');
  });
});

describeModel('last-logits graph edit on the bundled model (skipped when models/autoglm-coder is absent)', function () {
  this.timeout(300_000);

  for (const file of ['model.onnx', 'model_q4.onnx', 'model_int8.onnx']) {
    it(`${file}: the output projection is found, the file grows by under 1 KB, and a second pass changes nothing`, () => {
      const bytes = readFileSync(path.join(MODEL_DIR, 'onnx', file));
      const { model, added } = keepLastLogits(bytes);
      assert.equal(added, true);
      assert.ok(model.length > bytes.length && model.length < bytes.length + 1024, `${bytes.length} -> ${model.length}`);
      assert.equal(keepLastLogits(model).added, false);
    });
  }

  it('the graph skeleton (nodes and inputs, no weights) tells the same as the whole file, at a fraction of its size', async () => {
    const file = path.join(MODEL_DIR, 'onnx', 'model_q4.onnx');
    const skeleton = await graphSkeleton(file);
    const bytes = readFileSync(file);
    assert.ok(skeleton.length < bytes.length / 4, `${skeleton.length} of ${bytes.length}`);
    assert.equal(countBelowLevel(skeleton), countBelowLevel(bytes));
    assert.equal(keepLastLogits(skeleton).added, true);
    const edited = keepLastLogits(raiseNBitsAccuracy(bytes).model).model;
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-skeleton-'));
    try {
      await fs.writeFile(path.join(tmp, 'model_q4.onnx'), edited);
      const again = await graphSkeleton(path.join(tmp, 'model_q4.onnx'));
      assert.equal(countBelowLevel(again), 0);
      assert.equal(keepLastLogits(again).added, false);
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });

  it('a file that already carries both edits loads as it is, with last-position logits', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-edited-'));
    try {
      for (const f of await fs.readdir(MODEL_DIR)) if (f.endsWith('.json') || f.endsWith('.jinja')) await fs.copyFile(path.join(MODEL_DIR, f), path.join(tmp, f));
      await fs.mkdir(path.join(tmp, 'onnx'));
      const bytes = readFileSync(path.join(MODEL_DIR, 'onnx', 'model_q4.onnx'));
      await fs.writeFile(path.join(tmp, 'onnx', 'model_q4.onnx'), keepLastLogits(raiseNBitsAccuracy(bytes).model).model);
      const lines: string[] = [];
      const note = (m: string) => void lines.push(m);
      const logger: Logger = { trace: note, debug: note, info: note, warn: note, error: note, child: () => logger };
      const edited = await Engine.load({ modelDir: tmp, variant: 'q4', provider: 'cpu', logger });
      const shipped = await Engine.load({ modelDir: MODEL_DIR, variant: 'q4', provider: 'cpu' });
      try {
        assert.equal(edited.model.lastLogitsOnly, true);
        assert.equal(edited.model.int8Rewritten, 0);
        assert.ok(!lines.includes('model graph edited at load time'), lines.join('\n'));
        const prompt = 'export function add(a: number, b: number): number {\n';
        const request = { prompt, maxTokens: 24, temperature: 0, stopAtEos: false };
        assert.deepEqual((await generateText(edited, request)).tokenIds, (await generateText(shipped, request)).tokenIds);
      } finally {
        await edited.dispose();
        await shipped.dispose();
      }
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });

  const prompts = ['export function add(a: number, b: number): number {\n', 'class Stack<T> {\n  private items: T[] = [];\n', 'def parse(argv):\n'];
  for (const variant of ['fp32', 'q4'] as const) {
    it(`${variant}: greedy output equals all-position logits, alone and batched`, async () => {
      const trimmed = await Engine.load({ modelDir: MODEL_DIR, variant, provider: 'cpu' });
      const full = await Engine.load({ modelDir: MODEL_DIR, variant, provider: 'cpu', lastLogitsOnly: false, speculation: false });
      try {
        assert.equal(trimmed.model.lastLogitsOnly, true);
        assert.equal(full.model.lastLogitsOnly, false);
        const request = (prompt: string) => ({ prompt, maxTokens: 24, temperature: 0, stopAtEos: false, usePrefixCache: false });
        const expected = [];
        for (const p of prompts) expected.push((await generateText(full, request(p))).tokenIds);
        for (const [i, p] of prompts.entries()) assert.deepEqual((await generateText(trimmed, request(p))).tokenIds, expected[i], p);
        const batched = await Promise.all(prompts.map((p) => generateText(trimmed, request(p))));
        assert.deepEqual(batched.map((b) => b.tokenIds), expected);
      } finally {
        await trimmed.dispose();
        await full.dispose();
      }
    });
  }

  async function firstLogprobs(engine: Engine, prompt: string): Promise<Map<string, number>> {
    for await (const ev of engine.generate({ prompt, maxTokens: 1, temperature: 0, logprobs: 5, usePrefixCache: false })) {
      if (ev.type === 'delta' && ev.logprobs?.[0]) return new Map(ev.logprobs[0].top.map((t) => [t.token, t.logprob]));
    }
    throw new Error('no logprobs');
  }

  it('int8: the output projection quantizes only the positions kept, so log-probabilities stay within 0.15 nats of all-position logits', async () => {
    // DynamicQuantizeLinear scales the projection's input over the whole tensor: with fewer
    // positions the scale changes, so int8 logits move by a little (documented tolerance).
    const trimmed = await Engine.load({ modelDir: MODEL_DIR, variant: 'int8', provider: 'cpu' });
    const full = await Engine.load({ modelDir: MODEL_DIR, variant: 'int8', provider: 'cpu', lastLogitsOnly: false });
    try {
      assert.equal(trimmed.model.lastLogitsOnly, true);
      for (const p of prompts) {
        const a = await firstLogprobs(trimmed, p);
        const b = await firstLogprobs(full, p);
        const shared = [...b].filter(([token]) => a.has(token));
        assert.ok(shared.length >= 4, `${p}: top 5 share ${shared.length}`);
        for (const [token, logprob] of shared) assert.ok(Math.abs(a.get(token)! - logprob) < 0.15, `${p}: ${token} ${a.get(token)} vs ${logprob}`);
      }
    } finally {
      await trimmed.dispose();
      await full.dispose();
    }
  });
});
