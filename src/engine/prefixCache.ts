import { LRUCache } from 'lru-cache';
import { sequenceBytes, type SequenceKv } from './kv';

/**
 * KV state of recently finished sequences, kept within a byte budget and evicted least recently
 * used first. A new request reuses the longest cached prefix of its tokens and prefills only the
 * rest, which is what makes a request per keystroke cheap.
 */
export interface CachedSequence {
  /** The tokens whose KV state `kv` holds (kv.length === tokens.length). */
  tokens: Int32Array;
  kv: SequenceKv;
}

export interface PrefixMatch {
  entry: CachedSequence;
  /** Leading tokens shared by the request and the entry. */
  length: number;
}

export function commonPrefixLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) {
    i++;
  }
  return i;
}

export class PrefixCache {
  private readonly lru: LRUCache<number, CachedSequence>;
  private nextKey = 0;

  /**
   * @param maxBytes budget for KV bytes plus token ids; 0 disables the cache.
   * @param supersedeSlack an entry that shares all but this many of its tokens (or an eighth of
   *   them, if more) with a newly stored one is dropped: in the typing case each keystroke's
   *   sequence differs from the previous one only in its tail (the changed token, the FIM suffix,
   *   the output), and keeping both would fill the budget with near-copies.
   */
  constructor(
    readonly maxBytes: number,
    private readonly supersedeSlack = 32,
  ) {
    this.lru = new LRUCache<number, CachedSequence>({
      maxSize: Math.max(1, maxBytes),
      sizeCalculation: (entry) => Math.max(1, sequenceBytes(entry.kv) + entry.tokens.byteLength),
    });
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get size(): number {
    return this.lru.size;
  }

  /** Longest shared prefix over all entries (at least `minLength` tokens), marked as recently used. */
  lookup(tokens: ArrayLike<number>, minLength = 1): PrefixMatch | undefined {
    let bestKey: number | undefined;
    let best = 0;
    for (const [key, entry] of this.lru.entries()) {
      const n = commonPrefixLength(entry.tokens, tokens);
      if (n > best) {
        best = n;
        bestKey = key;
      }
    }
    if (bestKey === undefined || best < minLength) {
      return undefined;
    }
    const entry = this.lru.get(bestKey);
    return entry ? { entry, length: best } : undefined;
  }

  /**
   * Keeps a finished sequence. Entries that are a prefix of it, or nearly (see `supersedeSlack`),
   * are dropped; if an entry already extends it, that entry is only marked as used.
   */
  store(tokens: Int32Array, kv: SequenceKv): void {
    if (this.maxBytes <= 0 || tokens.length === 0 || kv.length !== tokens.length) {
      return;
    }
    for (const [key, entry] of [...this.lru.entries()]) {
      const n = commonPrefixLength(entry.tokens, tokens);
      if (n === tokens.length && entry.tokens.length >= tokens.length) {
        this.lru.get(key);
        return;
      }
      const slack = Math.max(this.supersedeSlack, entry.tokens.length >> 3);
      if (n === entry.tokens.length || (n >= entry.tokens.length - slack && n >= slack)) {
        this.lru.delete(key);
      }
    }
    if (sequenceBytes(kv) + tokens.byteLength > this.maxBytes) {
      return;
    }
    this.lru.set(this.nextKey++, { tokens, kv });
  }

  clear(): void {
    this.lru.clear();
  }
}
