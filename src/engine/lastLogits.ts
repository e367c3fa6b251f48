/**
 * Gives a decoder graph the `num_logits_to_keep` input of Hugging Face exports, in memory, before
 * onnxruntime opens the file: the hidden states going into the output projection are sliced to
 * the last N positions. A prompt run then projects only its last position onto the vocabulary
 * (151,936 columns for Qwen: about a quarter of a 0.5B model's arithmetic per token, and 600 KB of
 * logits per token) instead of every position; a speculative verify run asks for all of them.
 *
 * The output projection is found from the `logits` output back through element-wise ops (Mul,
 * Add, Cast) to a MatMul, MatMulNBits, or MatMulInteger fed by DynamicQuantizeLinear; the slice
 * goes in front of that first node. A graph of any other shape, or one that already has the
 * input, is left as it is.
 */
import { GRAPH_INPUT, GRAPH_NODE, NODE_INPUT, NODE_OP_TYPE, NODE_OUTPUT, TENSOR_DATA_TYPE, TENSOR_DIMS, TENSOR_RAW_DATA, WIRE_BYTES, bytesField, editGraph, fields, messages, nodeProto, tensorAttribute, text, varintField, written, type GraphEdit, type GraphField } from './onnxWire';

export const LOGITS_TO_KEEP = 'num_logits_to_keep';

const VALUE_NAME = 1;
const VALUE_TYPE = 2;
const TYPE_TENSOR = 1;
const TENSOR_TYPE_ELEM = 1;
const TENSOR_TYPE_SHAPE = 2;
const INT64 = 7;

/** Ops between the projection and `logits` that act on each position alone. */
const ELEMENTWISE = new Set(['Mul', 'Add', 'Cast']);
const PROJECTIONS = new Set(['MatMul', 'MatMulNBits']);
const MAX_TAIL = 6;
const PREFIX = 'autoglm_keep_logits';

export interface NodeInfo {
  field: GraphField;
  op: string;
  inputs: string[];
  outputs: string[];
}

export function readNode(field: GraphField): NodeInfo {
  const { buf, f } = field;
  const node: NodeInfo = { field, op: '', inputs: [], outputs: [] };
  for (const x of fields(buf, f.valueStart, f.end)) {
    if (x.wire !== WIRE_BYTES) continue;
    if (x.field === NODE_INPUT) node.inputs.push(text(buf, x));
    else if (x.field === NODE_OUTPUT) node.outputs.push(text(buf, x));
    else if (x.field === NODE_OP_TYPE) node.op = text(buf, x);
  }
  return node;
}

function valueName({ buf, f }: GraphField): string {
  for (const x of fields(buf, f.valueStart, f.end)) {
    if (x.field === VALUE_NAME && x.wire === WIRE_BYTES) return text(buf, x);
  }
  return '';
}

/** The node whose first input is the hidden state to slice, or undefined when the graph does not have the expected shape. */
export function projectionInput(nodes: readonly NodeInfo[]): NodeInfo | undefined {
  const producer = new Map<string, NodeInfo>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  let node = producer.get('logits');
  for (let i = 0; node && i < MAX_TAIL; i++) {
    if (PROJECTIONS.has(node.op)) return node;
    if (node.op === 'MatMulInteger') {
      const quantize = producer.get(node.inputs[0] ?? '');
      return quantize?.op === 'DynamicQuantizeLinear' ? quantize : undefined;
    }
    if (!ELEMENTWISE.has(node.op)) return undefined;
    node = producer.get(node.inputs[0] ?? '');
  }
  return undefined;
}

export function int64Tensor(values: readonly bigint[]): Uint8Array {
  const raw = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => raw.writeBigInt64LE(v, 8 * i));
  return Buffer.concat([varintField(TENSOR_DIMS, values.length), varintField(TENSOR_DATA_TYPE, INT64), bytesField(TENSOR_RAW_DATA, raw)]);
}

function encodeNode(op: string, inputs: readonly string[], output: string, tensor?: Uint8Array): Uint8Array {
  return nodeProto(op, inputs, output, tensor ? [tensorAttribute('value', tensor)] : []);
}

/** hidden[:, -num_logits_to_keep:, :] as `${PREFIX}_hidden`. */
function sliceNodes(hidden: string): Uint8Array[] {
  const name = (s: string) => `${PREFIX}_${s}`;
  return [
    encodeNode('Constant', [], name('shape'), int64Tensor([1n])),
    encodeNode('Constant', [], name('ends'), int64Tensor([2n ** 63n - 1n])),
    encodeNode('Constant', [], name('axes'), int64Tensor([1n])),
    encodeNode('Neg', [LOGITS_TO_KEEP], name('neg')),
    encodeNode('Reshape', [name('neg'), name('shape')], name('starts')),
    encodeNode('Slice', [hidden, name('starts'), name('ends'), name('axes')], name('hidden')),
  ];
}

/** The NodeProto with its first input renamed. */
function withFirstInput({ buf, f: node }: GraphField, input: string): Uint8Array {
  const parts: Uint8Array[] = [];
  let first = true;
  for (const f of fields(buf, node.valueStart, node.end)) {
    if (first && f.field === NODE_INPUT && f.wire === WIRE_BYTES) {
      parts.push(bytesField(NODE_INPUT, input));
      first = false;
    } else {
      parts.push(buf.subarray(f.start, f.end));
    }
  }
  return bytesField(GRAPH_NODE, Buffer.concat(parts));
}

function scalarInt64Input(name: string): Uint8Array {
  const tensorType = Buffer.concat([varintField(TENSOR_TYPE_ELEM, INT64), bytesField(TENSOR_TYPE_SHAPE, new Uint8Array())]);
  return bytesField(GRAPH_INPUT, Buffer.concat([bytesField(VALUE_NAME, name), bytesField(VALUE_TYPE, bytesField(TYPE_TENSOR, tensorType))]));
}

/** The graph edit: the slice in front of the output projection and the input it reads. */
export const keepLastLogitsEdit: GraphEdit<true> = (graph) => {
  if (messages(graph, GRAPH_INPUT).some((g) => valueName(g) === LOGITS_TO_KEEP)) return undefined;
  const nodes = messages(graph, GRAPH_NODE).map(readNode);
  const target = projectionInput(nodes);
  const hidden = target?.inputs[0];
  if (!target || !hidden) return undefined;
  const out: GraphField[] = [];
  for (const g of graph) {
    if (g === target.field) out.push(...sliceNodes(hidden).map(written), written(withFirstInput(g, `${PREFIX}_hidden`)));
    else out.push(g);
  }
  out.push(written(scalarInt64Input(LOGITS_TO_KEEP)));
  return { graph: out, report: true };
};

/**
 * The model with a `num_logits_to_keep` input (see above) and whether it was added; the same
 * buffer when the graph already has one or its output projection is not recognised.
 * Throws MalformedOnnxError on bytes that are not a well-formed protobuf.
 */
export function keepLastLogits(model: Uint8Array): { model: Uint8Array; added: boolean } {
  const edited = editGraph(model, keepLastLogitsEdit);
  return { model: edited.model, added: edited.report === true };
}
