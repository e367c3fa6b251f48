/**
 * The fp32 output projection of a q4 file quantized to 8 bits at load time, on the bundled model
 * rewritten into the layout published q4 files of tied-embedding models have (the projection an
 * fp32 table behind a Transpose; tools/model/onnxRewrite.ts --fp32-tied-head), inline and with
 * external weight data: the edit is found from the nodes alone, and greedy output follows the
 * unedited file's within a tolerance (log-probabilities within 0.1 nats; tokens part only at near
 * ties).
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../../src/engine';
import { hasFp32Head, quantizeHead, quantizeRows, tensorProto } from '../../../src/engine/headQuantize';
import { graphSkeleton } from '../../../src/engine/onnxExternalRefs';
import { MalformedOnnxError, bytesField } from '../../../src/engine/onnxWire';
import { rewriteRefusal } from '../../../src/engine/graphEdits';
import { MODEL_DIR, modelPresent } from './modelFixture';
import { useRewrittenModel } from './rewrittenModel';

const describeModel = modelPresent ? describe : describe.skip;
const noExternal = (): Uint8Array => {
  throw new Error('no external data expected');
};

const PROMPTS = ['def fibonacci(n):\n', 'import os\nimport sys\n\n', '<|fim_prefix|>function add(a, b) {\n  return <|fim_suffix|>;\n}<|fim_middle|>', 'class Stack:\n    def __init__(self):\n'];
/** Largest change of a token's log-probability the 8-bit projection may make (measured: under 0.06 on these prompts, the projection and the lookup both 8-bit). */
const TOLERANCE_NATS = 0.1;

interface Step {
  token: number;
  logprob: number;
  /** Log-probability of the runner-up. */
  second: number;
}

async function greedySteps(dir: string, quantizeHead: boolean): Promise<{ runs: Step[][]; headQuantized: boolean }> {
  const engine = await Engine.load({ modelDir: dir, variant: 'q4', provider: 'cpu', quantizeHead, speculation: false });
  try {
    const runs: Step[][] = [];
    for (const prompt of PROMPTS) {
      const steps: Step[] = [];
      for await (const event of engine.generate({ prompt, maxTokens: 16, temperature: 0, logprobs: 2, stopAtEos: false })) {
        if (event.type !== 'delta') continue;
        event.logprobs?.forEach((lp, i) => steps.push({ token: event.tokenIds[i]!, logprob: lp.logprob, second: lp.top?.[1]?.logprob ?? -Infinity }));
      }
      runs.push(steps);
    }
    return { runs, headQuantized: engine.model.headQuantized };
  } finally {
    await engine.dispose();
  }
}

/**
 * Each prompt's greedy tokens agree until they part at a near tie (the unedited run's top two
 * within the tolerance), and the agreed tokens' log-probabilities differ by at most the tolerance.
 * Returns how many prompts agreed on all their tokens.
 */
function assertWithinTolerance(plain: Step[][], edited: Step[][]): number {
  let identical = 0;
  plain.forEach((steps, p) => {
    const other = edited[p]!;
    assert.equal(other.length, steps.length);
    const parted = steps.findIndex((s, i) => s.token !== other[i]!.token);
    const agreed = parted < 0 ? steps.length : parted;
    for (let i = 0; i < agreed; i++) assert.ok(Math.abs(steps[i]!.logprob - other[i]!.logprob) <= TOLERANCE_NATS, `prompt ${p} step ${i}: ${steps[i]!.logprob} vs ${other[i]!.logprob}`);
    if (parted < 0) identical++;
    else assert.ok(steps[parted]!.logprob - steps[parted]!.second <= TOLERANCE_NATS, `prompt ${p} parted at step ${parted}, not at a near tie`);
  });
  return identical;
}

describe('output projection quantized to 8 bits: pure parts', () => {
  it('symmetric 8-bit blocks of 32 hold each weight within half a step, in either stored layout', () => {
    const n = 3;
    const k = 64;
    const w = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
    for (const transposed of [false, true]) {
      const stored = transposed ? Float32Array.from({ length: n * k }, (_, i) => w[(i % n) * k + Math.floor(i / n)]!) : w;
      const { b, scales } = quantizeRows(stored, n, k, transposed);
      assert.equal(b.length, n * k);
      assert.equal(scales.length, n * 2);
      for (let row = 0; row < n; row++) {
        for (let col = 0; col < k; col++) {
          const scale = scales[row * 2 + Math.floor(col / 32)]!;
          const back = (b[row * k + col]! - 128) * scale;
          assert.ok(Math.abs(back - w[row * k + col]!) <= scale / 2 + 1e-6, `row ${row} col ${col}`);
        }
      }
    }
  });

  it('a truncated file is a MalformedOnnxError; bytes with no graph come back as they are', () => {
    assert.throws(() => quantizeHead(Uint8Array.from([0x3a, 0x10, 0x0a, 0x02]), noExternal), MalformedOnnxError);
    const bytes = Uint8Array.from([0x08, 0x07]);
    assert.equal(quantizeHead(bytes, noExternal).model, bytes);
    assert.equal(hasFp32Head(bytes), false);
  });
});

describeModel('output projection quantized to 8 bits on the bundled model (skipped when models/autoglm-coder is absent)', function () {
  this.timeout(300_000);
  const inline = useRewrittenModel('autoglm-head-', [{ from: 'model_q4.onnx', name: 'model_q4.onnx', options: { fp32TiedHead: true } }]);
  const external = useRewrittenModel('autoglm-head-ext-', [{ from: 'model_q4.onnx', name: 'model_q4.onnx', options: { fp32TiedHead: true, external: {} } }]);

  it('is found from the nodes alone in the rewritten file, not in the bundled files, whose projections are quantized or fp32 by choice', async () => {
    assert.equal(hasFp32Head(await graphSkeleton(path.join(inline(), 'onnx', 'model_q4.onnx'))), true);
    assert.equal(hasFp32Head(await graphSkeleton(path.join(MODEL_DIR, 'onnx', 'model_q4.onnx'))), false);
    // The fp32 file's projection is a MatMul on an initializer too, but a file without 4-bit nodes is not a q4 file.
    assert.equal(hasFp32Head(await graphSkeleton(path.join(MODEL_DIR, 'onnx', 'model.onnx'))), false);
  });

  it('replaces the MatMul and the Transpose by one 8-bit MatMulNBits; a second pass changes nothing', () => {
    const bytes = readFileSync(path.join(inline(), 'onnx', 'model_q4.onnx'));
    const { model, quantized } = quantizeHead(bytes, noExternal);
    assert.equal(quantized, true);
    const text = Buffer.from(model).toString('latin1');
    assert.ok(text.includes('autoglm_head_q8_B') && text.includes('autoglm_head_q8_scales'));
    assert.ok(!text.includes('/lm_head/Transpose'), 'the Transpose is gone');
    // 8,192 x 256 weights: one byte each plus a scale per 32 (twice: the lookup's have another
    // shape) come in; the fp32 table goes, since the lookup now reads the 8-bit blocks.
    const added = 8192 * 256 + 2 * ((8192 * 256 * 4) / 32);
    assert.ok(Math.abs(model.length - (bytes.length - 8192 * 256 * 4 + added)) < 4096, `${bytes.length} -> ${model.length}`);
    assert.ok(text.includes('GatherBlockQuantized'));
    assert.equal(quantizeHead(model, noExternal).quantized, false);
  });

  it('greedy output of the edited file equals the unedited one within the tolerance (inline weights)', async () => {
    const plain = await greedySteps(inline(), false);
    const edited = await greedySteps(inline(), true);
    assert.equal(plain.headQuantized, false);
    assert.equal(edited.headQuantized, true);
    // The bundled model's distributions are flat (top tokens near -1.4 nats), so near ties are
    // common; all four prompts keep every token here.
    assert.ok(assertWithinTolerance(plain.runs, edited.runs) >= 1, 'some prompt keeps all its tokens');
  });

  it('reads the table from external data beside the file, with the same output', async () => {
    const plain = await greedySteps(external(), false);
    const edited = await greedySteps(external(), true);
    assert.equal(edited.headQuantized, true);
    assertWithinTolerance(plain.runs, edited.runs);
    const inlineEdited = await greedySteps(inline(), true);
    assert.deepEqual(edited.runs, inlineEdited.runs, 'external and inline tables give the same edit');
  });
});

/** A graph with the published layout's shape: the table feeds the projection through a Transpose, and `readers` besides. */
function tiedHeadModel(readers: ReadonlyArray<'lookup' | 'other'>): Uint8Array {
  const node = (op: string, inputs: string[], output: string, domain = '') =>
    bytesField(1, Buffer.concat([...inputs.map((i) => bytesField(1, i)), bytesField(2, output), bytesField(4, op), ...(domain ? [bytesField(7, domain)] : [])]));
  const table = new Float32Array(1024 * 1024).map((_, i) => Math.sin(i));
  const nodes = [
    ...(readers.includes('lookup') ? [node('Gather', ['table', 'ids'], 'embedded')] : []),
    ...(readers.includes('other') ? [node('Mul', ['table', 'two'], 'doubled')] : []),
    node('MatMulNBits', ['embedded', 'w_q4', 'w_scales'], 'hidden', 'com.microsoft'),
    node('Transpose', ['table'], 'table_T'),
    node('MatMul', ['hidden', 'table_T'], 'logits'),
  ];
  return bytesField(7, Buffer.concat([...nodes, bytesField(5, tensorProto('table', 1, [1024, 1024], new Uint8Array(table.buffer)))]));
}

const MIB = 1024 * 1024;
const sizeAfter = (bytes: Uint8Array, tableKept: boolean, lookupScales: boolean) => bytes.length - (tableKept ? 0 : 4 * MIB) + MIB + (lookupScales ? 2 : 1) * ((4 * MIB) / 32);

describe('output projection quantized to 8 bits: what else reads the table', () => {
  it('a token lookup reads the 8-bit blocks instead, and the table goes with the Transpose', () => {
    const bytes = tiedHeadModel(['lookup']);
    const { model, quantized } = quantizeHead(bytes, noExternal);
    assert.equal(quantized, true);
    const text = Buffer.from(model).toString('latin1');
    assert.ok(!text.includes('table_T'), 'the Transpose and its output are gone');
    assert.ok(text.includes('GatherBlockQuantized') && text.includes('autoglm_head_q8_B'));
    assert.ok(Math.abs(model.length - sizeAfter(bytes, false, true)) < 4096, `${bytes.length} -> ${model.length}`);
  });
  it('the table stays for a reader that is not a lookup', () => {
    const bytes = tiedHeadModel(['lookup', 'other']);
    const { model } = quantizeHead(bytes, noExternal);
    assert.ok(Math.abs(model.length - sizeAfter(bytes, true, true)) < 4096, `${bytes.length} -> ${model.length}`);
  });
  it('the table goes when nothing else reads it', () => {
    const bytes = tiedHeadModel([]);
    const { model } = quantizeHead(bytes, noExternal);
    assert.ok(Math.abs(model.length - sizeAfter(bytes, false, false)) < 4096, `${bytes.length} -> ${model.length}`);
  });
});

describe('whether a model file is edited in memory', () => {
  it('needs four times the file free, and a file under protobuf’s 2 GiB', () => {
    const gb = 2 ** 30;
    assert.equal(rewriteRefusal(1.8 * gb, 16 * gb), undefined, 'a 1.5B q4 file on a machine with 16 GB free');
    assert.match(rewriteRefusal(1.8 * gb, 6 * gb) ?? '', /not enough free memory/);
    assert.match(rewriteRefusal(2 * gb, 64 * gb) ?? '', /too large/);
    assert.equal(rewriteRefusal(0.8 * gb, 3.2 * gb), undefined);
  });
});
