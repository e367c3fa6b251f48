/**
 * Sets `accuracy_level` 4 on the 4-bit MatMulNBits nodes of a model file, in memory, before
 * onnxruntime opens it. At the default level (0, what most published q4 exports carry) the CPU
 * kernel dequantizes the weights to fp32 and multiplies in fp32; at level 4 it quantizes each
 * row of activations to int8 per block and uses integer dot products, the kind of kernel
 * llama.cpp runs for Q4_0. onnxruntime has no session option that overrides the attribute of
 * nodes already in a file, hence this rewrite.
 *
 * Only the top-level graph's NodeProtos that need the change are re-encoded; every other byte of
 * the file is copied as it is. protobufjs would decode the whole file, inline weights included,
 * into objects, hence this small wire-format editor over the few ONNX fields involved (field
 * numbers from onnx/onnx.proto).
 */
import { GRAPH_NODE, MODEL_GRAPH, MalformedOnnxError, NODE_ATTRIBUTE } from './onnxExternalRefs';

const NODE_OP_TYPE = 4;
const NODE_DOMAIN = 7;
const ATTRIBUTE_NAME = 1;
const ATTRIBUTE_I = 3;
const ATTRIBUTE_TYPE = 20;
const ATTRIBUTE_TYPE_INT = 2;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

export const INT8_ACCURACY_LEVEL = 4;

interface Field {
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

function* fields(buf: Uint8Array, from: number, to: number): Generator<Field> {
  let pos = from;
  while (pos < to) {
    const start = pos;
    const [tag, afterTag] = readVarint(buf, pos, to);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let valueStart = afterTag;
    let end: number;
    let varint = 0;
    if (wire === WIRE_VARINT) {
      [varint, end] = readVarint(buf, afterTag, to);
    } else if (wire === WIRE_BYTES) {
      const [length, after] = readVarint(buf, afterTag, to);
      valueStart = after;
      end = after + length;
    } else if (wire === WIRE_FIXED64) {
      end = afterTag + 8;
    } else if (wire === WIRE_FIXED32) {
      end = afterTag + 4;
    } else {
      throw new MalformedOnnxError(`unsupported wire type ${wire} at byte ${start}`);
    }
    if (end > to) throw new MalformedOnnxError(`field ${field} at byte ${start} runs past its message`);
    yield { field, wire, start, valueStart, end, varint };
    pos = end;
  }
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

function lengthDelimited(field: number, body: Uint8Array): Uint8Array[] {
  return [Uint8Array.from([...encodeVarint(field * 8 + WIRE_BYTES), ...encodeVarint(body.length)]), body];
}

function text(buf: Uint8Array, f: Field): string {
  return Buffer.from(buf.buffer, buf.byteOffset + f.valueStart, f.end - f.valueStart).toString('utf8');
}

/** Name and integer value of an AttributeProto. */
function attribute(buf: Uint8Array, f: Field): { name: string; i: number | undefined } {
  let name = '';
  let i: number | undefined;
  for (const a of fields(buf, f.valueStart, f.end)) {
    if (a.field === ATTRIBUTE_NAME && a.wire === WIRE_BYTES) name = text(buf, a);
    else if (a.field === ATTRIBUTE_I && a.wire === WIRE_VARINT) i = a.varint;
  }
  return { name, i };
}

/** Whether a NodeProto is a 4-bit MatMulNBits below `level`. */
function needsLevel(buf: Uint8Array, node: Field, level: number): boolean {
  let opType = '';
  let domain = '';
  let bits = 4;
  let accuracy = 0;
  for (const f of fields(buf, node.valueStart, node.end)) {
    if (f.field === NODE_OP_TYPE && f.wire === WIRE_BYTES) opType = text(buf, f);
    else if (f.field === NODE_DOMAIN && f.wire === WIRE_BYTES) domain = text(buf, f);
    else if (f.field === NODE_ATTRIBUTE && f.wire === WIRE_BYTES) {
      const a = attribute(buf, f);
      if (a.name === 'bits' && a.i !== undefined) bits = a.i;
      if (a.name === 'accuracy_level' && a.i !== undefined) accuracy = a.i;
    }
  }
  return opType === 'MatMulNBits' && domain === 'com.microsoft' && bits === 4 && accuracy < level;
}

function levelAttribute(level: number): Uint8Array {
  const name = Buffer.from('accuracy_level', 'utf8');
  const body = Uint8Array.from([
    ...encodeVarint(ATTRIBUTE_NAME * 8 + WIRE_BYTES), ...encodeVarint(name.length), ...name,
    ...encodeVarint(ATTRIBUTE_I * 8 + WIRE_VARINT), ...encodeVarint(level),
    ...encodeVarint(ATTRIBUTE_TYPE * 8 + WIRE_VARINT), ...encodeVarint(ATTRIBUTE_TYPE_INT),
  ]);
  return Buffer.concat(lengthDelimited(NODE_ATTRIBUTE, body));
}

/** The NodeProto without its accuracy_level attribute, with one of `level` appended. */
function rewriteNode(buf: Uint8Array, node: Field, level: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields(buf, node.valueStart, node.end)) {
    const isLevel = f.field === NODE_ATTRIBUTE && f.wire === WIRE_BYTES && attribute(buf, f).name === 'accuracy_level';
    if (!isLevel) parts.push(buf.subarray(f.start, f.end));
  }
  parts.push(levelAttribute(level));
  return Buffer.concat(parts);
}

function rewriteGraph(buf: Uint8Array, graph: Field, level: number): { bytes: Uint8Array; changed: number } {
  const parts: Uint8Array[] = [];
  let changed = 0;
  for (const f of fields(buf, graph.valueStart, graph.end)) {
    if (f.field === GRAPH_NODE && f.wire === WIRE_BYTES && needsLevel(buf, f, level)) {
      parts.push(...lengthDelimited(GRAPH_NODE, rewriteNode(buf, f, level)));
      changed++;
    } else {
      parts.push(buf.subarray(f.start, f.end));
    }
  }
  return { bytes: Buffer.concat(parts), changed };
}

/** How many top-level 4-bit MatMulNBits nodes of a model file run below `level`. */
export function countBelowLevel(model: Uint8Array, level = INT8_ACCURACY_LEVEL): number {
  let count = 0;
  for (const f of fields(model, 0, model.length)) {
    if (f.field !== MODEL_GRAPH || f.wire !== WIRE_BYTES) continue;
    for (const n of fields(model, f.valueStart, f.end)) {
      if (n.field === GRAPH_NODE && n.wire === WIRE_BYTES && needsLevel(model, n, level)) count++;
    }
  }
  return count;
}

/**
 * The model with every top-level 4-bit MatMulNBits node at `level` at least, and how many nodes
 * changed; the same buffer when none needed it.
 */
export function raiseNBitsAccuracy(model: Uint8Array, level = INT8_ACCURACY_LEVEL): { model: Uint8Array; changed: number } {
  if (countBelowLevel(model, level) === 0) return { model, changed: 0 };
  const parts: Uint8Array[] = [];
  let changed = 0;
  for (const f of fields(model, 0, model.length)) {
    if (f.field === MODEL_GRAPH && f.wire === WIRE_BYTES) {
      const graph = rewriteGraph(model, f, level);
      parts.push(...lengthDelimited(MODEL_GRAPH, graph.bytes));
      changed += graph.changed;
    } else {
      parts.push(model.subarray(f.start, f.end));
    }
  }
  return { model: Buffer.concat(parts), changed };
}
