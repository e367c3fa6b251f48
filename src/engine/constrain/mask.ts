import type { Grammar, MatchState } from './grammar';
import type { TokenTrie, ConstraintVocabulary } from './vocabulary';

/**
 * The set of tokens allowed in a matcher state, as a bitset over the logits row: a walk of the
 * token trie that feeds each byte to the grammar and skips a subtree at its first dead byte.
 * Inside a string, plain tokens (see vocabulary.ts) are added by count instead of walked, and
 * only the other tokens are walked.
 */
export function computeMask(grammar: Grammar, vocab: ConstraintVocabulary, state: MatchState): Uint32Array {
  const bits = new Uint32Array((vocab.logitsSize + 31) >>> 5);
  const inString = plainRoom(state);
  if (inString === undefined) {
    walk(grammar, vocab.trie, state, bits);
  } else {
    const n = vocab.plainUpTo(inString);
    for (let i = 0; i < n; i++) setBit(bits, vocab.plainIds[i]!);
    walk(grammar, vocab.unplainTrie, state, bits);
  }
  if (state.free >= 0) {
    for (const id of vocab.byteless) setBit(bits, id);
  }
  return bits;
}

/** Characters a plain token may add: defined when the only alternative is between characters of a string. */
function plainRoom(state: MatchState): number | undefined {
  if (state.alts.length !== 1) return undefined;
  const top = state.alts[0];
  if (!top || top.frame.t !== 'str') return undefined;
  const f = top.frame;
  return f.esc === 0 && f.need === 0 ? f.max - f.count : undefined;
}

function walk(grammar: Grammar, trie: TokenTrie, state: MatchState, bits: Uint32Array): void {
  const states = new Array<MatchState>(trie.maxDepth + 1);
  states[0] = state;
  const { byte, depth, skip, tokenStart, ids } = trie;
  for (let i = 0; i < byte.length; ) {
    const d = depth[i]!;
    const next = grammar.step(states[d - 1]!, byte[i]!);
    if (next === undefined) {
      i = skip[i]!;
      continue;
    }
    states[d] = next;
    for (let k = tokenStart[i]!; k < tokenStart[i + 1]!; k++) setBit(bits, ids[k]!);
    i++;
  }
}

export function setBit(bits: Uint32Array, id: number): void {
  bits[id >>> 5]! |= 1 << (id & 31);
}

export function hasBit(bits: Uint32Array, id: number): boolean {
  return (bits[id >>> 5]! & (1 << (id & 31))) !== 0;
}

/** Sets every logit outside `bits` to -Infinity. */
export function applyMask(logits: Float32Array, bits: Uint32Array): void {
  for (let w = 0; w < bits.length; w++) {
    const word = bits[w]!;
    if (word === 0xffffffff) continue;
    const end = Math.min(logits.length, (w + 1) << 5);
    for (let i = w << 5; i < end; i++) {
      if ((word & (1 << (i & 31))) === 0) logits[i] = -Infinity;
    }
  }
}

/**
 * Masks by state key, least recently used dropped first once over `maxBytes`. One cache serves
 * every request of an engine: a key names the grammar as well as the state.
 */
export class MaskCache {
  private readonly entries = new Map<string, Uint32Array>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string, compute: () => Uint32Array): Uint32Array {
    const found = this.entries.get(key);
    if (found) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    this.misses++;
    const mask = compute();
    this.entries.set(key, mask);
    this.bytes += mask.byteLength + key.length * 2;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes || k === key) break;
      this.entries.delete(k);
      this.bytes -= v.byteLength + k.length * 2;
    }
    return mask;
  }

  get size(): number {
    return this.entries.size;
  }
}
