/**
 * Quantizes a 4-bit file's fp32 output projection to 8 bits, in memory, before onnxruntime opens
 * the file. The standard exports of models with tied embeddings (Qwen2.5 among them) reach the
 * output projection through a Transpose of the embedding table; the quantizers that write the
 * published q4 files skip a MatMul whose weight is not an initializer, so the projection stays
 * fp32: at Qwen's 151,936-token vocabulary that is most of the bytes a 0.5B model reads per token
 * (544 MB of 768), and onnxruntime folds the Transpose into a second fp32 copy of the table.
 *
 * The MatMul is replaced by a MatMulNBits with 8-bit weights in blocks of 32 along the hidden
 * size (one fp32 scale per block, symmetric: the default zero point 128) at accuracy level 4,
 * the Transpose is dropped, and a token lookup (Gather on axis 0) that read the same table reads
 * the 8-bit blocks instead (GatherBlockQuantized), so the fp32 table goes. Eight bits rather than
 * four because the projection decides every token (llama.cpp keeps it at 6 or 8 bits too). The
 * weight is read inline or from the file's external data, a block of rows at a time.
 */
import {
  ENTRY_KEY,
  ENTRY_VALUE,
  GRAPH_INITIALIZER,
  GRAPH_NODE,
  MS_DOMAIN,
  NODE_DOMAIN,
  TENSOR_DATA_LOCATION,
  TENSOR_DATA_TYPE,
  TENSOR_DIMS,
  TENSOR_EXTERNAL_DATA,
  TENSOR_FLOAT_DATA,
  TENSOR_NAME,
  TENSOR_RAW_DATA,
  WIRE_BYTES,
  WIRE_VARINT,
  bytesField,
  editGraph,
  fields,
  graphFields,
  intAttribute,
  messages,
  nodeAttribute,
  nodeProto,
  packedVarints,
  tensorAttribute,
  text,
  varintField,
  written,
  type GraphEdit,
  type GraphField,
} from './onnxWire';
import { int64Tensor, projectionInput, readNode, type NodeInfo } from './lastLogits';

const FLOAT = 1;
const UINT8 = 2;
const EXTERNAL = 1;

const BLOCK = 32;
const BITS = 8;
const ZERO_POINT = 128;
const PREFIX = 'autoglm_head_q8';
/** Smallest projection worth it: below this the fp32 read costs little. */
const MIN_ELEMENTS = 1 << 20;

/** Where the weight of an fp32 projection lives in the graph. */
interface HeadPlan {
  projection: NodeInfo;
  /** The Transpose between the weight and the MatMul, when there is one; it is dropped. */
  transpose: NodeInfo | undefined;
  weight: string;
  /** Token lookups (Gather on axis 0 of the [n, k] table) that read the 8-bit blocks instead. */
  lookups: NodeInfo[];
  /** Whether a node other than those reads the weight: it stays; otherwise it is dropped too. */
  weightShared: boolean;
}

/** A 2-D fp32 initializer's bytes: inline, or where in which external file. */
export interface WeightBytes {
  dims: number[];
  inline?: Uint8Array;
  external?: { location: string; offset: number; length: number | undefined };
}

/**
 * Reads `length` bytes of an external weight from `start` on (relative to the weight's offset);
 * throws when the file holds fewer. The caller keeps the location inside the model's folder.
 */
export type ExternalReader = (ref: NonNullable<WeightBytes['external']>, start: number, length: number) => Uint8Array;

/** Bytes of a weight by range, wherever they are stored. */
type ByteRange = (start: number, length: number) => Uint8Array;

/** Rows of the table read from external data at a time: about 1 MB at Qwen's sizes, not the whole table. */
const ROWS_PER_READ = 256;

/** The fp32 MatMul projection and its weight, or undefined when the graph has none to quantize (a file without onnxruntime's operators is not a q4 file). */
function planHead(nodeFields: readonly GraphField[]): HeadPlan | undefined {
  if (!usesMsDomain(nodeFields)) return undefined;
  const nodes = nodeFields.map(readNode);
  const projection = projectionInput(nodes);
  if (projection?.op !== 'MatMul') return undefined;
  const producer = new Map<string, NodeInfo>();
  for (const n of nodes) for (const o of n.outputs) producer.set(o, n);
  const b = projection.inputs[1] ?? '';
  const transpose = producer.get(b);
  const readers = (name: string, besides: readonly NodeInfo[]) => nodes.some((n) => !besides.includes(n) && n.inputs.includes(name));
  if (!transpose) return { projection, transpose: undefined, weight: b, lookups: [], weightShared: readers(b, [projection]) };
  const perm = nodeAttribute(transpose.field.buf, transpose.field.f, 'perm')?.ints;
  const source = transpose.inputs[0] ?? '';
  if (transpose.op !== 'Transpose' || producer.has(source) || (perm !== undefined && (perm.length !== 2 || perm[0] !== 1 || perm[1] !== 0))) return undefined;
  const shared = readers(b, [projection]);
  const lookups = nodes.filter((n) => n.op === 'Gather' && n.inputs[0] === source && (nodeAttribute(n.field.buf, n.field.f, 'axis')?.i ?? 0) === 0);
  const kept = shared ? [projection] : [transpose];
  return { projection, transpose: shared ? undefined : transpose, weight: source, lookups, weightShared: shared || readers(source, [...kept, ...lookups]) };
}

/** Name, dims, type and bytes of a TensorProto. */
function readTensor({ buf, f }: GraphField): { name: string; dataType: number; weight: WeightBytes } {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  let inline: Uint8Array | undefined;
  let location = 0;
  const entries = new Map<string, string>();
  for (const x of fields(buf, f.valueStart, f.end)) {
    if (x.field === TENSOR_NAME && x.wire === WIRE_BYTES) name = text(buf, x);
    else if (x.field === TENSOR_DATA_TYPE && x.wire === WIRE_VARINT) dataType = x.varint;
    else if (x.field === TENSOR_DIMS && x.wire === WIRE_VARINT) dims.push(x.varint);
    else if (x.field === TENSOR_DIMS && x.wire === WIRE_BYTES) dims.push(...packedVarints(buf, x));
    else if ((x.field === TENSOR_RAW_DATA || x.field === TENSOR_FLOAT_DATA) && x.wire === WIRE_BYTES) inline = buf.subarray(x.valueStart, x.end);
    else if (x.field === TENSOR_DATA_LOCATION && x.wire === WIRE_VARINT) location = x.varint;
    else if (x.field === TENSOR_EXTERNAL_DATA && x.wire === WIRE_BYTES) {
      let key = '';
      let value = '';
      for (const e of fields(buf, x.valueStart, x.end)) {
        if (e.field === ENTRY_KEY && e.wire === WIRE_BYTES) key = text(buf, e);
        else if (e.field === ENTRY_VALUE && e.wire === WIRE_BYTES) value = text(buf, e);
      }
      entries.set(key, value);
    }
  }
  if (location !== EXTERNAL) return { name, dataType, weight: { dims, ...(inline ? { inline } : {}) } };
  const length = entries.has('length') ? Number(entries.get('length')) : undefined;
  return { name, dataType, weight: { dims, external: { location: entries.get('location') ?? '', offset: Number(entries.get('offset') ?? 0), length } } };
}

/**
 * Symmetric 8-bit blocks of the projection y = x·Wᵀ for W given as [n, k] (`transposed`: W is
 * stored [k, n] and multiplied as it is). Returns MatMulNBits' B [n, k/32, 32] and scales [n, k/32].
 */
export function quantizeRows(w: Float32Array, n: number, k: number, transposed: boolean): { b: Uint8Array; scales: Float32Array } {
  // Row `r` of W [n, k] in order: stored contiguously, or every n-th float when transposed.
  return quantizeEachRow(n, k, (r, row) => {
    if (transposed) for (let c = 0; c < k; c++) row[c] = w[c * n + r]!;
    else row.set(w.subarray(r * k, (r + 1) * k));
  });
}

/** The same for W [n, k] stored as little-endian fp32 bytes at any alignment, read a block of rows at a time. */
function quantizeByteRows(bytesAt: ByteRange, n: number, k: number): { b: Uint8Array; scales: Float32Array } {
  const rowBytes = k * 4;
  let chunk: Uint8Array = new Uint8Array(0);
  let chunkStart = 0;
  return quantizeEachRow(n, k, (r, row) => {
    if (r === 0 || r - chunkStart >= ROWS_PER_READ) {
      chunkStart = r;
      chunk = bytesAt(r * rowBytes, Math.min(ROWS_PER_READ, n - r) * rowBytes);
    }
    const at = (r - chunkStart) * rowBytes;
    new Uint8Array(row.buffer).set(chunk.subarray(at, at + rowBytes));
  });
}

function quantizeEachRow(n: number, k: number, fill: (r: number, row: Float32Array) => void): { b: Uint8Array; scales: Float32Array } {
  const blocks = k / BLOCK;
  const b = new Uint8Array(n * k);
  const scales = new Float32Array(n * blocks);
  const row = new Float32Array(k);
  for (let r = 0; r < n; r++) {
    fill(r, row);
    quantizeRow(row, b, r * k, scales, r * blocks);
  }
  return { b, scales };
}

function quantizeRow(row: Float32Array, b: Uint8Array, at: number, scales: Float32Array, scaleAt: number): void {
  for (let first = 0, blk = 0; first < row.length; first += BLOCK, blk++) {
    let max = 0;
    for (let i = first; i < first + BLOCK; i++) {
      const v = row[i]!;
      if (v > max) max = v;
      else if (-v > max) max = -v;
    }
    const scale = max / 127 || 1;
    const inverse = 1 / scale;
    scales[scaleAt + blk] = scale;
    // round(x) + 128 for x in [-127, 127], as a truncation of a positive number (3x faster than Math.round here).
    for (let i = first; i < first + BLOCK; i++) b[at + i] = (row[i]! * inverse + ZERO_POINT + 0.5) | 0;
  }
}

export function tensorProto(name: string, dataType: number, dims: readonly number[], raw: Uint8Array): Uint8Array {
  return Buffer.concat([...dims.map((d) => varintField(TENSOR_DIMS, d)), varintField(TENSOR_DATA_TYPE, dataType), bytesField(TENSOR_NAME, name), bytesField(TENSOR_RAW_DATA, raw)]);
}

function matMulNBits(input: string, output: string, n: number, k: number): Uint8Array {
  const attributes = [intAttribute('K', k), intAttribute('N', n), intAttribute('bits', BITS), intAttribute('block_size', BLOCK), intAttribute('accuracy_level', 4)];
  return nodeProto('MatMulNBits', [input, `${PREFIX}_B`, `${PREFIX}_scales`], output, [bytesField(NODE_DOMAIN, MS_DOMAIN), ...attributes]);
}

/**
 * A token lookup of `ids` from the 8-bit blocks [n, k/32, 32], reshaped to the [ids..., k] the
 * Gather gave: GatherBlockQuantized on axis 0, each block its own scale (the default zero point 128).
 */
function lookupNodes(lookup: NodeInfo, k: number, index: number): Uint8Array[] {
  const name = (s: string) => `${PREFIX}_lookup${index}_${s}`;
  const ids = lookup.inputs[1] ?? '';
  const gather = [intAttribute('gather_axis', 0), intAttribute('quantize_axis', 2), intAttribute('block_size', BLOCK), intAttribute('bits', BITS), bytesField(NODE_DOMAIN, MS_DOMAIN)];
  return [
    nodeProto('GatherBlockQuantized', [`${PREFIX}_B`, ids, `${PREFIX}_lookup_scales`], name('blocks'), gather),
    nodeProto('Shape', [ids], name('ids_shape')),
    nodeProto('Constant', [], name('width'), [tensorAttribute('value', int64Tensor([BigInt(k)]))]),
    nodeProto('Concat', [name('ids_shape'), name('width')], name('shape'), [intAttribute('axis', 0)]),
    nodeProto('Reshape', [name('blocks'), name('shape')], lookup.outputs[0] ?? ''),
  ];
}

function usesMsDomain(nodeFields: readonly GraphField[]): boolean {
  return nodeFields.some(({ buf, f }) => [...fields(buf, f.valueStart, f.end)].some((x) => x.field === NODE_DOMAIN && x.wire === WIRE_BYTES && text(buf, x) === MS_DOMAIN));
}

/** The fp32 weight's bytes by range, or undefined when it is not a 2-D fp32 tensor of the size its dims say. */
function weightRange(weight: WeightBytes, read: ExternalReader): ByteRange | undefined {
  if (weight.dims.length !== 2) return undefined;
  const size = weight.dims[0]! * weight.dims[1]! * 4;
  const { inline, external } = weight;
  if (inline) return inline.length === size ? (start, length) => inline.subarray(start, start + length) : undefined;
  if (!external || (external.length !== undefined && external.length !== size)) return undefined;
  return (start, length) => read(external, start, length);
}

/** Quantizes W read through `bytesAt`; a weight stored [k, n] (`direct`) is read whole, as floats. */
function quantizeWeight(bytesAt: ByteRange, n: number, k: number, direct: boolean): { b: Uint8Array; scales: Float32Array } {
  if (!direct) return quantizeByteRows(bytesAt, n, k);
  const floats = new Float32Array(n * k);
  new Uint8Array(floats.buffer).set(bytesAt(0, n * k * 4));
  return quantizeRows(floats, n, k, true);
}

/** The graph edit: the fp32 projection replaced by an 8-bit MatMulNBits and its two new initializers. */
export function quantizeHeadEdit(read: ExternalReader): GraphEdit<true> {
  return (graph) => {
    const nodeFields = messages(graph, GRAPH_NODE);
    const plan = planHead(nodeFields);
    if (!plan) return undefined;
    const init = messages(graph, GRAPH_INITIALIZER).map((g) => ({ g, ...readTensor(g) })).find((t) => t.name === plan.weight);
    if (!init || init.dataType !== FLOAT) return undefined;
    const direct = plan.projection.inputs[1] === plan.weight;
    const [rows, cols] = init.weight.dims as [number, number];
    // With a Transpose the stored table is [n, k]; without one the MatMul's weight is [k, n].
    const [n, k] = direct ? [cols, rows] : [rows, cols];
    if (k % BLOCK !== 0 || n * k < MIN_ELEMENTS) return undefined;
    const bytesAt = weightRange(init.weight, read);
    if (!bytesAt) return undefined;
    const { b, scales } = quantizeWeight(bytesAt, n, k, direct);
    const { lookups } = plan;
    const out: GraphField[] = [];
    for (const g of graph) {
      const lookup = lookups.findIndex((l) => l.field === g);
      if (g === plan.projection.field) out.push(written(matMulNBits(plan.projection.inputs[0] ?? '', plan.projection.outputs[0] ?? '', n, k)));
      else if (lookup >= 0) out.push(...lookupNodes(lookups[lookup]!, k, lookup).map(written));
      else if (g !== plan.transpose?.field && (plan.weightShared || g !== init.g)) out.push(g);
    }
    const scaleBytes = new Uint8Array(scales.buffer);
    out.push(written(bytesField(GRAPH_INITIALIZER, tensorProto(`${PREFIX}_B`, UINT8, [n, k / BLOCK, BLOCK], b))));
    out.push(written(bytesField(GRAPH_INITIALIZER, tensorProto(`${PREFIX}_scales`, FLOAT, [n, k / BLOCK], scaleBytes))));
    if (lookups.length > 0) out.push(written(bytesField(GRAPH_INITIALIZER, tensorProto(`${PREFIX}_lookup_scales`, FLOAT, [n, k / BLOCK, 1], scaleBytes))));
    return { graph: out, report: true };
  };
}

/** Whether the graph's nodes alone show an fp32 projection this module would quantize (a skeleton is enough). */
export function hasFp32Head(model: Uint8Array): boolean {
  return planHead(messages(graphFields(model), GRAPH_NODE)) !== undefined;
}

/**
 * The model with its fp32 output projection quantized to 8 bits (see above), and whether it was;
 * the same buffer when the graph has no such projection. Throws MalformedOnnxError on bytes that
 * are not a well-formed protobuf.
 */
export function quantizeHead(model: Uint8Array, read: ExternalReader): { model: Uint8Array; quantized: boolean } {
  const edited = editGraph(model, quantizeHeadEdit(read));
  return { model: edited.model, quantized: edited.report === true };
}
