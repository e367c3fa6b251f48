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

/** Indices of the k largest values, largest first (lower index first on ties), via a size-k min-heap. */
export function topKIndices(values: ArrayLike<number>, k: number): number[] {
  const heap: number[] = [];
  // "a ranks below b": smaller value, or equal value and larger index.
  const below = (a: number, b: number): boolean => values[a]! < values[b]! || (values[a] === values[b] && a > b);
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && below(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && below(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = 0; i < values.length; i++) {
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0; ) {
        const p = (c - 1) >> 1;
        if (!below(heap[c]!, heap[p]!)) break;
        [heap[c], heap[p]] = [heap[p]!, heap[c]!];
        c = p;
      }
    } else if (below(heap[0]!, i)) {
      heap[0] = i;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => values[b]! - values[a]! || a - b);
}

/**
 * The smallest set of most likely tokens whose probability reaches `topP` of `total`, largest
 * first. Candidates are taken above a falling floor (a tenth of the best, a hundredth, ...) and
 * only they are sorted, so a 150k vocabulary rarely costs a full sort per token.
 */
function nucleus(probs: Float64Array, total: number, topP: number): number[] {
  let best = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i]! > best) best = probs[i]!;
  const target = topP * total;
  for (let floor = best / 10; ; floor /= 100) {
    const last = floor < best * 1e-12;
    const ids: number[] = [];
    let mass = 0;
    for (let i = 0; i < probs.length; i++) {
      if (probs[i]! >= floor || last) {
        ids.push(i);
        mass += probs[i]!;
      }
    }
    if (mass < target && !last) continue;
    ids.sort((a, b) => probs[b]! - probs[a]! || a - b);
    let cumulative = 0;
    for (let i = 0; i < ids.length; i++) {
      cumulative += probs[ids[i]!]!;
      if (cumulative >= target) return ids.slice(0, i + 1);
    }
    return ids;
  }
}

/** Draws an index of `ids` with probability proportional to probs[id]. */
function draw(ids: ArrayLike<number>, probs: Float64Array, random: Random): number {
  let total = 0;
  for (let i = 0; i < ids.length; i++) total += probs[ids[i]!]!;
  let r = random() * total;
  for (let i = 0; i < ids.length; i++) {
    r -= probs[ids[i]!]!;
    if (r < 0) return ids[i]!;
  }
  return ids[ids.length - 1]!;
}

/**
 * Picks the next token from one row of logits: repetition penalty, then greedy (temperature 0) or
 * softmax sampling at the temperature, restricted by top-k and then top-p as Hugging Face does.
 * `logits` may be modified. `seen` is the set of token ids already in prompt and output.
 */
export function sampleToken(logits: Float32Array, params: SamplingParams, seen: ReadonlySet<number>, random: Random): number {
  applyRepetitionPenalty(logits, seen, params.repetitionPenalty);
  if (params.temperature <= 0 || params.topK === 1) {
    return argmax(logits);
  }
  const inv = 1 / params.temperature;
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! > max) max = logits[i]!;
  }
  const probs = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const p = Math.exp((logits[i]! - max) * inv);
    probs[i] = p;
    total += p;
  }
  const k = params.topK > 0 ? Math.min(params.topK, logits.length) : logits.length;
  if (k < logits.length) {
    let ids = topKIndices(probs, k);
    if (params.topP < 1) {
      const kept = ids.reduce((n, id) => n + probs[id]!, 0);
      let cumulative = 0;
      const cut = ids.findIndex((id) => (cumulative += probs[id]!) >= params.topP * kept);
      ids = ids.slice(0, cut < 0 ? ids.length : cut + 1);
    }
    return draw(ids, probs, random);
  }
  if (params.topP < 1) {
    return draw(nucleus(probs, total, params.topP), probs, random);
  }
  // The whole distribution: no ordering needed, scan in index order.
  let r = random() * total;
  for (let i = 0; i < probs.length; i++) {
    r -= probs[i]!;
    if (r < 0) return i;
  }
  return argmax(probs);
}

/** A token id and its natural-log probability. */
export interface IdLogprob {
  id: number;
  logprob: number;
}

/**
 * The log-probability of `chosen` and of the `top` most likely tokens (most likely first) under
 * the softmax of `logits` at temperature 1: the model's own distribution after the repetition
 * penalty and any forced-prefix mask, whatever temperature the token was sampled at.
 */
export function tokenLogprobs(logits: Float32Array, chosen: number, top: number): { logprob: number; top: IdLogprob[] } {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! > max) max = logits[i]!;
  }
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    sum += Math.exp(logits[i]! - max);
  }
  const logZ = max + Math.log(sum);
  const best = top > 0 ? topKIndices(logits, Math.min(top, logits.length)) : [];
  return { logprob: logits[chosen]! - logZ, top: best.map((id) => ({ id, logprob: logits[id]! - logZ })) };
}
