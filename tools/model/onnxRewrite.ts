/**
 * Rewrites a decoder export into the other layouts real ONNX model repositories ship, from the
 * same weights: another variant file name, external weight data (one file or numbered parts),
 * float16 KV cache and logits, no `position_ids` input. The engine's loading tests build their
 * fixtures with it from the bundled model.
 *
 * Usage: npx tsx tools/model/onnxRewrite.ts SRC.onnx DST.onnx [--fp16-io] [--drop-position-ids]
 *        [--external] [--part-bytes N]
 */
import { parseArgs } from 'node:util';
import { AttributeType, DataType, readOnnx, writeOnnx, type ExternalDataOptions, type GraphProto, type ModelProto, type NodeProto } from './onnxFile';

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

export interface RewriteOptions {
  fp16Io?: boolean;
  dropPositionIds?: boolean;
  /** Move the weights to external data beside `dst`. */
  external?: ExternalDataOptions;
}

/** Reads `src` (external data included), applies the rewrites, writes `dst`; returns the files written. */
export async function rewriteOnnx(src: string, dst: string, options: RewriteOptions = {}): Promise<string[]> {
  const model = await readOnnx(src);
  if (options.dropPositionIds) dropPositionIds(model);
  if (options.fp16Io) float16Io(model);
  return writeOnnx(model, dst, options.external);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'fp16-io': { type: 'boolean' }, 'drop-position-ids': { type: 'boolean' }, external: { type: 'boolean' }, 'part-bytes': { type: 'string' } },
  });
  const [src, dst] = positionals;
  if (src === undefined || dst === undefined) {
    throw new Error('usage: onnxRewrite.ts SRC.onnx DST.onnx [--fp16-io] [--drop-position-ids] [--external] [--part-bytes N]');
  }
  const partBytes = values['part-bytes'] === undefined ? undefined : Number(values['part-bytes']);
  const external = values.external || partBytes !== undefined ? { maxPartBytes: partBytes } : undefined;
  const written = await rewriteOnnx(src, dst, { fp16Io: values['fp16-io'], dropPositionIds: values['drop-position-ids'], external });
  console.log(written.join('\n'));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
