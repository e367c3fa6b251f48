import * as ort from 'onnxruntime-node';
import { ModelLoadError } from '../common/errors';
import type { KvArray, KvDtype, KvShape } from './kv';
import { LOGITS_TO_KEEP } from './lastLogits';
import type { ModelConfig } from './modelFolder';

/**
 * One ONNX decoder session in the optimum / transformers.js layout: inputs `input_ids`,
 * `attention_mask`, optional `position_ids` (and `use_cache_branch` for merged exports),
 * `past_key_values.{i}.key|value`; outputs `logits` and `present.{i}.key|value`. The names are
 * read from the session, so exports with or without `position_ids` run unchanged.
 */
export interface DecoderIo {
  inputIds: string;
  attentionMask: string;
  positionIds: string | undefined;
  useCacheBranch: string | undefined;
  pastKeys: string[];
  pastValues: string[];
  logits: string;
  /** `num_logits_to_keep`: the graph projects only that many last positions onto the vocabulary. */
  logitsToKeep: string | undefined;
  presentKeys: string[];
  presentValues: string[];
  idType: 'int64' | 'int32';
  logitsType: 'float32' | 'float16';
  /** Vocabulary size of the logits, when the export declares it. */
  vocab: number | undefined;
  shape: KvShape;
}

type Meta = ort.InferenceSession.ValueMetadata;

function tensorMeta(list: readonly Meta[], name: string): Extract<Meta, { isTensor: true }> | undefined {
  const m = list.find((x) => x.name === name);
  return m && m.isTensor ? m : undefined;
}

/** The axis along which each input grows with the sequence: new tokens, total length, cached past. */
function sequenceAxis(name: string): number | undefined {
  if (name === 'input_ids' || name === 'attention_mask' || name === 'position_ids') {
    return 1;
  }
  return /^past_key_values\.\d+\.(key|value)$/.test(name) ? 2 : undefined;
}

/**
 * The sequence axes the graph fixes to a number, as `name axis i = n`. The session metadata
 * states only the shapes of the inputs: a fixed axis is a limit the engine can see, while a
 * position table inside the graph (a learned position embedding, a rotary cos/sin cache) is an
 * initializer that the metadata does not show; its size is known only by running the graph.
 */
function fixedSequenceAxes(inputs: readonly Meta[]): string[] {
  return inputs.flatMap((m) => {
    const axis = sequenceAxis(m.name);
    const size = axis !== undefined && m.isTensor ? m.shape[axis] : undefined;
    return typeof size === 'number' && size > 0 ? [`${m.name} axis ${axis} = ${size}`] : [];
  });
}

/** Reads and checks the session's inputs and outputs against the config. `file` is named in errors. */
export function inspectIo(file: string, inputs: readonly Meta[], outputs: readonly Meta[], config: ModelConfig): DecoderIo {
  const inputNames = inputs.map((m) => m.name);
  const outputNames = outputs.map((m) => m.name);
  const problem = (what: string, code = 'unrecognised-io'): ModelLoadError =>
    new ModelLoadError(file, `${what} (inputs: ${inputNames.join(', ')}; outputs: ${outputNames.join(', ')})`, code);

  const pastLayers = inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
  const known = new Set(['input_ids', 'attention_mask', 'position_ids', 'use_cache_branch', LOGITS_TO_KEEP]);
  const unknown = inputNames.filter((n) => !known.has(n) && !/^past_key_values\.\d+\.(key|value)$/.test(n));
  if (!inputNames.includes('input_ids') || !inputNames.includes('attention_mask') || unknown.length > 0) {
    throw problem(`is not a decoder with the expected inputs${unknown.length ? `; unrecognised: ${unknown.join(', ')}` : ''}`);
  }
  if (pastLayers === 0) {
    throw problem('has no past_key_values inputs (an export without KV cache cannot be run)');
  }
  const fixed = fixedSequenceAxes(inputs);
  if (fixed.length > 0) {
    // The engine feeds prompts of any length and grows the cache one token at a time, so a fixed axis
    // cannot run at all, whatever its size against config.json's context.
    throw problem(
      `fixes sequence axes the engine varies (${fixed.join(', ')}; config.json max_position_embeddings = ${config.maxPositions}); export it with dynamic sequence axes`,
      'fixed-sequence-length',
    );
  }
  if (pastLayers !== config.layers) {
    throw problem(`has ${pastLayers} layers of past_key_values but config.json says num_hidden_layers = ${config.layers}`, 'layer-mismatch');
  }
  const presentName = (l: number, kind: 'key' | 'value'): string => {
    const candidates = [`present.${l}.${kind}`, `present_key_values.${l}.${kind}`];
    const found = candidates.find((c) => outputNames.includes(c));
    if (!found) {
      throw problem(`has no output ${candidates[0]}`);
    }
    return found;
  };
  const pastKeys: string[] = [];
  const pastValues: string[] = [];
  const presentKeys: string[] = [];
  const presentValues: string[] = [];
  for (let l = 0; l < config.layers; l++) {
    for (const kind of ['key', 'value'] as const) {
      const name = `past_key_values.${l}.${kind}`;
      if (!inputNames.includes(name)) {
        throw problem(`has no input ${name}`);
      }
    }
    pastKeys.push(`past_key_values.${l}.key`);
    pastValues.push(`past_key_values.${l}.value`);
    presentKeys.push(presentName(l, 'key'));
    presentValues.push(presentName(l, 'value'));
  }
  if (!outputNames.includes('logits')) {
    throw problem('has no output "logits"');
  }
  const past0 = tensorMeta(inputs, 'past_key_values.0.key');
  const kvType = past0?.type ?? 'float32';
  if (kvType !== 'float32' && kvType !== 'float16') {
    throw problem(`past_key_values have type ${kvType}; only float32 and float16 are supported`);
  }
  const dims = past0?.shape ?? [];
  const kvHeads = typeof dims[1] === 'number' ? dims[1] : config.kvHeads;
  const headDim = typeof dims[3] === 'number' ? dims[3] : config.headDim;
  if (kvHeads !== config.kvHeads || headDim !== config.headDim) {
    throw problem(`past_key_values are [batch, ${kvHeads}, past, ${headDim}] but config.json gives ${config.kvHeads} KV heads of ${config.headDim}`, 'shape-mismatch');
  }
  const idMeta = tensorMeta(inputs, 'input_ids');
  const idType = idMeta?.type === 'int32' ? 'int32' : 'int64';
  const logitsMeta = tensorMeta(outputs, 'logits');
  const logitsType = logitsMeta?.type === 'float16' ? 'float16' : 'float32';
  const lastDim = logitsMeta?.shape.at(-1);
  const vocab = typeof lastDim === 'number' ? lastDim : undefined;
  return {
    inputIds: 'input_ids',
    attentionMask: 'attention_mask',
    positionIds: inputNames.includes('position_ids') ? 'position_ids' : undefined,
    useCacheBranch: inputNames.includes('use_cache_branch') ? 'use_cache_branch' : undefined,
    pastKeys,
    pastValues,
    logits: 'logits',
    logitsToKeep: inputNames.includes(LOGITS_TO_KEEP) ? LOGITS_TO_KEEP : undefined,
    presentKeys,
    presentValues,
    idType,
    logitsType,
    vocab,
    shape: { layers: config.layers, kvHeads, headDim, dtype: kvType as KvDtype },
  };
}

export interface StepInput {
  batch: number;
  /** New tokens per row (all rows the same count). */
  seqLen: number;
  /** Row-major [batch, seqLen] token ids. */
  ids: ArrayLike<number>;
  /** Columns of past KV (0 for a first prefill). */
  pastWidth: number;
  /** Leading padding columns of each row, counted over past and new tokens together. */
  pads: readonly number[];
  pastKeys: readonly KvArray[];
  pastValues: readonly KvArray[];
  /** Last positions of each row whose logits are read (default 1); a graph without `num_logits_to_keep` returns all. */
  logitsFor?: number;
}

export interface StepOutput {
  /** Row-major [batch, positions, vocab]: the last `positions` of each row. */
  logits: Float32Array | Uint16Array;
  positions: number;
  vocab: number;
  keys: KvArray[];
  values: KvArray[];
}

export class DecoderSession {
  constructor(
    readonly session: ort.InferenceSession,
    readonly io: DecoderIo,
  ) {}

  async run(input: StepInput): Promise<StepOutput> {
    const { batch, seqLen, pastWidth, pads, io } = { ...input, io: this.io };
    const total = pastWidth + seqLen;
    const n = batch * seqLen;
    const feeds: Record<string, ort.Tensor> = {};
    const idArray = io.idType === 'int64' ? new BigInt64Array(n) : new Int32Array(n);
    const maskArray = io.idType === 'int64' ? new BigInt64Array(batch * total) : new Int32Array(batch * total);
    const posArray = io.idType === 'int64' ? new BigInt64Array(n) : new Int32Array(n);
    const big = io.idType === 'int64';
    for (let i = 0; i < n; i++) {
      idArray[i] = big ? BigInt(input.ids[i]!) : input.ids[i]!;
    }
    for (let r = 0; r < batch; r++) {
      const pad = pads[r] ?? 0;
      for (let c = pad; c < total; c++) {
        maskArray[r * total + c] = big ? 1n : 1;
      }
      // position_ids = cumsum(mask) - 1: a row's first real token is position 0; padding gets 1,
      // as in Hugging Face's generate (it is masked out anyway).
      const start = pastWidth - pad;
      for (let s = 0; s < seqLen; s++) {
        const position = start + s < 0 ? 1 : start + s;
        posArray[r * seqLen + s] = big ? BigInt(position) : position;
      }
    }
    feeds[io.inputIds] = new ort.Tensor(io.idType, idArray, [batch, seqLen]);
    feeds[io.attentionMask] = new ort.Tensor(io.idType, maskArray, [batch, total]);
    if (io.positionIds) {
      feeds[io.positionIds] = new ort.Tensor(io.idType, posArray, [batch, seqLen]);
    }
    if (io.logitsToKeep) {
      feeds[io.logitsToKeep] = new ort.Tensor('int64', BigInt64Array.of(BigInt(Math.min(seqLen, input.logitsFor ?? 1))), []);
    }
    if (io.useCacheBranch) {
      feeds[io.useCacheBranch] = new ort.Tensor('bool', new Uint8Array([pastWidth > 0 ? 1 : 0]), [1]);
    }
    const { kvHeads, headDim, dtype } = io.shape;
    const pastDims = [batch, kvHeads, pastWidth, headDim];
    for (let l = 0; l < io.shape.layers; l++) {
      feeds[io.pastKeys[l]!] = new ort.Tensor(dtype, input.pastKeys[l]!, pastDims);
      feeds[io.pastValues[l]!] = new ort.Tensor(dtype, input.pastValues[l]!, pastDims);
    }
    const out = await this.session.run(feeds);
    const logits = out[io.logits] as ort.Tensor;
    const keys: KvArray[] = [];
    const values: KvArray[] = [];
    for (let l = 0; l < io.shape.layers; l++) {
      keys.push((out[io.presentKeys[l]!] as ort.Tensor).data as KvArray);
      values.push((out[io.presentValues[l]!] as ort.Tensor).data as KvArray);
    }
    const vocab = logits.dims[logits.dims.length - 1]!;
    const positions = logits.dims.length === 3 ? logits.dims[1]! : seqLen;
    return { logits: logits.data as Float32Array | Uint16Array, positions, vocab, keys, values };
  }

  /** A float32 copy of the logits at position `pos` of a row of `seqLen` tokens (float16 logits are converted). */
  static logitsAt(output: StepOutput, row: number, seqLen: number, pos: number): Float32Array {
    const index = pos - (seqLen - output.positions);
    if (index < 0) {
      throw new Error(`logits of position ${pos} of ${seqLen} were not computed (the run kept the last ${output.positions})`);
    }
    const start = (row * output.positions + index) * output.vocab;
    const slice = output.logits.subarray(start, start + output.vocab);
    if (slice instanceof Float32Array) {
      return slice.slice();
    }
    const out = new Float32Array(slice.length);
    for (let i = 0; i < slice.length; i++) {
      out[i] = halfToFloat(slice[i]!);
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) {
    return sign * 2 ** -14 * (frac / 1024);
  }
  if (exp === 0x1f) {
    return frac ? NaN : sign * Infinity;
  }
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
