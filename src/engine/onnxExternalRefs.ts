/**
 * Lists the external weight data an ONNX file refers to (TensorProto.external_data), reading
 * only field headers: weights stored inline are skipped by offset, so a file of several GB is
 * never brought into memory. protobufjs decodes whole buffers only, hence this small walker over
 * the few ONNX fields involved (field numbers from onnx/onnx.proto).
 */
import { promises as fs } from 'node:fs';
import { ATTRIBUTE_T, ENTRY_KEY, ENTRY_VALUE, GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_NODE, MODEL_GRAPH, MalformedOnnxError, NODE_ATTRIBUTE, TENSOR_DATA_LOCATION, TENSOR_EXTERNAL_DATA, TENSOR_NAME, lengthDelimited } from './onnxWire';

export interface ExternalRef {
  tensor: string;
  location: string;
  offset: number;
  /** Bytes of the tensor; undefined: to the end of the file. */
  length: number | undefined;
}

/** Nesting of subgraphs (If / Loop bodies) followed; real decoders use one or two levels. */
const MAX_DEPTH = 8;
/** Longest string read from a header field (a tensor name, a location); longer is a broken file. */
const MAX_STRING = 64 * 1024;
const WINDOW = 64 * 1024;

const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_TENSORS = 10;
const ATTRIBUTE_GRAPHS = 11;

type Kind = 'graph' | 'node' | 'attribute' | 'tensor';

/** Which length-delimited fields of a message hold a message to walk into. */
const CHILDREN: Readonly<Record<Kind, Readonly<Record<number, Kind>>>> = {
  graph: { [GRAPH_NODE]: 'node', [GRAPH_INITIALIZER]: 'tensor' },
  node: { [NODE_ATTRIBUTE]: 'attribute' },
  attribute: { [ATTRIBUTE_T]: 'tensor', [ATTRIBUTE_GRAPH]: 'graph', [ATTRIBUTE_TENSORS]: 'tensor', [ATTRIBUTE_GRAPHS]: 'graph' },
  tensor: {},
};

/** Positioned reads through one window of the file. */
class FileCursor {
  private window = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    private readonly handle: fs.FileHandle,
    readonly size: number,
  ) {}

  /** Makes the window cover [pos, pos + length), or as much of it as the file holds. */
  private async cover(pos: number, length: number): Promise<void> {
    const end = Math.min(pos + length, this.size);
    if (pos >= this.windowStart && end <= this.windowStart + this.window.length) return;
    if (pos >= this.size) throw new MalformedOnnxError(`ends inside a field at byte ${pos}`);
    const buffer = Buffer.alloc(Math.min(WINDOW, this.size - pos));
    const { bytesRead } = await this.handle.read(buffer, 0, buffer.length, pos);
    if (bytesRead === 0) throw new MalformedOnnxError(`cannot be read at byte ${pos}`);
    this.window = buffer.subarray(0, bytesRead);
    this.windowStart = pos;
  }

  /** The varint at `pos` and the position after it, when the window holds it whole; else undefined. */
  varintNow(pos: number): [number, number] | undefined {
    let value = 0;
    for (let shift = 0, at = pos; shift < 70; shift += 7, at++) {
      const index = at - this.windowStart;
      if (index < 0 || index >= this.window.length) return undefined;
      const b = this.window[index]!;
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return [value, at + 1];
    }
    throw new MalformedOnnxError(`has an over-long varint at byte ${pos}`);
  }

  /** A varint at `pos` and the position after it (values past 2^53 lose precision; no real header needs them). */
  async varint(pos: number): Promise<[number, number]> {
    const now = this.varintNow(pos);
    if (now) return now;
    await this.cover(pos, 10);
    const read = this.varintNow(pos);
    if (!read) throw new MalformedOnnxError(`ends inside a varint at byte ${pos}`);
    return read;
  }

  async bytes(pos: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, pos);
    if (bytesRead !== length) throw new MalformedOnnxError(`ends inside a field at byte ${pos}`);
    return buffer;
  }

  async text(pos: number, length: number): Promise<string> {
    if (length > MAX_STRING || pos + length > this.size) throw new MalformedOnnxError(`has a string of ${length} bytes at byte ${pos}`);
    const buffer = Buffer.alloc(length);
    await this.handle.read(buffer, 0, length, pos);
    return buffer.toString('utf8');
  }
}

interface Field {
  number: number;
  wire: number;
  /** Start of the value (after tag, and after the length for wire type 2). */
  start: number;
  /** Position after the value. */
  end: number;
  /** The value of a varint field. */
  varint: number;
}

/** The fields of the message in [start, end). Reads wait on the file only when a header leaves the window. */
async function fields(cursor: FileCursor, start: number, end: number): Promise<Field[]> {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const [tag, afterTag] = cursor.varintNow(pos) ?? (await cursor.varint(pos));
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    let field: Field;
    switch (wire) {
      case 0: {
        const [value, next] = cursor.varintNow(afterTag) ?? (await cursor.varint(afterTag));
        field = { number, wire, start: afterTag, end: next, varint: value };
        break;
      }
      case 1:
        field = { number, wire, start: afterTag, end: afterTag + 8, varint: 0 };
        break;
      case 2: {
        const [length, valueStart] = cursor.varintNow(afterTag) ?? (await cursor.varint(afterTag));
        field = { number, wire, start: valueStart, end: valueStart + length, varint: 0 };
        break;
      }
      case 5:
        field = { number, wire, start: afterTag, end: afterTag + 4, varint: 0 };
        break;
      default:
        throw new MalformedOnnxError(`has wire type ${wire} at byte ${pos}`);
    }
    if (field.end > end) throw new MalformedOnnxError(`has a field running past its message at byte ${pos}`);
    out.push(field);
    pos = field.end;
  }
  return out;
}

async function entry(cursor: FileCursor, start: number, end: number): Promise<[string, string]> {
  let key = '';
  let value = '';
  for (const f of await fields(cursor, start, end)) {
    if (f.wire !== 2) continue;
    if (f.number === ENTRY_KEY) key = await cursor.text(f.start, f.end - f.start);
    if (f.number === ENTRY_VALUE) value = await cursor.text(f.start, f.end - f.start);
  }
  return [key, value];
}

async function tensorRef(cursor: FileCursor, start: number, end: number): Promise<ExternalRef | undefined> {
  let name = '';
  let external = false;
  const data = new Map<string, string>();
  for (const f of await fields(cursor, start, end)) {
    if (f.number === TENSOR_NAME && f.wire === 2) name = await cursor.text(f.start, f.end - f.start);
    if (f.number === TENSOR_DATA_LOCATION && f.wire === 0) external = f.varint === 1;
    if (f.number === TENSOR_EXTERNAL_DATA && f.wire === 2) data.set(...(await entry(cursor, f.start, f.end)));
  }
  if (!external) return undefined;
  const location = data.get('location');
  if (location === undefined) throw new MalformedOnnxError(`tensor ${name} is external but names no location`);
  const number = (key: string): number | undefined => {
    const text = data.get(key);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0) throw new MalformedOnnxError(`tensor ${name} has external ${key} ${JSON.stringify(text)}`);
    return n;
  };
  return { tensor: name, location, offset: number('offset') ?? 0, length: number('length') };
}

async function walk(cursor: FileCursor, kind: Kind, start: number, end: number, depth: number, out: ExternalRef[]): Promise<void> {
  if (kind === 'tensor') {
    const ref = await tensorRef(cursor, start, end);
    if (ref) out.push(ref);
    return;
  }
  if (depth > MAX_DEPTH) throw new MalformedOnnxError(`nests subgraphs deeper than ${MAX_DEPTH}`);
  for (const f of await fields(cursor, start, end)) {
    const child = CHILDREN[kind][f.number];
    if (child && f.wire === 2) await walk(cursor, child, f.start, f.end, kind === 'attribute' ? depth + 1 : depth, out);
  }
}

/** The external data references of the ONNX file; MalformedOnnxError when it is not protobuf. */
export async function externalRefs(file: string): Promise<ExternalRef[]> {
  const handle = await fs.open(file, 'r');
  try {
    const cursor = new FileCursor(handle, (await handle.stat()).size);
    const out: ExternalRef[] = [];
    for (const f of await fields(cursor, 0, cursor.size)) {
      if (f.number === MODEL_GRAPH && f.wire === 2) await walk(cursor, 'graph', f.start, f.end, 0, out);
    }
    return out;
  } finally {
    await handle.close();
  }
}

/** Graph fields a skeleton keeps: node (1) and input (11). */
const SKELETON_FIELDS = new Set([GRAPH_NODE, GRAPH_INPUT]);
/** Most bytes of nodes and inputs in a skeleton; a graph of real decoder ops is a few MB. */
export const MAX_SKELETON_BYTES = 64 * 2 ** 20;

/**
 * A ModelProto holding only the top-level graph's nodes and inputs, read without the
 * initializers: enough to tell whether a load-time graph edit is needed, without bringing the
 * weights of a large file into memory. MalformedOnnxError when it is not protobuf, or when the
 * nodes alone exceed MAX_SKELETON_BYTES.
 */
export async function graphSkeleton(file: string): Promise<Uint8Array> {
  const handle = await fs.open(file, 'r');
  try {
    const cursor = new FileCursor(handle, (await handle.stat()).size);
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const f of await fields(cursor, 0, cursor.size)) {
      if (f.number !== MODEL_GRAPH || f.wire !== 2) continue;
      for (const g of await fields(cursor, f.start, f.end)) {
        if (!SKELETON_FIELDS.has(g.number) || g.wire !== 2) continue;
        total += g.end - g.start;
        if (total > MAX_SKELETON_BYTES) throw new MalformedOnnxError(`has more than ${MAX_SKELETON_BYTES} bytes of graph nodes`);
        parts.push(...lengthDelimited(g.number, await cursor.bytes(g.start, g.end - g.start)));
      }
    }
    return Buffer.concat(lengthDelimited(MODEL_GRAPH, Buffer.concat(parts)));
  } finally {
    await handle.close();
  }
}
