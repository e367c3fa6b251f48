import { AutoGlmError } from '../../common/errors';
import type { DecodingConstraint } from '../types';
import { Grammar, type MatchState } from './grammar';
import { applyMask, BoundedCache, Masks } from './mask';
import { ConstraintVocabulary } from './vocabulary';

/**
 * Schema-constrained decoding: each step, the logits of tokens that cannot continue a valid
 * output are set to -Infinity, so that what the model writes always parses and validates.
 *
 * Why a hand-written matcher: the libraries that do this (llguidance, outlines, xgrammar,
 * lm-format-enforcer) are Rust, Python or C++ with no JavaScript build, and JSON parsers in npm
 * are not incremental over bytes. What is needed is small: a JSON byte matcher driven by the
 * compiled schema (matcher.ts), a walk of the token trie (mask.ts) and a cache of masks by
 * matcher state.
 */

/** What a sequence needs from a constraint: mask the next token's logits, then take the token sampled. */
export interface TokenConstraint {
  mask(logits: Float32Array): void;
  advance(token: number): void;
}

const GRAMMARS_KEPT = 32;

/** Compiles constraints for one vocabulary and shares their masks between requests. */
export class DecodingConstraints {
  readonly vocab: ConstraintVocabulary;
  readonly cache: BoundedCache<Uint32Array>;
  readonly masks: Masks;
  private readonly grammars = new Map<string, { grammar: Grammar; id: number }>();
  private nextGrammar = 0;

  /**
   * @param tokenBytes each token's bytes (empty for special tokens)
   * @param logitsSize length of a row of logits
   * @param cacheBytes byte budget of cached masks; default 32 MiB
   */
  constructor(tokenBytes: readonly Uint8Array[], logitsSize: number, cacheBytes = 32 << 20) {
    this.vocab = new ConstraintVocabulary(tokenBytes, logitsSize);
    this.cache = new BoundedCache<Uint32Array>(cacheBytes, (bits) => bits.byteLength);
    this.masks = new Masks(this.vocab, this.cache);
  }

  /** A constraint for one request; throws AutoGlmError 'invalid-request' for a schema it cannot honour. */
  create(constraint: DecodingConstraint, stopTokenIds: ReadonlySet<number>): ConstrainedDecoder {
    const text = JSON.stringify(constraint);
    let entry = this.grammars.get(text);
    if (entry) {
      this.grammars.delete(text);
    } else {
      entry = { grammar: Grammar.compile(constraint), id: this.nextGrammar++ };
    }
    this.grammars.set(text, entry);
    if (this.grammars.size > GRAMMARS_KEPT) {
      this.grammars.delete(this.grammars.keys().next().value!);
    }
    const stops = [...stopTokenIds].filter((id) => id >= 0 && id < this.vocab.logitsSize);
    if (constraint.kind === 'json' && stops.length === 0) {
      throw new AutoGlmError('A JSON-constrained request needs an end-of-sequence or stop token to end on', 'invalid-request');
    }
    return new ConstrainedDecoder(entry.grammar, `${entry.id}`, this, stops);
  }
}

export class ConstrainedDecoder implements TokenConstraint {
  private state: MatchState;

  constructor(
    private readonly grammar: Grammar,
    private readonly grammarKey: string,
    private readonly owner: DecodingConstraints,
    private readonly stops: readonly number[],
  ) {
    this.state = grammar.initial;
  }

  /** The tokens allowed now, as a bitset over the logits row (stop tokens not included). */
  allowed(): Uint32Array {
    return this.owner.masks.allowed(this.grammar, this.grammarKey, this.state);
  }

  /** Whether the output may end here (stop tokens allowed). */
  get canEnd(): boolean {
    return this.grammar.canEnd(this.state);
  }

  mask(logits: Float32Array): void {
    const end = this.canEnd;
    const kept = this.stops.map((id) => logits[id]!);
    const bits = this.allowed();
    applyMask(logits, bits);
    // Nothing allowed would mean a dead end (a container nested past the depth limit): end the output instead.
    const stuck = !end && !bits.some((w) => w !== 0);
    this.stops.forEach((id, i) => (logits[id] = end || stuck ? kept[i]! : -Infinity));
  }

  advance(token: number): void {
    if (this.stops.includes(token)) {
      return;
    }
    const bytes = this.owner.vocab.bytes[token];
    let state: MatchState | undefined = this.state;
    for (const b of bytes ?? []) {
      state = this.grammar.step(state, b);
      if (state === undefined) {
        throw new AutoGlmError(`Token ${token} does not continue the constrained output`, 'internal');
      }
    }
    this.state = this.grammar.normalise(state);
  }
}
