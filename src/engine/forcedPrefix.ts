import { AutoGlmError } from '../common/errors';

/**
 * The byte strings of a byte-level vocabulary, indexed by their first byte, so that the tokens
 * that can spell a given text are found without scanning the whole vocabulary.
 */
export class TokenSpelling {
  private readonly byFirstByte: number[][] = Array.from({ length: 256 }, () => []);

  constructor(readonly bytes: readonly Uint8Array[]) {
    bytes.forEach((b, id) => {
      if (b.length > 0) {
        this.byFirstByte[b[0]!]!.push(id);
      }
    });
  }

  /** Tokens whose bytes are a prefix of `rest`, or start with all of `rest`. */
  candidates(rest: Uint8Array): number[] {
    const out: number[] = [];
    for (const id of this.byFirstByte[rest[0]!]!) {
      const b = this.bytes[id]!;
      const n = Math.min(b.length, rest.length);
      let same = true;
      for (let i = 1; i < n; i++) {
        if (b[i] !== rest[i]) {
          same = false;
          break;
        }
      }
      if (same) {
        out.push(id);
      }
    }
    return out;
  }
}

/**
 * Constrained start of an output (token healing): the first generated tokens must spell
 * `text`, and that text is then left out of what is emitted.
 *
 * A prompt that ends inside a word (`maxSi`) ends in a token the model almost never saw followed
 * by the rest of that word, because training text spells `maxSize` with other tokens. Cutting the
 * partial word off the prompt and forcing the output to start with it lets the model choose the
 * word's usual tokens (`maxSize`) while the result still continues exactly at the cursor.
 */
export class ForcedPrefix {
  private rest: Uint8Array;
  /** Characters of `text` still to be removed from the emitted text. */
  private unstripped: number;

  constructor(
    readonly text: string,
    private readonly spelling: TokenSpelling,
  ) {
    this.rest = new TextEncoder().encode(text);
    this.unstripped = text.length;
  }

  /** True while the output has not yet spelled all of the text. */
  get active(): boolean {
    return this.rest.length > 0;
  }

  /** Sets every logit that cannot continue the spelling to -Infinity. */
  mask(logits: Float32Array): void {
    if (!this.active) {
      return;
    }
    const allowed = this.spelling.candidates(this.rest);
    if (allowed.length === 0) {
      throw new AutoGlmError(`No token of the vocabulary can spell ${JSON.stringify(this.text)}`, 'invalid-request');
    }
    const kept = allowed.map((id) => logits[id]!);
    logits.fill(-Infinity);
    allowed.forEach((id, i) => (logits[id] = kept[i]!));
  }

  /** Records a sampled token (one that `mask` allowed). */
  advance(token: number): void {
    if (this.active) {
      const n = this.spelling.bytes[token]?.length ?? 0;
      this.rest = this.rest.subarray(Math.min(n, this.rest.length));
    }
  }

  /** The emitted text without the forced characters at its start. */
  strip(piece: string): string {
    if (this.unstripped === 0 || piece === '') {
      return piece;
    }
    const n = Math.min(this.unstripped, piece.length);
    this.unstripped -= n;
    return piece.slice(n);
  }
}
