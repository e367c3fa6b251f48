/**
 * The config.json fields that change how far a model can see: `rope_scaling` (a longer context
 * from rescaled rotary positions), `sliding_window` with `use_sliding_window` and
 * `max_window_layers` (attention limited to the last N tokens in some or all layers), and
 * `tie_word_embeddings`. Each is checked; a value the engine cannot honour is a ModelLoadError
 * naming config.json and the field.
 */
import { ModelLoadError } from '../common/errors';

/** Rotary scaling types of transformers' ROPE_INIT_FUNCTIONS (`su` is the old name of `longrope`). */
export const ROPE_SCALING_TYPES: readonly string[] = ['default', 'linear', 'dynamic', 'yarn', 'longrope', 'llama3', 'su'];

/** Types whose `factor` stretches the trained context; the others (longrope, llama3) state their own context in max_position_embeddings. */
const STRETCHING = new Set(['linear', 'dynamic', 'yarn']);

export interface RopeScaling {
  type: string;
  factor: number;
  /** The context the model was pretrained with, when the config states it (YaRN, longrope, llama3). */
  originalMaxPositions: number | undefined;
}

export interface SlidingWindow {
  /** Tokens each windowed layer attends to. */
  size: number;
  /** Layers that attend through the window (the others see the whole context). */
  layers: number;
}

type Json = Record<string, unknown>;

function invalid(file: string, key: string, what: string, value: unknown): ModelLoadError {
  return new ModelLoadError(file, `"${key}" ${what} (found ${JSON.stringify(value)})`, 'invalid-config');
}

function optionalPositiveInt(file: string, json: Json, key: string): number | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw invalid(file, key, 'must be a positive integer or null', value);
  return value;
}

function optionalBoolean(file: string, json: Json, key: string): boolean | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(file, key, 'must be true or false', value);
  return value;
}

/** `tie_word_embeddings`: whether the output projection shares the input embedding (default false, as in Qwen2's and Llama's configs). */
export function parseTiedEmbeddings(file: string, json: Json): boolean {
  return optionalBoolean(file, json, 'tie_word_embeddings') ?? false;
}

export function parseRopeScaling(file: string, json: Json): RopeScaling | undefined {
  const value = json['rope_scaling'];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(file, 'rope_scaling', 'must be an object or null', value);
  const scaling = value as Json;
  const type = scaling['rope_type'] ?? scaling['type'];
  if (typeof type !== 'string' || !ROPE_SCALING_TYPES.includes(type)) {
    throw new ModelLoadError(
      file,
      `rope_scaling type ${JSON.stringify(type)} is not supported (supported: ${ROPE_SCALING_TYPES.join(', ')}); the model's positions beyond its trained context would be wrong`,
      'unsupported-rope-scaling',
    );
  }
  const factor = scaling['factor'] ?? 1;
  if (typeof factor !== 'number' || !(factor >= 1) || !Number.isFinite(factor)) {
    throw invalid(file, 'rope_scaling.factor', 'must be a number of at least 1', factor);
  }
  return { type, factor, originalMaxPositions: optionalPositiveInt(file, scaling, 'original_max_position_embeddings') };
}

/**
 * The sliding window the model attends through, if any layer uses one. Qwen2 and Qwen3 configs
 * carry `sliding_window` always and switch it on with `use_sliding_window`, for the layers from
 * `max_window_layers` on (as transformers' Qwen2 attention does); configs without that switch
 * (Mistral, Starcoder2, Phi-3, Gemma 2) use the window whenever it is set.
 */
export function parseSlidingWindow(file: string, json: Json, layers: number): SlidingWindow | undefined {
  const size = optionalPositiveInt(file, json, 'sliding_window');
  const enabled = optionalBoolean(file, json, 'use_sliding_window');
  const firstWindowed = optionalPositiveIntOrZero(file, json, 'max_window_layers');
  if (firstWindowed !== undefined && firstWindowed > layers) {
    throw invalid(file, 'max_window_layers', `must be at most num_hidden_layers (${layers})`, firstWindowed);
  }
  if (size === undefined || enabled === false) return undefined;
  if (enabled === undefined && 'use_sliding_window' in json) return undefined;
  const windowed = enabled === true ? layers - (firstWindowed ?? 0) : layers;
  return windowed > 0 ? { size, layers: windowed } : undefined;
}

function optionalPositiveIntOrZero(file: string, json: Json, key: string): number | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalid(file, key, 'must be a non-negative integer or null', value);
  return value;
}

/**
 * The context the engine offers, in tokens: max_position_embeddings, stretched by a rope
 * scaling factor where the type stretches it (from original_max_position_embeddings when given,
 * as vLLM derives it), then at most the sliding window when a layer uses one: the exported graphs
 * attend over the whole cache, so past the window those layers would see what they were never
 * trained on.
 */
export function effectiveContext(maxPositions: number, rope: RopeScaling | undefined, window: SlidingWindow | undefined, limit: number): number {
  let context = maxPositions;
  if (rope && STRETCHING.has(rope.type)) {
    const base = rope.type === 'yarn' ? (rope.originalMaxPositions ?? maxPositions) : maxPositions;
    context = Math.floor(base * rope.factor);
  }
  if (window) {
    context = Math.min(context, window.size);
  }
  return Math.min(context, limit);
}
