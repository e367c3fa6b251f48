/**
 * Reads and writes ONNX model files with protobufjs and the vendored ONNX schema
 * (onnx/onnx.proto, see onnx/PROVENANCE.md), external weight data included: a read brings every
 * external tensor back inline, a write can move initializers out to one data file or to
 * numbered parts, the layouts Hugging Face exports ship (`model.onnx_data`, `model.onnx_data_1`, ...).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';

/** The parts of the ONNX schema the model tools touch; the decoded messages carry the rest unchanged. */
export interface Int64Like {
  toNumber(): number;
}
export type Int64 = number | Int64Like;

export interface StringEntry {
  key: string;
  value: string;
}

export interface TensorProto {
  name: string;
  dims: Int64[];
  data_type: number;
  raw_data?: Uint8Array;
  external_data: StringEntry[];
  data_location?: number;
  int64_data?: Int64[];
}

export interface AttributeProto {
  name: string;
  type: number;
  i?: Int64;
  ints?: Int64[];
  t?: TensorProto;
}

export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  op_type: string;
  domain?: string;
  attribute: AttributeProto[];
}

export interface ValueInfoProto {
  name: string;
  type?: { tensor_type?: { elem_type: number } };
}

export interface GraphProto {
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info: ValueInfoProto[];
}

export interface ModelProto {
  graph: GraphProto;
}

/** TensorProto.DataType values used by the tools. */
export const DataType = { FLOAT: 1, INT64: 7, FLOAT16: 10 } as const;
/** AttributeProto.AttributeType values used by the tools. */
export const AttributeType = { INT: 2, TENSOR: 4, INTS: 7 } as const;

const EXTERNAL = 1;

let modelType: protobuf.Type | undefined;

function schema(): protobuf.Type {
  modelType ??= new protobuf.Root().loadSync(path.join(__dirname, 'onnx', 'onnx.proto'), { keepCase: true }).lookupType('onnx.ModelProto');
  return modelType;
}

export function int64(value: Int64 | undefined): number {
  if (value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

function entry(tensor: TensorProto, key: string): string | undefined {
  return tensor.external_data.find((e) => e.key === key)?.value;
}

/** The data file of an external tensor, resolved inside `dir`; a location that leaves it is refused. */
function dataFile(dir: string, tensor: TensorProto): string {
  const location = entry(tensor, 'location');
  if (location === undefined || path.isAbsolute(location) || location.split(/[\\/]/).includes('..')) {
    throw new Error(`tensor ${tensor.name}: external data location ${JSON.stringify(location)} is not a plain relative path`);
  }
  return path.join(dir, location);
}

/** Brings an external tensor's bytes inline. */
async function internalize(dir: string, tensor: TensorProto, files: Map<string, Buffer>): Promise<void> {
  const file = dataFile(dir, tensor);
  let data = files.get(file);
  if (!data) {
    data = await fs.readFile(file);
    files.set(file, data);
  }
  const offset = Number(entry(tensor, 'offset') ?? '0');
  const length = Number(entry(tensor, 'length') ?? String(data.length - offset));
  if (offset + length > data.length) {
    throw new Error(`tensor ${tensor.name}: ${file} is ${data.length} bytes, the tensor needs bytes ${offset}..${offset + length}`);
  }
  tensor.raw_data = data.subarray(offset, offset + length);
  tensor.external_data = [];
  tensor.data_location = 0;
}

/** The model in `file`, every external tensor read back inline. */
export async function readOnnx(file: string): Promise<ModelProto> {
  const model = schema().decode(await fs.readFile(file)) as unknown as ModelProto;
  const files = new Map<string, Buffer>();
  for (const tensor of model.graph.initializer) {
    if (tensor.data_location === EXTERNAL) {
      await internalize(path.dirname(file), tensor, files);
    }
  }
  return model;
}

export interface ExternalDataOptions {
  /** Data file name beside the model; default `<model file name>_data`. */
  name?: string;
  /** Start a new numbered part (`<name>_1`, `<name>_2`, ...) when a part would pass this many bytes; default: one file. */
  maxPartBytes?: number;
  /** Initializers smaller than this stay inline; default 1024 bytes, as onnx's own converter. */
  minBytes?: number;
}

/** Offsets are multiples of this, as the schema recommends, so that the data can be memory-mapped. */
const ALIGN = 4096;

interface Part {
  name: string;
  chunks: Uint8Array[];
  size: number;
}

/** Moves large raw-data initializers into data parts; returns the parts to write. */
function externalize(model: ModelProto, modelName: string, options: ExternalDataOptions): Part[] {
  const base = options.name ?? `${modelName}_data`;
  const minBytes = options.minBytes ?? 1024;
  const parts: Part[] = [{ name: base, chunks: [], size: 0 }];
  for (const tensor of model.graph.initializer) {
    const raw = tensor.raw_data;
    if (!raw || raw.length < minBytes) continue;
    let part = parts.at(-1)!;
    const padded = Math.ceil(part.size / ALIGN) * ALIGN;
    if (options.maxPartBytes !== undefined && part.size > 0 && padded + raw.length > options.maxPartBytes) {
      part = { name: `${base}_${parts.length}`, chunks: [], size: 0 };
      parts.push(part);
    }
    const offset = Math.ceil(part.size / ALIGN) * ALIGN;
    if (offset > part.size) part.chunks.push(new Uint8Array(offset - part.size));
    part.chunks.push(raw);
    part.size = offset + raw.length;
    delete tensor.raw_data;
    tensor.data_location = EXTERNAL;
    tensor.external_data = [
      { key: 'location', value: part.name },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.length) },
    ];
  }
  return parts.filter((p) => p.size > 0);
}

/**
 * Writes `model` to `file`; with `external`, its large initializers go to data files beside it.
 * Each file is written to a temporary name and renamed, so that a failed write leaves nothing half-written.
 */
export async function writeOnnx(model: ModelProto, file: string, external?: ExternalDataOptions): Promise<string[]> {
  const parts = external ? externalize(model, path.basename(file), external) : [];
  const written: string[] = [];
  for (const part of parts) {
    const target = path.join(path.dirname(file), part.name);
    await writeAtomically(target, Buffer.concat(part.chunks));
    written.push(target);
  }
  await writeAtomically(file, schema().encode(model as unknown as protobuf.Message).finish());
  written.push(file);
  return written;
}

async function writeAtomically(file: string, data: Uint8Array): Promise<void> {
  const temp = `${file}.partial`;
  try {
    await fs.writeFile(temp, data);
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}
