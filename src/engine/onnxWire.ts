/**
 * Protobuf wire format over an ONNX file held in memory: a field walker and the few encoders the
 * engine's load-time graph edits need. protobufjs would decode the whole file, inline weights
 * included, into objects; these edits re-encode only the messages they change and copy every
 * other byte as it is. Field numbers come from onnx/onnx.proto.
 */

/** ModelProto.graph; GraphProto.node, .initializer, .input. */
export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_INPUT = 11;
/** NodeProto fields read and written by the load-time edits. */
export const NODE_INPUT = 1;
export const NODE_OUTPUT = 2;
export const NODE_NAME = 3;
export const NODE_OP_TYPE = 4;
export const NODE_ATTRIBUTE = 5;
export const NODE_DOMAIN = 7;
/** AttributeProto fields, and the AttributeType values of an int and a tensor. */
export const ATTRIBUTE_NAME = 1;
export const ATTRIBUTE_I = 3;
export const ATTRIBUTE_T = 5;
export const ATTRIBUTE_INTS = 8;
export const ATTRIBUTE_TYPE = 20;
export const ATTRIBUTE_TYPE_INT = 2;
export const ATTRIBUTE_TYPE_TENSOR = 4;
/** TensorProto fields, and StringStringEntryProto's (external_data). */
export const TENSOR_DIMS = 1;
export const TENSOR_DATA_TYPE = 2;
export const TENSOR_FLOAT_DATA = 4;
export const TENSOR_NAME = 8;
export const TENSOR_RAW_DATA = 9;
export const TENSOR_EXTERNAL_DATA = 13;
export const TENSOR_DATA_LOCATION = 14;
export const ENTRY_KEY = 1;
export const ENTRY_VALUE = 2;
/** The ONNX operator domain of onnxruntime's own operators (MatMulNBits, GatherBlockQuantized). */
export const MS_DOMAIN = 'com.microsoft';

export class MalformedOnnxError extends Error {}

export const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

export interface Field {
  field: number;
  wire: number;
  /** Offset of the tag. */
  start: number;
  /** Offset of the value (after the length prefix for length-delimited fields). */
  valueStart: number;
  end: number;
  /** The value of a varint field. */
  varint: number;
}

function readVarint(buf: Uint8Array, pos: number, end: number): [number, number] {
  let value = 0;
  for (let shift = 0; shift < 64; shift += 7) {
    if (pos >= end) throw new MalformedOnnxError(`ends inside a varint at byte ${pos}`);
    const b = buf[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, pos];
  }
  throw new MalformedOnnxError(`varint too long at byte ${pos}`);
}

function fieldEnd(buf: Uint8Array, wire: number, afterTag: number, to: number, start: number): { valueStart: number; end: number; varint: number } {
  if (wire === WIRE_VARINT) {
    const [varint, end] = readVarint(buf, afterTag, to);
    return { valueStart: afterTag, end, varint };
  }
  if (wire === WIRE_BYTES) {
    const [length, after] = readVarint(buf, afterTag, to);
    return { valueStart: after, end: after + length, varint: 0 };
  }
  if (wire === WIRE_FIXED64) return { valueStart: afterTag, end: afterTag + 8, varint: 0 };
  if (wire === WIRE_FIXED32) return { valueStart: afterTag, end: afterTag + 4, varint: 0 };
  throw new MalformedOnnxError(`unsupported wire type ${wire} at byte ${start}`);
}

/** The fields of the message in buf[from, to), in file order. */
export function* fields(buf: Uint8Array, from: number, to: number): Generator<Field> {
  let pos = from;
  while (pos < to) {
    const start = pos;
    const [tag, afterTag] = readVarint(buf, pos, to);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    const { valueStart, end, varint } = fieldEnd(buf, wire, afterTag, to, start);
    if (end > to) throw new MalformedOnnxError(`field ${field} at byte ${start} runs past its message`);
    yield { field, wire, start, valueStart, end, varint };
    pos = end;
  }
}

export function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

export function lengthDelimited(field: number, body: Uint8Array): Uint8Array[] {
  return [Uint8Array.from([...encodeVarint(field * 8 + WIRE_BYTES), ...encodeVarint(body.length)]), body];
}

/** One length-delimited field (a string, bytes or an embedded message) as bytes. */
export function bytesField(field: number, body: Uint8Array | string): Uint8Array {
  return Buffer.concat(lengthDelimited(field, typeof body === 'string' ? Buffer.from(body, 'utf8') : body));
}

export function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...encodeVarint(field * 8 + WIRE_VARINT), ...encodeVarint(value)]);
}

/** The varints of a packed repeated field. */
export function packedVarints(buf: Uint8Array, f: Field): number[] {
  const out: number[] = [];
  for (let pos = f.valueStart; pos < f.end; ) {
    const [value, next] = readVarint(buf, pos, f.end);
    out.push(value);
    pos = next;
  }
  return out;
}

/** Name, integer and integers of an AttributeProto. */
export function readAttribute(buf: Uint8Array, f: Field): { name: string; i: number | undefined; ints: number[] } {
  let name = '';
  let i: number | undefined;
  const ints: number[] = [];
  for (const a of fields(buf, f.valueStart, f.end)) {
    if (a.field === ATTRIBUTE_NAME && a.wire === WIRE_BYTES) name = text(buf, a);
    else if (a.field === ATTRIBUTE_I && a.wire === WIRE_VARINT) i = a.varint;
    else if (a.field === ATTRIBUTE_INTS && a.wire === WIRE_VARINT) ints.push(a.varint);
    else if (a.field === ATTRIBUTE_INTS && a.wire === WIRE_BYTES) ints.push(...packedVarints(buf, a));
  }
  return { name, i, ints };
}

/** The attribute `name` of a NodeProto, or undefined when it has none. */
export function nodeAttribute(buf: Uint8Array, node: Field, name: string): ReturnType<typeof readAttribute> | undefined {
  for (const a of fields(buf, node.valueStart, node.end)) {
    if (a.field !== NODE_ATTRIBUTE || a.wire !== WIRE_BYTES) continue;
    const attribute = readAttribute(buf, a);
    if (attribute.name === name) return attribute;
  }
  return undefined;
}

/** An integer attribute, as a NodeProto field. */
export function intAttribute(name: string, value: number): Uint8Array {
  return bytesField(NODE_ATTRIBUTE, Buffer.concat([bytesField(ATTRIBUTE_NAME, name), varintField(ATTRIBUTE_I, value), varintField(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_INT)]));
}

/** A tensor attribute (an encoded TensorProto), as a NodeProto field. */
export function tensorAttribute(name: string, tensor: Uint8Array): Uint8Array {
  return bytesField(NODE_ATTRIBUTE, Buffer.concat([bytesField(ATTRIBUTE_NAME, name), bytesField(ATTRIBUTE_T, tensor), varintField(ATTRIBUTE_TYPE, ATTRIBUTE_TYPE_TENSOR)]));
}

/** A NodeProto named after its one output, as a GraphProto field; `extra` are more of its fields (attributes, domain). */
export function nodeProto(op: string, inputs: readonly string[], output: string, extra: readonly Uint8Array[] = []): Uint8Array {
  return bytesField(GRAPH_NODE, Buffer.concat([...inputs.map((i) => bytesField(NODE_INPUT, i)), bytesField(NODE_OUTPUT, output), bytesField(NODE_NAME, output), bytesField(NODE_OP_TYPE, op), ...extra]));
}

export function text(buf: Uint8Array, f: Field): string {
  return Buffer.from(buf.buffer, buf.byteOffset + f.valueStart, f.end - f.valueStart).toString('utf8');
}

/**
 * One field of the top-level graph and the bytes it lives in: a field copied from the file is a
 * view of the file's bytes (its offsets are the file's), a field an edit wrote has bytes of its own.
 */
export interface GraphField {
  buf: Uint8Array;
  f: Field;
}

/** A graph edit: the graph's fields after the edit and what it reports, or undefined for no change. */
export type GraphEdit<T> = (graph: readonly GraphField[]) => { graph: GraphField[]; report: T } | undefined;

/** A field an edit wrote, from its encoding (tag included, as bytesField returns it). */
export function written(bytes: Uint8Array): GraphField {
  const [f] = fields(bytes, 0, bytes.length);
  if (!f || f.end !== bytes.length) throw new Error('an edited field must be one encoded field');
  return { buf: bytes, f };
}

/** The fields of `graph` that are `field` with length-delimited values (nodes, initializers, inputs). */
export function messages(graph: readonly GraphField[], field: number): GraphField[] {
  return graph.filter((g) => g.f.field === field && g.f.wire === WIRE_BYTES);
}

/**
 * The model with the edits applied in turn to its top-level graph, and each edit's report
 * (undefined: it changed nothing); the same buffer when none changed anything. The fields no edit
 * touched are copied once, into the result, whatever the number of edits.
 */
export function editGraphs(model: Uint8Array, edits: ReadonlyArray<GraphEdit<unknown>>): { model: Uint8Array; reports: unknown[] } {
  const top = [...fields(model, 0, model.length)];
  const at = top.findIndex((f) => f.field === MODEL_GRAPH && f.wire === WIRE_BYTES);
  const reports: unknown[] = edits.map(() => undefined);
  if (at < 0) return { model, reports };
  let graph = fieldsOf(model, top[at]!);
  let changed = false;
  edits.forEach((edit, i) => {
    const edited = edit(graph);
    if (!edited) return;
    graph = edited.graph;
    reports[i] = edited.report;
    changed = true;
  });
  if (!changed) return { model, reports };
  const body = graph.map((g) => g.buf.subarray(g.f.start, g.f.end));
  const length = body.reduce((n, b) => n + b.length, 0);
  const header = Uint8Array.from([...encodeVarint(MODEL_GRAPH * 8 + WIRE_BYTES), ...encodeVarint(length)]);
  const around = (f: Field) => model.subarray(f.start, f.end);
  return { model: Buffer.concat([...top.slice(0, at).map(around), header, ...body, ...top.slice(at + 1).map(around)]), reports };
}

function fieldsOf(model: Uint8Array, graph: Field): GraphField[] {
  return [...fields(model, graph.valueStart, graph.end)].map((f) => ({ buf: model, f }));
}

/** The fields of the model's top-level graph, read without a change (empty when it has none). */
export function graphFields(model: Uint8Array): GraphField[] {
  const graph = [...fields(model, 0, model.length)].find((f) => f.field === MODEL_GRAPH && f.wire === WIRE_BYTES);
  return graph ? fieldsOf(model, graph) : [];
}

/** One edit: the model and the edit's report (undefined: no change). */
export function editGraph<T>(model: Uint8Array, edit: GraphEdit<T>): { model: Uint8Array; report: T | undefined } {
  const { model: edited, reports } = editGraphs(model, [edit]);
  return { model: edited, report: reports[0] as T | undefined };
}
