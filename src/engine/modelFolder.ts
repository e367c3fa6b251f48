import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../common/errors';
import { effectiveContext, parseRopeScaling, parseSlidingWindow, parseTiedEmbeddings, type RopeScaling, type SlidingWindow } from './configFeatures';
import { readModelText } from './modelFiles';
import { parseSamplingDefaults, type SamplingDefaults } from './samplingDefaults';
import type { ModelVariant } from './types';

/**
 * Reads and checks a model folder in the Hugging Face ONNX layout (config.json,
 * generation_config.json, tokenizer.json, tokenizer_config.json, onnx/*.onnx). Every failure is
 * a ModelLoadError naming the file and the problem; metadata files are read within the size
 * limits of modelFiles.ts.
 */

/** Decoder architectures whose transformers.js / optimum exports share the I/O layout the engine runs. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = ['qwen2', 'qwen3', 'llama', 'mistral', 'starcoder2', 'phi3', 'gemma', 'gemma2', 'granite'];

export type ConcreteVariant = Exclude<ModelVariant, 'auto'>;

/**
 * File names per variant, as transformers.js, optimum and the onnx-community repositories name
 * them, in order of preference. `model_quantized.onnx` is transformers.js's `q8`: 8-bit weights
 * quantized as `model_int8.onnx` is, so it serves the int8 variant.
 */
export const VARIANT_FILES: Readonly<Record<ConcreteVariant, readonly string[]>> = {
  fp32: ['model.onnx', 'decoder_model_merged.onnx'],
  fp16: ['model_fp16.onnx', 'decoder_model_merged_fp16.onnx'],
  q4: ['model_q4.onnx', 'decoder_model_merged_q4.onnx'],
  q4f16: ['model_q4f16.onnx', 'decoder_model_merged_q4f16.onnx'],
  bnb4: ['model_bnb4.onnx', 'decoder_model_merged_bnb4.onnx'],
  int8: ['model_int8.onnx', 'model_quantized.onnx', 'decoder_model_merged_int8.onnx', 'decoder_model_merged_quantized.onnx'],
  uint8: ['model_uint8.onnx', 'decoder_model_merged_uint8.onnx'],
};

/**
 * Which variant `auto` prefers, per device class.
 * - CPU: q4 first (4-bit MatMulNBits reads the fewest bytes per token and its output does not
 *   depend on the batch), then fp32; bnb4 next (4-bit too, but dequantized per step, slower);
 *   the 8-bit files after those, since dynamic quantization of activations makes a batched row
 *   differ slightly from the same request alone; float16 files last, as CPU kernels for float16
 *   are few and slow (onnxruntime inserts casts around most operators).
 * - GPU: fp16 first (half the bytes of fp32 at full speed on GPU kernels), then q4f16 (4-bit
 *   weights, float16 activations), then fp32, then the CPU-oriented quantized files.
 */
export const AUTO_ORDER: Readonly<Record<'cpu' | 'gpu', readonly ConcreteVariant[]>> = {
  cpu: ['q4', 'fp32', 'bnb4', 'int8', 'uint8', 'q4f16', 'fp16'],
  gpu: ['fp16', 'q4f16', 'fp32', 'q4', 'bnb4', 'int8', 'uint8'],
};

export interface ModelConfig {
  modelType: string;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  hiddenSize: number;
  vocabSize: number;
  /** `max_position_embeddings`: the positions the model was configured for. */
  maxPositions: number;
  /** The context the engine offers in tokens: maxPositions as rope scaling and a sliding window change it (configFeatures.ts). */
  contextLength: number;
  tieWordEmbeddings: boolean;
  ropeScaling: RopeScaling | undefined;
  slidingWindow: SlidingWindow | undefined;
}

export interface ModelFolder {
  dir: string;
  name: string;
  config: ModelConfig;
  /** Parsed tokenizer.json and tokenizer_config.json, handed to the tokenizer library. */
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** End-of-sequence ids from generation_config.json, else config.json. */
  eosTokenIds: number[];
  /** Variant -> absolute path of its ONNX file, for those that exist. */
  variants: Map<ConcreteVariant, string>;
  /** Sampling defaults from generation_config.json (greedy without one). */
  samplingDefaults: SamplingDefaults;
  /** The chat template and the file it came from; undefined for a model without one (a base model). */
  chatTemplate: ChatTemplateSource | undefined;
}

export interface ChatTemplateSource {
  file: string;
  /** The template text, or the `chat_template` value of tokenizer_config.json (a string or named templates). */
  source: unknown;
}

/**
 * Current transformers writes the chat template to chat_template.jinja beside
 * tokenizer_config.json; when both hold one, transformers' from_pretrained lets the file win
 * ("independent chat template files take priority over template entries in the tokenizer config"),
 * and so does the engine.
 */
async function readChatTemplate(dir: string, tokenizerConfig: Record<string, unknown>): Promise<ChatTemplateSource | undefined> {
  const jinja = path.join(dir, 'chat_template.jinja');
  const text = await readModelText(jinja);
  if (text !== undefined) {
    return { file: jinja, source: text };
  }
  const inline = tokenizerConfig['chat_template'];
  return inline === undefined || inline === null ? undefined : { file: path.join(dir, 'tokenizer_config.json'), source: inline };
}

async function readJson(dir: string, name: string, required: true): Promise<Record<string, unknown>>;
async function readJson(dir: string, name: string, required: false): Promise<Record<string, unknown> | undefined>;
async function readJson(dir: string, name: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  const file = path.join(dir, name);
  const text = await readModelText(file);
  if (text === undefined) {
    if (!required) {
      return undefined;
    }
    throw new ModelLoadError(file, 'file is missing', 'missing-file');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ModelLoadError(file, `is not valid JSON: ${(err as Error).message}`, 'invalid-json', { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelLoadError(file, 'must contain a JSON object', 'invalid-json');
  }
  return value as Record<string, unknown>;
}

/**
 * Largest accepted `max_position_embeddings`: 2^20 tokens. Real models state at most a few
 * hundred thousand; a larger value is a broken or hostile config that would size buffers by it.
 */
export const MAX_CONTEXT_POSITIONS = 1 << 20;

function positiveInt(file: string, json: Record<string, unknown>, key: string, fallback?: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = json[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? 'a positive integer' : `an integer from 1 to ${max}`;
    throw new ModelLoadError(file, `"${key}" must be ${range} (found ${JSON.stringify(json[key])})`, 'invalid-config');
  }
  return value;
}

export function parseConfig(file: string, json: Record<string, unknown>): ModelConfig {
  const modelType = json['model_type'];
  if (typeof modelType !== 'string') {
    throw new ModelLoadError(file, '"model_type" is missing', 'invalid-config');
  }
  if (!SUPPORTED_MODEL_TYPES.includes(modelType)) {
    throw new ModelLoadError(file, `model_type "${modelType}" is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`, 'unsupported-model-type');
  }
  const layers = positiveInt(file, json, 'num_hidden_layers');
  const heads = positiveInt(file, json, 'num_attention_heads');
  const hiddenSize = positiveInt(file, json, 'hidden_size');
  const kvHeads = positiveInt(file, json, 'num_key_value_heads', heads);
  const headDim = positiveInt(file, json, 'head_dim', Math.floor(hiddenSize / heads));
  const vocabSize = positiveInt(file, json, 'vocab_size');
  const maxPositions = positiveInt(file, json, 'max_position_embeddings', 2048, MAX_CONTEXT_POSITIONS);
  const ropeScaling = parseRopeScaling(file, json);
  const slidingWindow = parseSlidingWindow(file, json, layers);
  const contextLength = effectiveContext(maxPositions, ropeScaling, slidingWindow, MAX_CONTEXT_POSITIONS);
  const tieWordEmbeddings = parseTiedEmbeddings(file, json);
  return { modelType, layers, heads, kvHeads, headDim, hiddenSize, vocabSize, maxPositions, contextLength, tieWordEmbeddings, ropeScaling, slidingWindow };
}

function idList(value: unknown): number[] {
  if (typeof value === 'number') {
    return [value];
  }
  return Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : [];
}

export async function readModelFolder(dir: string): Promise<ModelFolder> {
  const abs = path.resolve(dir);
  const stat = await fs.stat(abs).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new ModelLoadError(abs, 'model folder does not exist', 'missing-folder');
  }
  const configFile = path.join(abs, 'config.json');
  const configJson = await readJson(abs, 'config.json', true);
  const config = parseConfig(configFile, configJson);
  const generation = await readJson(abs, 'generation_config.json', false);
  const tokenizerJson = await readJson(abs, 'tokenizer.json', true);
  const tokenizerConfig = (await readJson(abs, 'tokenizer_config.json', false)) ?? {};
  const eos = idList(generation?.['eos_token_id']);
  const eosTokenIds = eos.length > 0 ? eos : idList(configJson['eos_token_id']);
  const variants = await findVariants(abs);
  const chatTemplate = await readChatTemplate(abs, tokenizerConfig);
  const samplingDefaults = parseSamplingDefaults(path.join(abs, 'generation_config.json'), generation);
  return { dir: abs, name: path.basename(abs), config, tokenizerJson, tokenizerConfig, eosTokenIds, variants, chatTemplate, samplingDefaults };
}

async function findVariants(dir: string): Promise<Map<ConcreteVariant, string>> {
  const onnxDir = path.join(dir, 'onnx');
  const names = new Set(await fs.readdir(onnxDir).catch(() => [] as string[]));
  const variants = new Map<ConcreteVariant, string>();
  for (const [variant, files] of Object.entries(VARIANT_FILES) as Array<[ConcreteVariant, readonly string[]]>) {
    const found = files.find((f) => names.has(f));
    if (found) {
      variants.set(variant, path.join(onnxDir, found));
    }
  }
  if (variants.size === 0) {
    throw new ModelLoadError(onnxDir, `no ONNX model file found (expected one of ${Object.values(VARIANT_FILES).flat().join(', ')})`, 'missing-onnx');
  }
  return variants;
}

/** The variants to try, in order, for a setting and a device class. */
export function variantCandidates(folder: ModelFolder, setting: ModelVariant, device: 'cpu' | 'gpu'): Array<{ variant: ConcreteVariant; file: string }> {
  if (setting !== 'auto') {
    const file = folder.variants.get(setting);
    if (!file) {
      throw new ModelLoadError(
        path.join(folder.dir, 'onnx', VARIANT_FILES[setting][0]!),
        `variant "${setting}" is not in this model folder (available: ${[...folder.variants.keys()].join(', ')})`,
        'missing-variant',
      );
    }
    return [{ variant: setting, file }];
  }
  return AUTO_ORDER[device].flatMap((variant) => {
    const file = folder.variants.get(variant);
    return file ? [{ variant, file }] : [];
  });
}
