/**
 * inspectIo on synthetic session metadata: an export that fixes a sequence axis (the new tokens,
 * the attention mask's total length or the cached past) cannot run a growing KV cache and is
 * refused at load with an error naming the axis and the config's context, instead of failing
 * on the first prompt of another length.
 */
import assert from 'node:assert/strict';
import type * as ort from 'onnxruntime-node';
import { ModelLoadError } from '../../../src/common/errors';
import { inspectIo } from '../../../src/engine/decoderSession';
import type { ModelConfig } from '../../../src/engine/modelFolder';

type Meta = ort.InferenceSession.ValueMetadata;
type Dim = number | string;

const CONFIG: ModelConfig = { modelType: 'qwen2', layers: 2, heads: 4, kvHeads: 2, headDim: 8, hiddenSize: 32, vocabSize: 64, maxPositions: 4096, contextLength: 4096, tieWordEmbeddings: false, ropeScaling: undefined, slidingWindow: undefined };

const tensor = (name: string, type: 'int64' | 'float32', shape: Dim[]): Meta => ({ name, isTensor: true, type, shape }) as Meta;

/** The layout of the bundled export: symbolic batch and sequence axes, fixed heads and head size. */
function io(overrides: Record<string, Dim[]> = {}): { inputs: Meta[]; outputs: Meta[] } {
  const shapeOf = (name: string, shape: Dim[]): Dim[] => overrides[name] ?? shape;
  const inputs = [
    tensor('input_ids', 'int64', shapeOf('input_ids', ['batch_size', 'sequence_length'])),
    tensor('attention_mask', 'int64', shapeOf('attention_mask', ['batch_size', 'total_sequence_length'])),
    tensor('position_ids', 'int64', shapeOf('position_ids', ['batch_size', 'sequence_length'])),
  ];
  const outputs = [tensor('logits', 'float32', ['batch_size', 'sequence_length', 64])];
  for (let l = 0; l < CONFIG.layers; l++) {
    for (const kind of ['key', 'value']) {
      inputs.push(tensor(`past_key_values.${l}.${kind}`, 'float32', shapeOf(`past_key_values.${l}.${kind}`, ['batch_size', 2, 'past_sequence_length', 8])));
      outputs.push(tensor(`present.${l}.${kind}`, 'float32', ['batch_size', 2, 'total_sequence_length', 8]));
    }
  }
  return { inputs, outputs };
}

describe('decoder I/O: fixed sequence axes of the ONNX graph', () => {
  it('accepts the symbolic layout of the bundled export', () => {
    const { inputs, outputs } = io();
    const got = inspectIo('model.onnx', inputs, outputs, CONFIG);
    assert.equal(got.positionIds, 'position_ids');
    assert.deepEqual(got.shape, { layers: 2, kvHeads: 2, headDim: 8, dtype: 'float32' });
  });

  const FIXED: Array<[string, Record<string, Dim[]>, RegExp]> = [
    ['input_ids of a fixed length', { input_ids: ['batch_size', 128] }, /input_ids axis 1 = 128/],
    ['an attention mask of a fixed total length', { attention_mask: [1, 2048] }, /attention_mask axis 1 = 2048/],
    ['position_ids of a fixed length', { position_ids: ['batch_size', 1] }, /position_ids axis 1 = 1/],
    ['a past of a fixed length', { 'past_key_values.1.value': ['batch_size', 2, 512, 8] }, /past_key_values\.1\.value axis 2 = 512/],
  ];
  for (const [kind, overrides, named] of FIXED) {
    it(`refuses ${kind}, naming the axis and the config's context`, () => {
      const { inputs, outputs } = io(overrides);
      assert.throws(
        () => inspectIo('model.onnx', inputs, outputs, CONFIG),
        (e: unknown) => e instanceof ModelLoadError && e.code === 'fixed-sequence-length' && e.file === 'model.onnx' && named.test(e.problem) && /max_position_embeddings = 4096/.test(e.problem),
      );
    });
  }

  it('a fixed batch axis is not a sequence limit', () => {
    const { inputs, outputs } = io({ input_ids: [1, 'sequence_length'] });
    assert.equal(inspectIo('model.onnx', inputs, outputs, CONFIG).inputIds, 'input_ids');
  });
});
