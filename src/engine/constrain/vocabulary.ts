import { utf8Lead } from './matcher';

/**
 * The tokens of a byte-level vocabulary arranged for mask computation: a byte trie in preorder
 * (a walk that meets a dead prefix skips its whole subtree in one jump), and the "plain" tokens,
 * whose bytes are whole UTF-8 characters with no quote, backslash or control character: inside
 * a string such a token is allowed whenever its characters fit, without walking it.
 */
export class TokenTrie {
  /** Per node, in preorder: the byte on the edge into it, its depth (1 = first byte), the index after its subtree. */
  readonly byte: Uint8Array;
  readonly depth: Uint16Array;
  readonly skip: Int32Array;
  /** Tokens ending at node i: ids[tokenStart[i]] .. ids[tokenStart[i + 1] - 1]. */
  readonly tokenStart: Int32Array;
  readonly ids: Int32Array;
  readonly maxDepth: number;

  /** @param order token ids (with bytes) sorted by their bytes, see `sortedByBytes` */
  constructor(bytes: readonly Uint8Array[], order: readonly number[]) {
    const nodeByte: number[] = [];
    const nodeDepth: number[] = [];
    const endNode: number[] = [];
    const path: number[] = [];
    let previous: Uint8Array = new Uint8Array(0);
    for (const id of order) {
      const t = bytes[id]!;
      const common = sharedPrefix(previous, t);
      for (let p = common; p < t.length; p++) {
        path[p + 1] = nodeByte.length;
        nodeByte.push(t[p]!);
        nodeDepth.push(p + 1);
      }
      endNode.push(path[t.length]!);
      previous = t;
    }
    const n = nodeByte.length;
    this.byte = Uint8Array.from(nodeByte);
    this.depth = Uint16Array.from(nodeDepth);
    this.maxDepth = nodeDepth.reduce((m, d) => Math.max(m, d), 0);
    this.skip = subtreeEnds(this.depth);
    this.ids = Int32Array.from(order);
    this.tokenStart = new Int32Array(n + 1);
    for (const node of endNode) this.tokenStart[node + 1]!++;
    for (let i = 0; i < n; i++) this.tokenStart[i + 1]! += this.tokenStart[i]!;
  }

  get size(): number {
    return this.byte.length;
  }
}

export class ConstraintVocabulary {
  readonly trie: TokenTrie;
  /** The tokens that are not plain string text. */
  readonly unplainTrie: TokenTrie;
  /** Plain tokens by their number of characters: those with at most c characters are plainIds[0 .. plainEnd[c]). */
  readonly plainIds: Int32Array;
  private readonly plainEnd: Int32Array;
  /** Tokens without bytes (special tokens): free text may contain them, JSON never. */
  readonly byteless: Int32Array;

  constructor(
    readonly bytes: readonly Uint8Array[],
    /** Length of a row of logits (may exceed the tokenizer's ids). */
    readonly logitsSize: number,
  ) {
    const chars = bytes.map(plainCharacters);
    const order = sortedByBytes(bytes);
    this.trie = new TokenTrie(bytes, order);
    this.unplainTrie = new TokenTrie(bytes, order.filter((id) => chars[id]! < 0));
    const plain = [...chars.keys()].filter((id) => chars[id]! > 0).sort((a, b) => chars[a]! - chars[b]! || a - b);
    this.plainIds = Int32Array.from(plain);
    const longest = plain.length > 0 ? chars[plain[plain.length - 1]!]! : 0;
    this.plainEnd = new Int32Array(longest + 1);
    let at = 0;
    for (let c = 0; c <= longest; c++) {
      while (at < plain.length && chars[plain[at]!]! <= c) at++;
      this.plainEnd[c] = at;
    }
    this.byteless = Int32Array.from([...bytes.keys()].filter((id) => bytes[id]!.length === 0));
  }

  private readonly plainMasks = new Map<number, Uint32Array>();

  /** The plain tokens of at most `room` characters, as a bitset over the logits row (shared: copy before changing it). */
  plainBits(room: number): Uint32Array {
    const c = Math.max(0, Math.min(room, this.plainEnd.length - 1));
    let bits = this.plainMasks.get(c);
    if (!bits) {
      bits = new Uint32Array((this.logitsSize + 31) >>> 5);
      for (let i = 0; i < this.plainEnd[c]!; i++) {
        const id = this.plainIds[i]!;
        bits[id >>> 5]! |= 1 << (id & 31);
      }
      this.plainMasks.set(c, bits);
    }
    return bits;
  }
}

/** Characters of a plain token, or -1 when it is not plain string text. */
function plainCharacters(b: Uint8Array): number {
  let chars = 0;
  for (let i = 0; i < b.length; ) {
    const x = b[i]!;
    if (x < 0x80) {
      if (x < 0x20 || x === 0x22 || x === 0x5c) return -1;
      i++;
    } else {
      const lead = utf8Lead(x);
      // A character cut off by the end of the token is not plain: its end lies in the next token.
      if (!lead || i + lead[0] >= b.length) return -1;
      const [need, lo, hi] = lead;
      if (b[i + 1]! < lo || b[i + 1]! > hi) return -1;
      for (let k = 2; k <= need; k++) {
        if (b[i + k]! < 0x80 || b[i + k]! > 0xbf) return -1;
      }
      i += need + 1;
    }
    chars++;
  }
  return b.length === 0 ? -1 : chars;
}

/** Ids of the tokens that have bytes, in byte order (a prefix before its extensions). */
export function sortedByBytes(bytes: readonly Uint8Array[]): number[] {
  const order: number[] = [];
  // One char per byte: string order is then byte order, and strings compare natively.
  const keys = bytes.map((b) => String.fromCharCode(...b));
  bytes.forEach((b, id) => {
    if (b.length > 0) order.push(id);
  });
  return order.sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
}

function sharedPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** For preorder depths, the index just after each node's subtree. */
function subtreeEnds(depth: Uint16Array): Int32Array {
  const skip = new Int32Array(depth.length);
  const open: number[] = [];
  for (let i = 0; i < depth.length; i++) {
    while (open.length > 0 && depth[open[open.length - 1]!]! >= depth[i]!) skip[open.pop()!] = i;
    open.push(i);
  }
  for (const i of open) skip[i] = depth.length;
  return skip;
}
