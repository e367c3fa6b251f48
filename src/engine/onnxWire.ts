/**
 * Protobuf wire format over an ONNX file held in memory: a field walker and the few encoders the
 * engine's load-time graph edits need. protobufjs would decode the whole file, inline weights
 * included, into objects; these edits re-encode only the messages they change and copy every
 * other byte as it is. Field numbers come from onnx/onnx.proto.
 */

/** ModelProto.graph, GraphProto.node, NodeProto.attribute. */
export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const NODE_ATTRIBUTE = 5;
/** NodeProto.op_type, AttributeProto.name and .type: read and written by the load-time edits. */
export const NODE_OP_TYPE = 4;
export const ATTRIBUTE_NAME = 1;
export const ATTRIBUTE_TYPE = 20;

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

export function text(buf: Uint8Array, f: Field): string {
  return Buffer.from(buf.buffer, buf.byteOffset + f.valueStart, f.end - f.valueStart).toString('utf8');
}

/**
 * The model with its top-level graph replaced by what `edit` returns for it (undefined: no
 * change), and whatever `edit` reports; the same buffer when nothing changed.
 */
export function editGraph<T>(model: Uint8Array, edit: (buf: Uint8Array, graph: Field) => { bytes: Uint8Array; report: T } | undefined): { model: Uint8Array; report: T | undefined } {
  const parts: Uint8Array[] = [];
  let report: T | undefined;
  for (const f of fields(model, 0, model.length)) {
    const edited = f.field === MODEL_GRAPH && f.wire === WIRE_BYTES && report === undefined ? edit(model, f) : undefined;
    if (edited) {
      parts.push(...lengthDelimited(MODEL_GRAPH, edited.bytes));
      report = edited.report;
    } else {
      parts.push(model.subarray(f.start, f.end));
    }
  }
  return report === undefined ? { model, report } : { model: Buffer.concat(parts), report };
}
