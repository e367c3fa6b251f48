/**
 * Sampling defaults: the model's own from generation_config.json where it states them, else the
 * engine's (greedy). A request's explicit values always win; `resolveSampling` is the one place
 * where the two meet.
 */
import { ModelLoadError } from '../common/errors';
import type { GenerationOptions } from '../protocol/generation';

export interface SamplingDefaults {
  /** 0 is greedy. */
  temperature: number;
  /** 0 keeps every token. */
  topK: number;
  topP: number;
  /** 1 is off. */
  repetitionPenalty: number;
}

/** The engine's defaults for a model without generation_config.json: greedy, no penalty. */
export const ENGINE_SAMPLING: Readonly<SamplingDefaults> = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1 };

/** transformers' GenerationConfig defaults, which apply to the fields a sampling config leaves out. */
const TRANSFORMERS_SAMPLING: Readonly<SamplingDefaults> = { temperature: 1, topK: 50, topP: 1, repetitionPenalty: 1 };

type Json = Record<string, unknown>;

function numberField(file: string, json: Json, key: string, valid: (n: number) => boolean, rule: string): number | undefined {
  const value = json[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || !valid(value)) {
    throw new ModelLoadError(file, `"${key}" must be ${rule} (found ${JSON.stringify(value)})`, 'invalid-generation-config');
  }
  return value;
}

/**
 * The model's sampling defaults from generation_config.json (`json`, undefined when the file is
 * absent). As in transformers, `do_sample` must be true for temperature, top_k and top_p to
 * apply (a config without it decodes greedily), while repetition_penalty applies either way.
 */
export function parseSamplingDefaults(file: string, json: Json | undefined): SamplingDefaults {
  if (!json) return { ...ENGINE_SAMPLING };
  const doSample = json['do_sample'];
  if (doSample !== undefined && doSample !== null && typeof doSample !== 'boolean') {
    throw new ModelLoadError(file, `"do_sample" must be true or false (found ${JSON.stringify(doSample)})`, 'invalid-generation-config');
  }
  const temperature = numberField(file, json, 'temperature', (n) => n >= 0, 'a number >= 0');
  const topK = numberField(file, json, 'top_k', (n) => Number.isInteger(n) && n >= 0, 'an integer >= 0');
  const topP = numberField(file, json, 'top_p', (n) => n > 0 && n <= 1, 'a number in (0, 1]');
  const repetitionPenalty = numberField(file, json, 'repetition_penalty', (n) => n > 0, 'a number > 0') ?? 1;
  if (doSample !== true) {
    return { ...ENGINE_SAMPLING, repetitionPenalty };
  }
  return {
    temperature: temperature ?? TRANSFORMERS_SAMPLING.temperature,
    topK: topK ?? TRANSFORMERS_SAMPLING.topK,
    topP: topP ?? TRANSFORMERS_SAMPLING.topP,
    repetitionPenalty,
  };
}

type SamplingRequest = Pick<Partial<GenerationOptions>, 'temperature' | 'topK' | 'topP' | 'repetitionPenalty'>;

/** The sampling of one request: its own values where it sets them, the model's defaults elsewhere. */
export function resolveSampling(request: SamplingRequest, defaults: SamplingDefaults): SamplingDefaults {
  return {
    temperature: request.temperature ?? defaults.temperature,
    topK: request.topK ?? defaults.topK,
    topP: request.topP ?? defaults.topP,
    repetitionPenalty: request.repetitionPenalty ?? defaults.repetitionPenalty,
  };
}
