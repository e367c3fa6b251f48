import type { Random } from './prng';

/** Sampling parameters after defaults were applied. */
export interface SamplingParams {
  /** 0 means greedy (argmax). */
  temperature: number;
  /** 0 keeps all tokens. */
  topK: number;
  /** 1 keeps all tokens. */
  topP: number;
  /** 1 is off. */
  repetitionPenalty: number;
}

export const GREEDY: Readonly<SamplingParams> = { temperature: 0, topK: 0, topP: 1, repetitionPenalty: 1 };

/** Index of the largest value; the first one on ties, as torch.argmax does. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/**
 * The CTRL / Hugging Face repetition penalty, in place: each distinct token seen gets its logit
 * divided by `penalty` when positive and multiplied when negative.
 */
export function applyRepetitionPenalty(logits: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) {
    return;
  }
  for (const id of seen) {
    if (id < 0 || id >= logits.length) {
      continue;
    }
    const v = logits[id]!;
    logits[id] = v > 0 ? v / penalty : v * penalty;
  }
}

/** Tokens whose probability is below e^-CUTOFF of the best one cannot matter to any draw. */
const CUTOFF = 30;

/**
 * Picks the next token from one row of logits. `logits` may be modified (it is a scratch copy
 * when a penalty applies). `seen` is the set of token ids already in prompt and output.
 */
export function sampleToken(logits: Float32Array, params: SamplingParams, seen: ReadonlySet<number>, random: Random): number {
  applyRepetitionPenalty(logits, seen, params.repetitionPenalty);
  if (params.temperature <= 0 || params.topK === 1) {
    return argmax(logits);
  }
  const inv = 1 / params.temperature;
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! > max) {
      max = logits[i]!;
    }
  }
  // Candidates within reach of the best token, sorted by logit (then id, for determinism).
  const floor = max - CUTOFF * params.temperature;
  const ids: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! >= floor) {
      ids.push(i);
    }
  }
  ids.sort((a, b) => logits[b]! - logits[a]! || a - b);
  let count = params.topK > 0 ? Math.min(params.topK, ids.length) : ids.length;
  const probs = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const p = Math.exp((logits[ids[i]!]! - max) * inv);
    probs[i] = p;
    total += p;
  }
  if (params.topP < 1) {
    let cumulative = 0;
    for (let i = 0; i < count; i++) {
      cumulative += probs[i]! / total;
      if (cumulative >= params.topP) {
        count = i + 1;
        break;
      }
    }
    total = 0;
    for (let i = 0; i < count; i++) {
      total += probs[i]!;
    }
  }
  let r = random() * total;
  for (let i = 0; i < count; i++) {
    r -= probs[i]!;
    if (r < 0) {
      return ids[i]!;
    }
  }
  return ids[count - 1]!;
}
