/**
 * Rewrites a decoder export into the other layouts real ONNX model repositories ship, from the
 * same weights: another variant file name, external weight data (one file or numbered parts),
 * float16 KV cache and logits, no `position_ids` input, a q4 file's output projection in fp32
 * behind a Transpose. The engine's loading tests build their fixtures with it from the bundled
 * model.
 *
 * Usage: npx tsx tools/model/onnxRewrite.ts SRC.onnx DST.onnx [--fp16-io] [--drop-position-ids]
 *        [--fp32-tied-head] [--external] [--part-bytes N]
 */
import { parseArgs } from 'node:util';
import { AttributeType, DataType, int64, readOnnx, writeOnnx, type ExternalDataOptions, type GraphProto, type ModelProto, type NodeProto } from './onnxFile';

function renameInputs(graph: GraphProto, from: string, to: string): void {
  for (const node of graph.node) {
    node.input = node.input.map((name) => (name === from ? to : name));
  }
}

function renameOutputs(graph: GraphProto, from: string, to: string): void {
  for (const node of graph.node) {
    node.output = node.output.map((name) => (name === from ? to : name));
  }
  for (const info of graph.value_info) {
    if (info.name === from) info.name = to;
  }
}

function cast(input: string, output: string, to: number): NodeProto {
  return { input: [input], output: [output], name: `${output}_cast`, op_type: 'Cast', attribute: [{ name: 'to', type: AttributeType.INT, i: to }] };
}

function setElemType(graph: GraphProto, list: 'input' | 'output', name: string, type: number): void {
  const info = graph[list].find((v) => v.name === name);
  if (!info?.type?.tensor_type) {
    throw new Error(`graph ${list} ${name} is not a tensor`);
  }
  info.type.tensor_type.elem_type = type;
}

/**
 * Makes the KV inputs and outputs and the logits float16, as fp16 exports have them, with Casts
 * at the boundary around the unchanged float32 graph: the engine's float16 I/O handling is what
 * this exercises, not float16 arithmetic.
 */
export function float16Io(model: ModelProto): void {
  const graph = model.graph;
  const before: NodeProto[] = [];
  const after: NodeProto[] = [];
  for (const value of graph.input.filter((v) => v.name.startsWith('past_key_values.'))) {
    const inner = `${value.name}_f32`;
    renameInputs(graph, value.name, inner);
    setElemType(graph, 'input', value.name, DataType.FLOAT16);
    before.push(cast(value.name, inner, DataType.FLOAT));
  }
  for (const value of graph.output.filter((v) => v.name.startsWith('present.') || v.name === 'logits')) {
    const inner = `${value.name}_f32`;
    renameOutputs(graph, value.name, inner);
    renameInputs(graph, value.name, inner);
    setElemType(graph, 'output', value.name, DataType.FLOAT16);
    after.push(cast(inner, value.name, DataType.FLOAT16));
  }
  graph.node = [...before, ...graph.node, ...after];
}

function int64Constant(name: string, values: readonly bigint[], dims: readonly number[]): NodeProto {
  const raw = new Uint8Array(BigInt64Array.from(values).buffer);
  return {
    input: [],
    output: [name],
    name,
    op_type: 'Constant',
    attribute: [{ name: 'value', type: AttributeType.TENSOR, t: { name: `${name}_value`, dims: [...dims], data_type: DataType.INT64, raw_data: raw, external_data: [] } }],
  };
}

/**
 * Removes the `position_ids` input and computes it inside the graph as exports without that
 * input do: cumsum(attention_mask) - 1, its last `sequence length` columns.
 */
export function dropPositionIds(model: ModelProto): void {
  const graph = model.graph;
  if (!graph.input.some((v) => v.name === 'position_ids')) {
    throw new Error('the model has no position_ids input');
  }
  graph.input = graph.input.filter((v) => v.name !== 'position_ids');
  const node = (op: string, input: string[], output: string): NodeProto => ({ input, output: [output], name: output, op_type: op, attribute: [] });
  const computed: NodeProto[] = [
    int64Constant('pid_axis', [1n], []),
    node('CumSum', ['attention_mask', 'pid_axis'], 'pid_cumsum'),
    int64Constant('pid_one', [1n], []),
    node('Sub', ['pid_cumsum', 'pid_one'], 'pid_all'),
    node('Shape', ['input_ids'], 'pid_shape'),
    int64Constant('pid_index', [1n], [1]),
    node('Gather', ['pid_shape', 'pid_index'], 'pid_len'),
    node('Neg', ['pid_len'], 'pid_start'),
    int64Constant('pid_end', [2n ** 62n], [1]),
    int64Constant('pid_axes', [1n], [1]),
    node('Slice', ['pid_all', 'pid_start', 'pid_end', 'pid_axes'], 'position_ids'),
  ];
  graph.node = [...computed, ...graph.node];
}

function initializer(graph: GraphProto, name: string): Uint8Array {
  const raw = graph.initializer.find((t) => t.name === name)?.raw_data;
  if (!raw) throw new Error(`initializer ${name} has no raw data`);
  return Uint8Array.from(raw);
}

function intAttribute(node: NodeProto, name: string): number {
  const value = node.attribute.find((a) => a.name === name)?.i;
  if (value === undefined) throw new Error(`${node.op_type} has no ${name}`);
  return int64(value);
}

/** MatMulNBits' 4-bit B [n, k blocks, block/2] with scales and packed zero points (default 8), as fp32 [n, k]. */
function dequantize4(b: Uint8Array, scales: Float32Array, zp: Uint8Array | undefined, n: number, k: number, block: number): Float32Array {
  const blocks = Math.ceil(k / block);
  const zpStride = Math.ceil(blocks / 2);
  const w = new Float32Array(n * k);
  for (let row = 0; row < n; row++) {
    for (let blk = 0; blk < blocks; blk++) {
      const zero = zp ? (zp[row * zpStride + (blk >> 1)]! >> ((blk & 1) * 4)) & 15 : 8;
      const scale = scales[row * blocks + blk]!;
      for (let i = 0; i < block && blk * block + i < k; i++) {
        const byte = b[(row * blocks + blk) * (block / 2) + (i >> 1)]!;
        w[row * k + blk * block + i] = ((i & 1 ? byte >> 4 : byte & 15) - zero) * scale;
      }
    }
  }
  return w;
}

/**
 * Points the project's token lookup (Gather on axis 1 of an fp16 [hidden, vocab] copy, then a
 * Cast) at the fp32 [vocab, hidden] `table`, as published files' lookups read the table the
 * projection uses: Gather on axis 0, then a Transpose to the same [hidden, ids] layout (the
 * project's lookup gathers a flattened, 1-D list of ids).
 */
function lookupFromTable(graph: GraphProto, table: string): void {
  const fp16 = new Set(graph.initializer.filter((t) => t.data_type === DataType.FLOAT16).map((t) => t.name));
  const lookup = graph.node.find((n) => n.op_type === 'Gather' && fp16.has(n.input[0] ?? ''));
  const cast = graph.node.find((n) => n.op_type === 'Cast' && n.input[0] === lookup?.output[0]);
  if (!lookup || !cast || intAttribute(lookup, 'axis') !== 1) throw new Error('the model has no fp16 token lookup on axis 1');
  const rows: NodeProto = { input: [table, lookup.input[1]!], output: [`${table}_rows`], name: '/embed_tokens/Gather', op_type: 'Gather', attribute: [{ name: 'axis', type: AttributeType.INT, i: 0 }] };
  const layout: NodeProto = { input: [`${table}_rows`], output: cast.output, name: '/embed_tokens/Transpose', op_type: 'Transpose', attribute: [{ name: 'perm', type: AttributeType.INTS, ints: [1, 0] }] };
  graph.node.splice(graph.node.indexOf(lookup), 1, rows, layout);
  graph.node.splice(graph.node.indexOf(cast), 1);
  graph.initializer = graph.initializer.filter((t) => t.name !== lookup.input[0]);
}

/**
 * Gives a q4 export the output projection that published q4 files of tied-embedding models have:
 * an fp32 [vocab, hidden] table reached through a Transpose and a plain MatMul (the quantizers
 * skip a MatMul whose weight is not an initializer), the same table the token lookup reads. The
 * table is the 4-bit projection dequantized, so the logits are those of the same weights,
 * computed in fp32.
 */
export function fp32TiedHead(model: ModelProto): void {
  const graph = model.graph;
  const head = graph.node.find((n) => n.output.includes('logits') && n.op_type === 'MatMulNBits');
  if (!head || intAttribute(head, 'bits') !== 4) throw new Error('the model has no 4-bit MatMulNBits producing logits');
  const [hidden, bName, sName, zName] = head.input as [string, string, string, string | undefined];
  const n = intAttribute(head, 'N');
  const k = intAttribute(head, 'K');
  const scales = new Float32Array(initializer(graph, sName).buffer);
  const w = dequantize4(initializer(graph, bName), scales, zName ? initializer(graph, zName) : undefined, n, k, intAttribute(head, 'block_size'));
  const table = 'model.embed_tokens.weight_fp32';
  graph.initializer = graph.initializer.filter((t) => ![bName, sName, zName].includes(t.name));
  graph.initializer.push({ name: table, dims: [n, k], data_type: DataType.FLOAT, raw_data: new Uint8Array(w.buffer), external_data: [] });
  const transpose: NodeProto = { input: [table], output: [`${table}_T`], name: '/lm_head/Transpose', op_type: 'Transpose', attribute: [] };
  const matMul: NodeProto = { input: [hidden, `${table}_T`], output: head.output, name: '/lm_head/MatMul', op_type: 'MatMul', attribute: [] };
  graph.node.splice(graph.node.indexOf(head), 1, transpose, matMul);
  lookupFromTable(graph, table);
}

export interface RewriteOptions {
  fp16Io?: boolean;
  dropPositionIds?: boolean;
  fp32TiedHead?: boolean;
  /** Move the weights to external data beside `dst`. */
  external?: ExternalDataOptions;
}

/** Reads `src` (external data included), applies the rewrites, writes `dst`; returns the files written. */
export async function rewriteOnnx(src: string, dst: string, options: RewriteOptions = {}): Promise<string[]> {
  const model = await readOnnx(src);
  if (options.dropPositionIds) dropPositionIds(model);
  if (options.fp16Io) float16Io(model);
  if (options.fp32TiedHead) fp32TiedHead(model);
  return writeOnnx(model, dst, options.external);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'fp16-io': { type: 'boolean' }, 'drop-position-ids': { type: 'boolean' }, 'fp32-tied-head': { type: 'boolean' }, external: { type: 'boolean' }, 'part-bytes': { type: 'string' } },
  });
  const [src, dst] = positionals;
  if (src === undefined || dst === undefined) {
    throw new Error('usage: onnxRewrite.ts SRC.onnx DST.onnx [--fp16-io] [--drop-position-ids] [--fp32-tied-head] [--external] [--part-bytes N]');
  }
  const partBytes = values['part-bytes'] === undefined ? undefined : Number(values['part-bytes']);
  const external = values.external || partBytes !== undefined ? { maxPartBytes: partBytes } : undefined;
  const written = await rewriteOnnx(src, dst, { fp16Io: values['fp16-io'], dropPositionIds: values['drop-position-ids'], fp32TiedHead: values['fp32-tied-head'], external });
  console.log(written.join('\n'));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
