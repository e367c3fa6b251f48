import type { Grammar, MatchState } from './grammar';
import type { Stack, StringFrame } from './matcher';
import type { TokenTrie, ConstraintVocabulary } from './vocabulary';

/**
 * The set of tokens allowed in a matcher state, as a bitset over the logits row: a walk of the
 * token trie that feeds each byte to the grammar and skips a subtree at its first dead byte.
 * Masks are cached by state key. Inside a string the state key would change with every
 * character written (its length counts against maxLength), so there the mask is assembled
 * instead: the plain tokens (see vocabulary.ts) that fit the room left, plus a cached walk of the
 * other tokens made once without the length bound, which notes how many characters each token
 * adds to the string.
 */
export class Masks {
  private readonly walks: BoundedCache<StringWalk>;

  constructor(
    private readonly vocab: ConstraintVocabulary,
    readonly cache: BoundedCache<Uint32Array>,
  ) {
    this.walks = new BoundedCache<StringWalk>(cache.maxBytes / 4, (w) => w.ids.byteLength * 2);
  }

  /** The allowed tokens of `state` (stop tokens not included); `grammarKey` names the grammar in cache keys. */
  allowed(grammar: Grammar, grammarKey: string, state: MatchState): Uint32Array {
    const top = stringTop(state);
    if (top === undefined) {
      return this.cache.get(`${grammarKey}|${grammar.key(state)}`, () => computeMask(grammar, this.vocab.trie, state, this.vocab));
    }
    const unbounded: MatchState = { alts: [{ ...top, frame: { ...top.frame, count: Math.min(top.frame.count, top.frame.min), max: Infinity }, key: undefined }], free: -1 };
    const walked = this.walks.get(`${grammarKey}|${grammar.key(unbounded)}`, () => walkString(grammar, this.vocab.unplainTrie, unbounded));
    const room = top.frame.max - top.frame.count;
    const bits = this.vocab.plainBits(room).slice();
    for (let k = 0; k < walked.ids.length; k++) {
      if (walked.added[k]! <= room) setBit(bits, walked.ids[k]!);
    }
    return bits;
  }
}

/** Tokens a walk from inside a string allowed, and the characters each adds to that string. */
interface StringWalk {
  ids: Int32Array;
  added: Int32Array;
}

type StringStack = Stack & { frame: StringFrame };

/** The only alternative, when it is between characters of a string (no escape or UTF-8 sequence open). */
function stringTop(state: MatchState): StringStack | undefined {
  if (state.alts.length !== 1) return undefined;
  const top = state.alts[0];
  if (!top || top.frame.t !== 'str' || top.frame.esc !== 0 || top.frame.need !== 0 || top.frame.re !== undefined) return undefined;
  return top as StringStack;
}

export function computeMask(grammar: Grammar, trie: TokenTrie, state: MatchState, vocab: ConstraintVocabulary): Uint32Array {
  const bits = new Uint32Array((vocab.logitsSize + 31) >>> 5);
  walk(grammar, trie, state, (id) => setBit(bits, id));
  if (state.free >= 0) {
    for (const id of vocab.byteless) setBit(bits, id);
  }
  return bits;
}

function walkString(grammar: Grammar, trie: TokenTrie, state: MatchState): StringWalk {
  const root = state.alts[0] as StringStack;
  const added = new Int32Array(trie.maxDepth + 1);
  const ids: number[] = [];
  const counts: number[] = [];
  let current = 0;
  walk(
    grammar,
    trie,
    state,
    (id) => {
      ids.push(id);
      counts.push(current);
    },
    (next, d) => {
      const alt = next.alts.length === 1 ? next.alts[0] : undefined;
      // Still in the same string: its count grew; once the string closed, what it added is fixed.
      added[d] = alt && alt.frame.t === 'str' && alt.parent === root.parent ? alt.frame.count - root.frame.count : added[d - 1]!;
      current = added[d]!;
    },
  );
  return { ids: Int32Array.from(ids), added: Int32Array.from(counts) };
}

/**
 * Most matcher stacks fed per walk beyond one per trie node. A schema with many alternatives that
 * stay open (64 kinds of string at once) would otherwise cost seconds per token; cut short, the
 * walk allows fewer tokens, each of which still leads to a valid output.
 */
const EXTRA_ALTERNATIVES_BUDGET = 100_000;

function walk(grammar: Grammar, trie: TokenTrie, state: MatchState, allow: (id: number) => void, entered?: (next: MatchState, depth: number) => void): void {
  const states = new Array<MatchState>(trie.maxDepth + 1);
  states[0] = state;
  const { byte, depth, skip, tokenStart, ids } = trie;
  let work = 0;
  for (let i = 0; i < byte.length; ) {
    const d = depth[i]!;
    const from = states[d - 1]!;
    work += Math.max(0, from.alts.length - 1);
    if (work > EXTRA_ALTERNATIVES_BUDGET) return;
    const next = grammar.step(from, byte[i]!);
    if (next === undefined) {
      i = skip[i]!;
      continue;
    }
    states[d] = next;
    entered?.(next, d);
    for (let k = tokenStart[i]!; k < tokenStart[i + 1]!; k++) allow(ids[k]!);
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
    const from = w << 5;
    if (word === 0) {
      // Runs of fully masked words in one fill: most of the row in most JSON states.
      let last = w;
      while (last + 1 < bits.length && bits[last + 1] === 0) last++;
      logits.fill(-Infinity, from, Math.min(logits.length, (last + 1) << 5));
      w = last;
      continue;
    }
    const end = Math.min(logits.length, from + 32);
    for (let i = from; i < end; i++) {
      if ((word & (1 << (i & 31))) === 0) logits[i] = -Infinity;
    }
  }
}

/**
 * Values by key, least recently used dropped first once over `maxBytes`. One cache serves every
 * request of an engine: a key names the grammar as well as the state.
 */
export class BoundedCache<T> {
  private readonly entries = new Map<string, T>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    readonly maxBytes: number,
    private readonly sizeOf: (value: T) => number,
  ) {}

  get(key: string, compute: () => T): T {
    const found = this.entries.get(key);
    if (found !== undefined) {
      this.hits++;
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    this.misses++;
    const value = compute();
    this.entries.set(key, value);
    this.bytes += this.sizeOf(value) + key.length * 2;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes || k === key) break;
      this.entries.delete(k);
      this.bytes -= this.sizeOf(v) + k.length * 2;
    }
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}
