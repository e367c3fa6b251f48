import { Tokenizer } from '@huggingface/tokenizers';
import { ModelLoadError } from '../common/errors';
import { byteLevelDecoderTable, ByteDetokenizer, WindowDetokenizer, type IncrementalDetokenizer } from './detokenizer';
import { TokenSpelling } from './forcedPrefix';

/**
 * The model's tokenizer (tokenizer.json through @huggingface/tokenizers) plus what generation
 * needs beyond encode/decode: per-token bytes for UTF-8-safe streaming and the special tokens.
 */
export class TextTokenizer {
  /** One more than the largest id the tokenizer can produce. */
  readonly vocabSize: number;
  private readonly specialIds: Set<number>;
  /** Tokens are byte sequences (GPT-2 style byte-level BPE): what streaming and `spelling` rely on. */
  readonly byteLevel: boolean;
  private bytesTable: Uint8Array[] | undefined;
  private spellingIndex: TokenSpelling | undefined;

  private constructor(
    private readonly tokenizer: Tokenizer,
    tokenizerJson: Record<string, unknown>,
  ) {
    const vocab = tokenizer.get_vocab(true);
    let max = -1;
    for (const id of vocab.values()) {
      if (id > max) max = id;
    }
    this.vocabSize = max + 1;
    this.specialIds = new Set([...tokenizer.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id));
    this.byteLevel = usesByteLevel(tokenizerJson['decoder']);
  }

  /** @param file the tokenizer.json path, named in errors */
  static create(file: string, tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>): TextTokenizer {
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
      tokenizer.encode('a');
    } catch (err) {
      throw new ModelLoadError(file, `is not a usable tokenizer: ${(err as Error).message}`, 'invalid-tokenizer', { cause: err });
    }
    return new TextTokenizer(tokenizer, tokenizerJson);
  }

  /** Token ids of `text`; special-token strings in it (e.g. `<|fim_prefix|>`) become their ids. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text).ids;
  }

  /** Text of `ids`, without special tokens. */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) {
      return '';
    }
    return this.tokenizer.decode([...ids], { skip_special_tokens: true });
  }

  /** One token as text for log-probability reports: a special token by its name (`<|endoftext|>`), others decoded. */
  tokenText(id: number): string {
    return this.specialIds.has(id) ? (this.tokenizer.id_to_token(id) ?? '') : this.decode([id]);
  }

  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /** A fresh streaming detokenizer; special tokens produce no text. */
  createDetokenizer(): IncrementalDetokenizer {
    if (this.byteLevel) {
      const table = this.tokenBytesTable();
      return new ByteDetokenizer((id) => table[id] ?? new Uint8Array(0));
    }
    return new WindowDetokenizer((ids) => this.decode(ids));
  }

  /** Each token's bytes, indexed for constrained decoding; only byte-level tokenizers have them. */
  spelling(): TokenSpelling | undefined {
    if (!this.byteLevel) {
      return undefined;
    }
    this.spellingIndex ??= new TokenSpelling(this.tokenBytesTable());
    return this.spellingIndex;
  }

  private tokenBytesTable(): Uint8Array[] {
    if (this.bytesTable) {
      return this.bytesTable;
    }
    const byteOf = byteLevelDecoderTable();
    const encoder = new TextEncoder();
    const added = this.tokenizer.get_added_tokens_decoder();
    const table: Uint8Array[] = new Array<Uint8Array>(this.vocabSize);
    for (let id = 0; id < this.vocabSize; id++) {
      const addedToken = added.get(id);
      if (addedToken) {
        table[id] = addedToken.special ? new Uint8Array(0) : encoder.encode(addedToken.content);
        continue;
      }
      const token = this.tokenizer.id_to_token(id);
      if (token === undefined) {
        table[id] = new Uint8Array(0);
        continue;
      }
      const bytes = new Uint8Array(token.length);
      let n = 0;
      let ok = true;
      for (const ch of token) {
        const b = byteOf.get(ch);
        if (b === undefined) {
          ok = false;
          break;
        }
        bytes[n++] = b;
      }
      table[id] = ok ? bytes.subarray(0, n) : encoder.encode(token);
    }
    this.bytesTable = table;
    return table;
  }
}

function usesByteLevel(decoder: unknown): boolean {
  if (typeof decoder !== 'object' || decoder === null) {
    return false;
  }
  const d = decoder as { type?: unknown; decoders?: unknown };
  if (d.type === 'ByteLevel') {
    return true;
  }
  return d.type === 'Sequence' && Array.isArray(d.decoders) && d.decoders.some(usesByteLevel);
}
