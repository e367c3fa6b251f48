import { completeNumber, viableNumberPrefix } from './numbers';
import type { Pattern } from './pattern';
import { compareBytes, resolved, type KeySet, type ObjectNode, type SchemaNode } from './schemaNodes';

/**
 * A byte-level JSON matcher with an explicit stack: `feed` takes one byte (or END, the end of
 * the output) and lists every stack that can follow. Stacks are immutable linked lists, so a
 * walk over the token trie shares them freely and two alternatives of an anyOf that finish
 * return the very same parent stack (deduplicated by identity, not by comparing).
 *
 * Whitespace: compact JSON with at most MAX_WHITESPACE whitespace byte wherever JSON allows
 * whitespace (`{"a": 1, "b": [2]}`), none after the value: a model that loops on spaces or
 * newlines is pushed on, and a small model does not spend its token budget on indentation. Strings: any escape but lone surrogates
 * (`\ud800`), no raw control characters, well-formed UTF-8 only (so a length counts what ajv
 * counts: code points).
 */

export const END = 256;
export const MAX_WHITESPACE = 1;
/** Most frames on a stack: containers nested deeper are not offered (recursive schemas stay bounded). */
const MAX_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;

export type Frame =
  | { t: 'value'; node: SchemaNode; ws: number }
  /**
   * Some of `texts` (those in [lo, hi), which share the first `pos` bytes); for keys, `obj` is
   * the object whose property `props[k]` text k names.
   */
  | { t: 'lit'; texts: readonly Uint8Array[]; pos: number; lo: number; hi: number; tag: string; obj?: ObjectNode; props?: readonly number[] }
  | StringFrame
  | { t: 'num'; node: SchemaNode & { kind: 'number' }; text: string }
  | { t: 'obj'; node: ObjectNode; phase: ObjectPhase; at: number; ws: number }
  | { t: 'arr'; node: SchemaNode & { kind: 'array' }; phase: ArrayPhase; count: number; ws: number }
  /** The whole output is one value: only its end may follow. */
  | { t: 'end' }
  /** Whitespace, then exactly `text` (what closes a tool call). */
  | { t: 'tail'; text: Uint8Array; pos: number; ws: number };

/**
 * Inside a string: characters so far (`count`), escape and UTF-8 progress, and for a `pattern`
 * the NFA states it is in (`set`) and the code point being read (`cp`).
 */
export interface StringFrame {
  t: 'str';
  min: number;
  max: number;
  id: number;
  count: number;
  esc: number;
  need: number;
  lo: number;
  hi: number;
  re: Pattern | undefined;
  set: readonly number[];
  cp: number;
}

/** After `{`; after a key (`at`: the property, -1 for a key of a map); after a value (`at`: next property); after `,`. */
export const enum ObjectPhase {
  Open,
  Colon,
  Next,
  Key,
}

/** After `[`; after an element. */
export const enum ArrayPhase {
  Open,
  Next,
}

export interface Stack {
  readonly frame: Frame;
  readonly parent: Stack | null;
  readonly depth: number;
  key?: string;
}

/** `null` stands for the empty stack: everything matched. */
export type Alt = Stack | null;

export function push(parent: Stack | null, frame: Frame): Stack | undefined {
  const depth = (parent?.depth ?? 0) + 1;
  return depth > MAX_DEPTH ? undefined : { frame, parent, depth };
}

function add(out: Alt[], stack: Alt | undefined): void {
  if (stack !== undefined) out.push(stack);
}

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/** Appends to `out` every stack that `stack` becomes after byte `b` (END for the end of output). */
export function feed(stack: Stack, b: number, out: Alt[]): void {
  const f = stack.frame;
  const parent = stack.parent;
  switch (f.t) {
    case 'value':
      if (isWhitespace(b)) {
        if (f.ws < MAX_WHITESPACE) add(out, push(parent, { t: 'value', node: f.node, ws: f.ws + 1 }));
      } else if (b !== END) {
        startValue(parent, f.node, b, out);
      }
      return;
    case 'lit':
      feedLiteral(parent, f, b, out);
      return;
    case 'str':
      feedString(stack, f, b, out);
      return;
    case 'num':
      feedNumber(stack, f, b, out);
      return;
    case 'obj':
      feedObject(stack, f, b, out);
      return;
    case 'arr':
      feedArray(stack, f, b, out);
      return;
    case 'end':
      if (b === END) out.push(null);
      return;
    case 'tail':
      // Both may hold when the text itself starts with whitespace (`\n</tool_call>`).
      if (f.pos === 0 && isWhitespace(b) && f.ws < MAX_WHITESPACE) {
        add(out, push(parent, { ...f, ws: f.ws + 1 }));
      }
      if (b === f.text[f.pos]) {
        add(out, f.pos + 1 === f.text.length ? parent : push(parent, { ...f, pos: f.pos + 1 }));
      }
      return;
    default: {
      const never: never = f;
      throw new Error(`unknown frame ${JSON.stringify(never)}`);
    }
  }
}

/** The first byte `b` of a value of `node`, on top of `parent`. */
export function startValue(parent: Stack | null, node: SchemaNode, b: number, out: Alt[]): void {
  const n = resolved(node);
  switch (n.kind) {
    case 'any-of':
      for (const option of n.options) startValue(parent, option, b, out);
      return;
    case 'literals':
      feedLiteral(parent, { t: 'lit', texts: n.texts, pos: 0, lo: 0, hi: n.texts.length, tag: `${n.id}` }, b, out);
      return;
    case 'string':
      if (b === QUOTE) add(out, push(parent, stringFrame(n.id, n.minLength, n.maxLength, n.pattern)));
      return;
    case 'number': {
      const text = String.fromCharCode(b);
      if (viableNumberPrefix(text, n.integer, n.range)) add(out, push(parent, { t: 'num', node: n, text }));
      return;
    }
    case 'object':
      if (b === 0x7b) add(out, push(parent, { t: 'obj', node: n, phase: ObjectPhase.Open, at: 0, ws: 0 }));
      return;
    case 'array':
      if (b === 0x5b) add(out, push(parent, { t: 'arr', node: n, phase: ArrayPhase.Open, count: 0, ws: 0 }));
      return;
    case 'ref':
      throw new Error('unreachable: resolved() follows refs');
  }
}

/** Narrows the candidates to those with byte `b` next; each one that ends with it ends the literal. */
function feedLiteral(parent: Stack | null, f: Frame & { t: 'lit' }, b: number, out: Alt[]): void {
  const { texts, pos } = f;
  let lo = f.lo;
  while (lo < f.hi && (texts[lo]!.length <= pos || texts[lo]![pos]! < b)) lo++;
  let hi = lo;
  while (hi < f.hi && texts[hi]![pos] === b) hi++;
  // In byte order, the candidates that end here come first.
  let k = lo;
  for (; k < hi && texts[k]!.length === pos + 1; k++) {
    add(out, f.obj ? push(parent, { t: 'obj', node: f.obj, phase: ObjectPhase.Colon, at: f.props![k]!, ws: 0 }) : parent);
  }
  if (k < hi) add(out, push(parent, { ...f, pos: pos + 1, lo: k, hi }));
}

export function stringFrame(id: number, min: number, max: number, re?: Pattern): StringFrame {
  return { t: 'str', id, min, max, count: 0, esc: 0, need: 0, lo: 0, hi: 0, re, set: re?.start ?? [], cp: 0 };
}

const SIMPLE_ESCAPES: Readonly<Record<number, number>> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

/**
 * Escape states: 1 after `\`; then for `\u`: 2 the first hex digit, 3 or 4 the second (3 after
 * a `d`: limited to 0-7 so that no surrogate is written), 5 and 6 the last two. `need`: UTF-8 continuation bytes
 * still due, the next one in [lo, hi].
 */
function feedString(stack: Stack, f: StringFrame, b: number, out: Alt[]): void {
  const parent = stack.parent;
  const next = (change: Partial<StringFrame>): void => add(out, push(parent, { ...f, ...change }));
  // A whole character was read: a pattern must still be able to match, within the lengths.
  const read = (change: Partial<StringFrame>, cp: number): void => {
    if (f.re === undefined) {
      next(change);
      return;
    }
    const set = f.re.step(f.set, cp);
    if (set.length > 0 && f.re.reachable(set, f.min - f.count, f.max - f.count)) next({ ...change, set, cp: 0 });
  };
  // Part of a character read, whose code point will lie in [lo, hi]: a pattern must accept one of them.
  const partial = (change: Partial<StringFrame>, lo: number, hi: number): void => {
    if (f.re === undefined || f.re.acceptsSome(f.set, lo, hi)) next(change);
  };
  if (b === END) return;
  if (f.need > 0) {
    if (b < f.lo || b > f.hi) return;
    const cp = (f.cp << 6) | (b & 0x3f);
    const bits = 6 * (f.need - 1);
    if (f.need === 1) read({ need: 0, lo: 0x80, hi: 0xbf }, cp);
    else partial({ need: f.need - 1, lo: 0x80, hi: 0xbf, cp }, cp << bits, ((cp + 1) << bits) - 1);
    return;
  }
  if (f.esc === 1) {
    if (b === 0x75) partial({ esc: 2, cp: 0 }, 0, 0xffff);
    else if (SIMPLE_ESCAPES[b] !== undefined) read({ esc: 0 }, SIMPLE_ESCAPES[b]);
    return;
  }
  if (f.esc >= 2) {
    const v = hexValue(b);
    if (v < 0 || (f.esc === 3 && v > 7)) return;
    const cp = f.cp * 16 + v;
    const bits = 4 * (6 - f.esc);
    if (f.esc === 6) read({ esc: 0 }, cp);
    else partial({ esc: f.esc === 2 ? (v === 0xd ? 3 : 4) : f.esc === 3 ? 5 : f.esc + 1, cp }, cp << bits, ((cp + 1) << bits) - 1);
    return;
  }
  if (b === QUOTE) {
    if (f.count >= f.min && (f.re === undefined || f.re.matches(f.set))) add(out, parent);
    return;
  }
  if (b < 0x20 || f.count + 1 > f.max) return;
  if (b === BACKSLASH) partial({ esc: 1, count: f.count + 1 }, 0, 0xffff);
  else if (b < 0x80) read({ count: f.count + 1 }, b);
  else {
    const lead = utf8Lead(b);
    if (!lead) return;
    const cp = b & (lead[0] === 1 ? 0x1f : lead[0] === 2 ? 0x0f : 0x07);
    const bits = 6 * lead[0];
    partial({ count: f.count + 1, need: lead[0], lo: lead[1], hi: lead[2], cp }, cp << bits, ((cp + 1) << bits) - 1);
  }
}

/** For a UTF-8 lead byte: continuation bytes that follow and the range of the first (RFC 3629). */
export function utf8Lead(b: number): [number, number, number] | undefined {
  if (b >= 0xc2 && b <= 0xdf) return [1, 0x80, 0xbf];
  if (b === 0xe0) return [2, 0xa0, 0xbf];
  if (b === 0xed) return [2, 0x80, 0x9f];
  if (b >= 0xe1 && b <= 0xef) return [2, 0x80, 0xbf];
  if (b === 0xf0) return [3, 0x90, 0xbf];
  if (b >= 0xf1 && b <= 0xf3) return [3, 0x80, 0xbf];
  if (b === 0xf4) return [3, 0x80, 0x8f];
  return undefined;
}

function feedNumber(stack: Stack, f: Frame & { t: 'num' }, b: number, out: Alt[]): void {
  const { integer, range } = f.node;
  if (b !== END) {
    const text = f.text + String.fromCharCode(b);
    if (viableNumberPrefix(text, integer, range)) add(out, push(stack.parent, { ...f, text }));
  }
  // The number ends where a byte cannot continue it: that byte belongs to the container.
  if (stack.parent !== null && completeNumber(f.text, integer, range)) feed(stack.parent, b, out);
}

function feedObject(stack: Stack, f: Frame & { t: 'obj' }, b: number, out: Alt[]): void {
  const parent = stack.parent;
  if (isWhitespace(b)) {
    if (f.ws < MAX_WHITESPACE) add(out, push(parent, { ...f, ws: f.ws + 1 }));
    return;
  }
  const node = f.node;
  switch (f.phase) {
    case ObjectPhase.Open:
    case ObjectPhase.Key:
      if (b === QUOTE) startKeys(parent, node, f.at, out);
      else if (b === 0x7d && f.phase === ObjectPhase.Open && f.at > node.lastRequired) add(out, parent);
      return;
    case ObjectPhase.Colon: {
      if (b !== COLON) return;
      const after = push(parent, { t: 'obj', node, phase: ObjectPhase.Next, at: f.at < 0 ? 0 : f.at + 1, ws: 0 });
      const value = f.at < 0 ? node.additional! : node.properties[f.at]!.value;
      if (after) add(out, push(after, { t: 'value', node: value, ws: 0 }));
      return;
    }
    case ObjectPhase.Next:
      if (b === COMMA && (f.at < node.properties.length || node.additional !== undefined)) add(out, push(parent, { t: 'obj', node, phase: ObjectPhase.Key, at: f.at, ws: 0 }));
      else if (b === 0x7d && f.at > node.lastRequired) add(out, parent);
      return;
  }
}

/**
 * After the opening quote of a key: one alternative per property that may come next in schema
 * order (up to and including the next required one), plus any key for a map.
 */
function startKeys(parent: Stack | null, node: ObjectNode, at: number, out: Alt[]): void {
  const keys = keySet(node, at);
  if (keys.texts.length > 0) {
    add(out, push(parent, { t: 'lit', texts: keys.texts, pos: 0, lo: 0, hi: keys.texts.length, tag: `k${node.id}.${at}`, obj: node, props: keys.props }));
  }
  if (node.additional !== undefined) {
    const colon = push(parent, { t: 'obj', node, phase: ObjectPhase.Colon, at: -1, ws: 0 });
    if (colon) add(out, push(colon, stringFrame(-1, 0, Infinity)));
  }
}

/** The keys that may come next at property index `at`: up to and including the next required one. */
function keySet(node: ObjectNode, at: number): KeySet {
  node.keySets ??= new Map();
  let set = node.keySets.get(at);
  if (!set) {
    const candidates: number[] = [];
    for (let j = at; j < node.properties.length; j++) {
      candidates.push(j);
      if (node.properties[j]!.required) break;
    }
    candidates.sort((a, b) => compareBytes(node.properties[a]!.keyRest, node.properties[b]!.keyRest));
    set = { texts: candidates.map((j) => node.properties[j]!.keyRest), props: candidates };
    node.keySets.set(at, set);
  }
  return set;
}

function feedArray(stack: Stack, f: Frame & { t: 'arr' }, b: number, out: Alt[]): void {
  const parent = stack.parent;
  const node = f.node;
  if (isWhitespace(b)) {
    if (f.ws < MAX_WHITESPACE) add(out, push(parent, { ...f, ws: f.ws + 1 }));
    return;
  }
  if (b === 0x5d) {
    if (f.count >= node.minItems) add(out, parent);
    return;
  }
  if (f.phase === ArrayPhase.Open) {
    const after = node.maxItems >= 1 ? push(parent, { t: 'arr', node, phase: ArrayPhase.Next, count: 1, ws: 0 }) : undefined;
    if (after && b !== END) startValue(after, node.items, b, out);
    return;
  }
  if (b === COMMA && f.count < node.maxItems) {
    const after = push(parent, { t: 'arr', node, phase: ArrayPhase.Next, count: f.count + 1, ws: 0 });
    if (after) add(out, push(after, { t: 'value', node: node.items, ws: 0 }));
  }
}

/**
 * A key naming the stack's future exactly: two stacks with the same key accept the same bytes.
 * Counters that no longer matter (a string's length past its minimum when it has no maximum)
 * are left out, so that states that repeat share one mask.
 */
export function stackKey(stack: Alt): string {
  if (stack === null) return '';
  if (stack.key === undefined) {
    stack.key = `${stackKey(stack.parent)}/${frameKey(stack.frame)}`;
  }
  return stack.key;
}

function frameKey(f: Frame): string {
  switch (f.t) {
    case 'value':
      return `v${f.node.id},${f.ws}`;
    case 'lit':
      return `l${f.tag},${f.pos},${f.lo},${f.hi}`;
    case 'str': {
      const count = f.max === Infinity ? Math.min(f.count, f.min) : f.count;
      const pattern = f.re === undefined ? '' : `,${f.set.join('.')}${f.need > 0 || f.esc >= 2 ? `,${f.cp}` : ''}`;
      return `s${f.id},${count},${f.esc},${f.need},${f.lo}${pattern}`;
    }
    case 'num':
      return `n${f.node.id},${f.text}`;
    case 'obj':
      return `o${f.node.id},${f.phase},${f.at},${f.ws}`;
    case 'arr':
      return `a${f.node.id},${f.phase},${f.node.maxItems === Infinity ? Math.min(f.count, f.node.minItems) : f.count},${f.ws}`;
    case 'end':
      return 'e';
    case 'tail':
      return `t${f.pos},${f.ws}`;
  }
}
