/**
 * KV state in plain typed arrays, with the copies the scheduler needs: slice a cached prefix,
 * take a row out of the decode batch, and assemble a left-padded batch from rows of any origin.
 * Layouts follow the ONNX decoder export: a sequence is [kvHeads, length, headDim] per layer and
 * tensor, a batch is [batch, kvHeads, width, headDim] with each row right-aligned.
 */
export type KvArray = Float32Array | Uint16Array;
export type KvDtype = 'float32' | 'float16';

export interface KvShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  dtype: KvDtype;
}

/** One sequence's keys and values per layer, each [kvHeads, length, headDim]. */
export interface SequenceKv {
  length: number;
  keys: KvArray[];
  values: KvArray[];
}

/** The decode batch. Row r's tokens occupy the last `width - pads[r]` columns; the rest is padding. */
export interface BatchKv {
  width: number;
  pads: number[];
  keys: KvArray[];
  values: KvArray[];
}

export type RowSource = { kv: SequenceKv } | { batch: BatchKv; row: number };

export function newKvArray(dtype: KvDtype, elements: number): KvArray {
  return dtype === 'float32' ? new Float32Array(elements) : new Uint16Array(elements);
}

export function bytesPerToken(shape: KvShape): number {
  return shape.layers * 2 * shape.kvHeads * shape.headDim * (shape.dtype === 'float32' ? 4 : 2);
}

export function sequenceBytes(kv: SequenceKv): number {
  let total = 0;
  for (let l = 0; l < kv.keys.length; l++) {
    total += kv.keys[l]!.byteLength + kv.values[l]!.byteLength;
  }
  return total;
}

export function batchBytes(batch: BatchKv | undefined): number {
  if (!batch) {
    return 0;
  }
  let total = 0;
  for (let l = 0; l < batch.keys.length; l++) {
    total += batch.keys[l]!.byteLength + batch.values[l]!.byteLength;
  }
  return total;
}

export function emptySequence(shape: KvShape): SequenceKv {
  const keys: KvArray[] = [];
  const values: KvArray[] = [];
  for (let l = 0; l < shape.layers; l++) {
    keys.push(newKvArray(shape.dtype, 0));
    values.push(newKvArray(shape.dtype, 0));
  }
  return { length: 0, keys, values };
}

function rowLength(src: RowSource): number {
  return 'kv' in src ? src.kv.length : src.batch.width - src.batch.pads[src.row]!;
}

/** Start of head `h` of a source row, in elements, and the arrays it lives in. */
function rowStart(src: RowSource, shape: KvShape, h: number): number {
  if ('kv' in src) {
    return h * src.kv.length * shape.headDim;
  }
  const { batch, row } = src;
  return ((row * shape.kvHeads + h) * batch.width + batch.pads[row]!) * shape.headDim;
}

function copyRow(shape: KvShape, src: RowSource, take: number, dstKeys: KvArray[], dstValues: KvArray[], dstRow: number, dstWidth: number): void {
  const srcKeys = 'kv' in src ? src.kv.keys : src.batch.keys;
  const srcValues = 'kv' in src ? src.kv.values : src.batch.values;
  const { kvHeads, headDim } = shape;
  const n = take * headDim;
  for (let l = 0; l < shape.layers; l++) {
    const sk = srcKeys[l]!;
    const sv = srcValues[l]!;
    const dk = dstKeys[l]!;
    const dv = dstValues[l]!;
    for (let h = 0; h < kvHeads; h++) {
      const from = rowStart(src, shape, h);
      const to = ((dstRow * kvHeads + h) * dstWidth + (dstWidth - take)) * headDim;
      dk.set(sk.subarray(from, from + n), to);
      dv.set(sv.subarray(from, from + n), to);
    }
  }
}

/** A standalone copy of the first `length` tokens of a row or sequence. */
export function copySequence(shape: KvShape, src: RowSource, length = rowLength(src)): SequenceKv {
  if (length > rowLength(src)) {
    throw new RangeError(`cannot take ${length} tokens from a row of ${rowLength(src)}`);
  }
  const keys: KvArray[] = [];
  const values: KvArray[] = [];
  const per = shape.kvHeads * length * shape.headDim;
  for (let l = 0; l < shape.layers; l++) {
    keys.push(newKvArray(shape.dtype, per));
    values.push(newKvArray(shape.dtype, per));
  }
  // A sequence is a batch of one with width == length; copy the first `length` tokens of each head.
  const { kvHeads, headDim } = shape;
  const srcKeys = 'kv' in src ? src.kv.keys : src.batch.keys;
  const srcValues = 'kv' in src ? src.kv.values : src.batch.values;
  for (let l = 0; l < shape.layers; l++) {
    for (let h = 0; h < kvHeads; h++) {
      const from = rowStart(src, shape, h);
      const to = h * length * headDim;
      keys[l]!.set(srcKeys[l]!.subarray(from, from + length * headDim), to);
      values[l]!.set(srcValues[l]!.subarray(from, from + length * headDim), to);
    }
  }
  return { length, keys, values };
}

/**
 * A new left-padded batch holding `rows` in order. The width is the longest row, so columns that
 * were padding for every row disappear. Padding is zero (finite), since masked positions still
 * take part in the attention matrix products.
 */
export function assembleBatch(shape: KvShape, rows: readonly RowSource[]): BatchKv {
  const lengths = rows.map(rowLength);
  const width = Math.max(0, ...lengths);
  const per = rows.length * shape.kvHeads * width * shape.headDim;
  const keys: KvArray[] = [];
  const values: KvArray[] = [];
  for (let l = 0; l < shape.layers; l++) {
    keys.push(newKvArray(shape.dtype, per));
    values.push(newKvArray(shape.dtype, per));
  }
  rows.forEach((src, r) => copyRow(shape, src, lengths[r]!, keys, values, r, width));
  return { width, pads: lengths.map((n) => width - n), keys, values };
}
