import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataType, readOnnx, type ModelProto } from '../../../tools/model/onnxFile';
import { dropPositionIds, float16Io, rewriteOnnx } from '../../../tools/model/onnxRewrite';
import { MODEL_DIR, modelPresent } from './modelFixture';

const Q4 = path.join(MODEL_DIR, 'onnx', 'model_q4.onnx');

function elemType(model: ModelProto, list: 'input' | 'output', name: string): number | undefined {
  return model.graph[list].find((v) => v.name === name)?.type?.tensor_type?.elem_type;
}

(modelPresent ? describe : describe.skip)('ONNX rewriting tool (tools/model/onnxRewrite.ts; skipped without the bundled model)', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-rewrite-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('external data in numbered parts reads back to the same initializers, byte for byte, and leaves no partial file', async () => {
    const written = await rewriteOnnx(Q4, path.join(dir, 'model_q4.onnx'), { external: { maxPartBytes: 3_000_000 } });
    assert.deepEqual(
      written.map((f) => path.basename(f)),
      ['model_q4.onnx_data', 'model_q4.onnx_data_1', 'model_q4.onnx_data_2', 'model_q4.onnx'],
    );
    assert.deepEqual((await fs.readdir(dir)).sort(), ['model_q4.onnx', 'model_q4.onnx_data', 'model_q4.onnx_data_1', 'model_q4.onnx_data_2']);
    const original = await readOnnx(Q4);
    const back = await readOnnx(path.join(dir, 'model_q4.onnx'));
    assert.equal(back.graph.initializer.length, original.graph.initializer.length);
    original.graph.initializer.forEach((tensor, i) => {
      const copy = back.graph.initializer[i]!;
      assert.equal(copy.name, tensor.name);
      assert.ok(Buffer.from(copy.raw_data ?? []).equals(Buffer.from(tensor.raw_data ?? [])), tensor.name);
    });
  });

  it('float16 I/O retypes the KV inputs and outputs and the logits, and only those', async () => {
    const model = await readOnnx(Q4);
    float16Io(model);
    assert.equal(elemType(model, 'input', 'past_key_values.0.key'), DataType.FLOAT16);
    assert.equal(elemType(model, 'output', 'present.5.value'), DataType.FLOAT16);
    assert.equal(elemType(model, 'output', 'logits'), DataType.FLOAT16);
    assert.equal(elemType(model, 'input', 'input_ids'), DataType.INT64);
    const boundaryCasts = model.graph.node.filter((n) => n.op_type === 'Cast' && (n.input[0]!.endsWith('_f32') || n.output[0]!.endsWith('_f32')));
    assert.equal(boundaryCasts.length, 12 + 13, '6 layers of past key and value in, 6 of present and the logits out');
  });

  it('dropping position_ids removes the input and computes it in the graph; a second time is refused', async () => {
    const model = await readOnnx(Q4);
    dropPositionIds(model);
    assert.ok(!model.graph.input.some((v) => v.name === 'position_ids'));
    assert.ok(model.graph.node.some((n) => n.output.includes('position_ids') && n.op_type === 'Slice'));
    assert.throws(() => dropPositionIds(model), /no position_ids input/);
  });
});
