/**
 * The `pattern` keyword: a small subset of JavaScript regular expressions compiled to an NFA over
 * code points, so that a string can be checked character by character as it is written.
 * Supported: literals, `.`, classes (`[a-z_]`, `[^"]`), `\d \w \s` and their negations, escaped
 * punctuation, `\n \t \r`, groups `( )` and `(?: )`, `|`, and the quantifiers `* + ? {n} {n,}
 * {n,m}` (lazy forms too). `^` and `$` only at the ends; without them the pattern may match
 * anywhere, as JSON Schema says. Anything else (backreferences, lookaround, `\b`, flags) is
 * rejected by `compilePattern` with a message.
 */

/** Inclusive code point ranges; `negated`: every code point outside them. */
interface CharSet {
  ranges: Array<[number, number]>;
  negated: boolean;
}

type NfaState = { t: 'char'; set: CharSet; next: number } | { t: 'split'; a: number; b: number } | { t: 'match' };

export interface Pattern {
  readonly id: number;
  readonly source: string;
  /** Sorted ids of the states after the empty input. */
  readonly start: readonly number[];
  /** The states after one more character (empty: no match is possible any more). */
  step(states: readonly number[], cp: number): number[];
  matches(states: readonly number[]): boolean;
  /** Whether some code point in [lo, hi] can come next (checked while a character is still being read). */
  acceptsSome(states: readonly number[], lo: number, hi: number): boolean;
  /** Whether some match is between `low` and `high` characters away (both inclusive). */
  reachable(states: readonly number[], low: number, high: number): boolean;
}

const MAX_STATES = 4_000;
const MAX_REPEAT = 100;

export class PatternError extends Error {}

const DIGIT: CharSet = { ranges: [[0x30, 0x39]], negated: false };
const WORD: CharSet = { ranges: [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]], negated: false };
const SPACE: CharSet = { ranges: [[0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]], negated: false };
const DOT: CharSet = { ranges: [[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]], negated: true };
const ANY: CharSet = { ranges: [], negated: true };

function inSet(set: CharSet, cp: number): boolean {
  const inside = set.ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
  return inside !== set.negated;
}

/** A fragment of NFA under construction: its entry state and the states whose `next`/`b` is still open. */
interface Fragment {
  start: number;
  /** [state, field] pairs to patch to the fragment's continuation. */
  outs: Array<[number, 'next' | 'a' | 'b']>;
}

class PatternParser {
  private pos = 0;
  readonly states: NfaState[] = [];

  constructor(private readonly src: string) {}

  parse(): number {
    const anchoredStart = this.src.startsWith('^');
    if (anchoredStart) this.pos = 1;
    let end = this.src.length;
    const anchoredEnd = this.src.endsWith('$') && !this.src.endsWith('\\$');
    if (anchoredEnd) end--;
    let frag = this.alternation(end);
    if (this.pos !== end) this.fail(`unexpected ${JSON.stringify(this.src[this.pos])}`);
    if (!anchoredStart) frag = this.concat(this.star(this.charFragment(ANY)), frag);
    if (!anchoredEnd) frag = this.concat(frag, this.star(this.charFragment(ANY)));
    const match = this.add({ t: 'match' });
    this.patch(frag, match);
    return frag.start;
  }

  private fail(problem: string): never {
    throw new PatternError(`${problem} at position ${this.pos}`);
  }

  private add(state: NfaState): number {
    if (this.states.length >= MAX_STATES) this.fail(`the pattern expands to more than ${MAX_STATES} states`);
    this.states.push(state);
    return this.states.length - 1;
  }

  private patch(frag: Fragment, to: number): void {
    for (const [s, field] of frag.outs) (this.states[s] as Record<string, unknown>)[field] = to;
  }

  private empty(): Fragment {
    const s = this.add({ t: 'split', a: -1, b: -1 });
    // A split whose both ends lead on: an empty step.
    return { start: s, outs: [[s, 'a'], [s, 'b']] };
  }

  private charFragment(set: CharSet): Fragment {
    const s = this.add({ t: 'char', set, next: -1 });
    return { start: s, outs: [[s, 'next']] };
  }

  private concat(a: Fragment, b: Fragment): Fragment {
    this.patch(a, b.start);
    return { start: a.start, outs: b.outs };
  }

  private star(f: Fragment): Fragment {
    const s = this.add({ t: 'split', a: f.start, b: -1 });
    this.patch(f, s);
    return { start: s, outs: [[s, 'b']] };
  }

  private optional(f: Fragment): Fragment {
    const s = this.add({ t: 'split', a: f.start, b: -1 });
    return { start: s, outs: [...f.outs, [s, 'b']] };
  }

  private alternation(end: number): Fragment {
    const first = this.sequence(end);
    if (this.src[this.pos] !== '|' || this.pos >= end) return first;
    const options = [first];
    while (this.src[this.pos] === '|' && this.pos < end) {
      this.pos++;
      options.push(this.sequence(end));
    }
    return options.reduce((a, b) => {
      const s = this.add({ t: 'split', a: a.start, b: b.start });
      return { start: s, outs: [...a.outs, ...b.outs] };
    });
  }

  private sequence(end: number): Fragment {
    let frag: Fragment | undefined;
    while (this.pos < end && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') {
      const atomStart = this.pos;
      const atom = this.quantified(atomStart, end);
      frag = frag ? this.concat(frag, atom) : atom;
    }
    return frag ?? this.empty();
  }

  /** An atom and its quantifier; repetition re-parses the atom's text to build each copy. */
  private quantified(atomStart: number, end: number): Fragment {
    const first = this.atom(end);
    const atomEnd = this.pos;
    const q = this.quantifier(end);
    if (!q) return first;
    const [min, max, after] = q;
    const copy = (): Fragment => {
      this.pos = atomStart;
      const f = this.atom(end);
      this.pos = atomEnd;
      return f;
    };
    let frag: Fragment | undefined;
    for (let i = 0; i < min; i++) {
      const f = i === 0 ? first : copy();
      frag = frag ? this.concat(frag, f) : f;
    }
    if (max === Infinity) {
      const loop = this.star(min === 0 ? first : copy());
      frag = frag ? this.concat(frag, loop) : loop;
    } else {
      for (let i = min; i < max; i++) {
        const f = this.optional(i === 0 ? first : copy());
        frag = frag ? this.concat(frag, f) : f;
      }
    }
    this.pos = after;
    return frag ?? this.empty();
  }

  /** The quantifier at the cursor, if any: [min, max, index after it]. */
  private quantifier(end: number): [number, number, number] | undefined {
    const c = this.src[this.pos];
    let range: [number, number] | undefined;
    let at = this.pos + 1;
    if (c === '*') range = [0, Infinity];
    else if (c === '+') range = [1, Infinity];
    else if (c === '?') range = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos, end));
      if (!m) this.fail('a malformed {n,m} quantifier');
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > max || min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) this.fail(`a repetition count above ${MAX_REPEAT} or out of order`);
      range = [min, max];
      at = this.pos + m[0].length;
    }
    if (!range) return undefined;
    if (this.src[at] === '?') at++;
    if (['*', '+', '?', '{'].includes(this.src[at] ?? '') && at < end) this.fail('a quantifier after a quantifier');
    return [range[0], range[1], at];
  }

  private atom(end: number): Fragment {
    const c = this.src[this.pos]!;
    switch (c) {
      case '(': {
        this.pos++;
        if (this.src.startsWith('?:', this.pos)) this.pos += 2;
        else if (this.src[this.pos] === '?') this.fail('lookaround and named groups are not supported');
        const inner = this.alternation(end);
        if (this.src[this.pos] !== ')') this.fail('an unclosed group');
        this.pos++;
        return inner;
      }
      case '[':
        return this.charFragment(this.charClass(end));
      case '.':
        this.pos++;
        return this.charFragment(DOT);
      case '\\':
        return this.charFragment(this.escape(false));
      case '^':
      case '$':
        return this.fail(`${c} only at the start or end of the pattern`);
      case '*':
      case '+':
      case '?':
      case '{':
        return this.fail('a quantifier with nothing to repeat');
      default: {
        const cp = this.src.codePointAt(this.pos)!;
        this.pos += cp > 0xffff ? 2 : 1;
        return this.charFragment({ ranges: [[cp, cp]], negated: false });
      }
    }
  }

  private escape(inClass: boolean): CharSet {
    const e = this.src[this.pos + 1];
    if (e === undefined) this.fail('a trailing backslash');
    this.pos += 2;
    const single = (cp: number): CharSet => ({ ranges: [[cp, cp]], negated: false });
    switch (e) {
      case 'd':
        return DIGIT;
      case 'D':
        return { ...DIGIT, negated: true };
      case 'w':
        return WORD;
      case 'W':
        return { ...WORD, negated: true };
      case 's':
        return SPACE;
      case 'S':
        return { ...SPACE, negated: true };
      case 'n':
        return single(0x0a);
      case 't':
        return single(0x09);
      case 'r':
        return single(0x0d);
      case 'f':
        return single(0x0c);
      case 'v':
        return single(0x0b);
      case 'u': {
        const hex = /^[0-9a-fA-F]{4}/.exec(this.src.slice(this.pos));
        if (!hex) this.fail('a malformed \\u escape');
        this.pos += 4;
        return single(parseInt(hex[0], 16));
      }
      default:
        if (/[A-Za-z0-9]/.test(e) && !(inClass && e === 'b')) this.fail(`the escape \\${e} is not supported`);
        return single(e.charCodeAt(0));
    }
  }

  private charClass(end: number): CharSet {
    this.pos++;
    const negated = this.src[this.pos] === '^';
    if (negated) this.pos++;
    const ranges: Array<[number, number]> = [];
    const negatedParts: CharSet[] = [];
    // As in JavaScript, `[]` matches nothing and `[^]` any character.
    while (this.pos < end && this.src[this.pos] !== ']') {
      const lo = this.classAtom();
      if (lo.negated || lo.ranges.length !== 1 || lo.ranges[0]![0] !== lo.ranges[0]![1]) {
        if (lo.negated) negatedParts.push(lo);
        else ranges.push(...lo.ranges);
        continue;
      }
      const low = lo.ranges[0]![0];
      if (this.src[this.pos] === '-' && this.src[this.pos + 1] !== ']' && this.pos + 1 < end) {
        this.pos++;
        const hi = this.classAtom();
        if (hi.negated || hi.ranges.length !== 1 || hi.ranges[0]![0] !== hi.ranges[0]![1] || hi.ranges[0]![0] < low) this.fail('a malformed class range');
        ranges.push([low, hi.ranges[0]![0]]);
      } else {
        ranges.push([low, low]);
      }
    }
    if (this.src[this.pos] !== ']') this.fail('an unclosed character class');
    this.pos++;
    if (negatedParts.length > 0) {
      // [\D], [^\S] and the like: rare in schemas, and not a union of ranges.
      this.fail('a negated escape (\\D, \\W, \\S) inside a class is not supported');
    }
    return { ranges, negated };
  }

  private classAtom(): CharSet {
    if (this.src[this.pos] === '\\') {
      if (this.src[this.pos + 1] === 'b') {
        this.pos += 2;
        return { ranges: [[0x08, 0x08]], negated: false };
      }
      return this.escape(true);
    }
    const cp = this.src.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return { ranges: [[cp, cp]], negated: false };
  }
}

let nextPatternId = 0;

/** Compiles `source`; throws PatternError saying what is not supported. */
export function compilePattern(source: string): Pattern {
  const parser = new PatternParser(source);
  const start = parser.parse();
  const states = parser.states;
  const closure = (ids: Iterable<number>): number[] => {
    const seen = new Set<number>();
    const stack = [...ids];
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (s < 0 || seen.has(s)) continue;
      seen.add(s);
      const st = states[s]!;
      if (st.t === 'split') stack.push(st.a, st.b);
    }
    return [...seen].filter((s) => states[s]!.t !== 'split').sort((a, b) => a - b);
  };
  const [fewest, most] = distances(states);
  return {
    id: nextPatternId++,
    source,
    start: closure([start]),
    step: (set, cp) => closure(set.flatMap((s) => {
      const st = states[s]!;
      return st.t === 'char' && inSet(st.set, cp) ? [st.next] : [];
    })),
    matches: (set) => set.some((s) => states[s]!.t === 'match'),
    acceptsSome: (set, lo, hi) =>
      set.some((s) => {
        const st = states[s]!;
        return st.t === 'char' && overlaps(st.set, lo, hi);
      }),
    reachable: (set, low, high) => set.some((s) => fewest[s]! <= high && most[s]! >= low),
  };
}

function overlaps(set: CharSet, lo: number, hi: number): boolean {
  if (!set.negated) return set.ranges.some(([a, b]) => a <= hi && b >= lo);
  // Negated: some code point of [lo, hi] is outside every range (ranges may touch or overlap).
  let at = lo;
  for (const [a, b] of [...set.ranges].sort((x, y) => x[0] - y[0])) {
    if (a > at) break;
    if (b >= at) at = b + 1;
    if (at > hi) return false;
  }
  return at <= hi;
}

/** For each state, the fewest and the most characters to a match (Infinity when a loop is on the way). */
function distances(states: readonly NfaState[]): [Float64Array, Float64Array] {
  const n = states.length;
  const fewest = new Float64Array(n).fill(Infinity);
  const most = new Float64Array(n).fill(-Infinity);
  // Bellman-Ford style relaxation: the graph is small (bounded by MAX_STATES).
  for (let round = 0; round <= n; round++) {
    let changed = false;
    states.forEach((st, s) => {
      let f: number;
      let m: number;
      if (st.t === 'match') [f, m] = [0, 0];
      else if (st.t === 'char') [f, m] = [1 + fewest[st.next]!, most[st.next]! === -Infinity ? -Infinity : 1 + most[st.next]!];
      else [f, m] = [Math.min(fewest[st.a]!, fewest[st.b]!), Math.max(most[st.a]!, most[st.b]!)];
      if (f < fewest[s]!) {
        fewest[s] = f;
        changed = true;
      }
      if (m > most[s]!) {
        // Longer than any path without a loop: there is a loop on the way.
        most[s] = m > n ? Infinity : m;
        changed = true;
      }
    });
    if (!changed) break;
  }
  return [fewest, most];
}
