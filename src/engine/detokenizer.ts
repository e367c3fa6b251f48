/**
 * Incremental detokenization that never emits a broken character: a token may end in the middle
 * of a multi-byte UTF-8 sequence (emoji, CJK), and its bytes are held until the character is whole.
 */
export interface IncrementalDetokenizer {
  /** Text completed by this token (possibly empty). */
  push(id: number): string;
  /** Text still held at the end; an incomplete trailing character is dropped, never emitted as U+FFFD. */
  flush(): string;
}

/** Number of leading bytes of `bytes` that form whole UTF-8 sequences (invalid bytes count as whole). */
export function completeUtf8Length(bytes: Uint8Array): number {
  const n = bytes.length;
  // A sequence is at most 4 bytes, so only the last 3 can start an unfinished one.
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) {
      continue; // continuation byte: keep looking for the lead byte
    }
    const need = b >= 0xf0 && b <= 0xf7 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** For tokenizers whose tokens map to byte strings (byte-level BPE: GPT-2, Qwen, Llama 3). */
export class ByteDetokenizer implements IncrementalDetokenizer {
  private pending = new Uint8Array(0);
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly tokenBytes: (id: number) => Uint8Array) {}

  push(id: number): string {
    const bytes = this.tokenBytes(id);
    if (bytes.length === 0) {
      return '';
    }
    let all: Uint8Array;
    if (this.pending.length === 0) {
      all = bytes;
    } else {
      all = new Uint8Array(this.pending.length + bytes.length);
      all.set(this.pending);
      all.set(bytes, this.pending.length);
    }
    const cut = completeUtf8Length(all);
    this.pending = all.slice(cut);
    return cut === 0 ? '' : this.decoder.decode(all.subarray(0, cut));
  }

  flush(): string {
    this.pending = new Uint8Array(0);
    return '';
  }
}

/**
 * For other tokenizers (SentencePiece with byte fallback, WordPiece): decodes a short window of
 * tokens and emits only the growth of the text, holding back while the text ends in U+FFFD (an
 * unfinished byte sequence), as Hugging Face text-generation-inference does.
 */
export class WindowDetokenizer implements IncrementalDetokenizer {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(private readonly decode: (ids: number[]) => string) {}

  push(id: number): string {
    this.ids.push(id);
    const prefixText = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const newText = this.decode(this.ids.slice(this.prefixOffset));
    if (newText.length > prefixText.length && !newText.endsWith('\uFFFD')) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return newText.slice(prefixText.length);
    }
    return '';
  }

  flush(): string {
    const prefixText = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const newText = this.decode(this.ids.slice(this.prefixOffset)).replace(/\uFFFD+$/, '');
    this.prefixOffset = this.readOffset = this.ids.length;
    return newText.length > prefixText.length ? newText.slice(prefixText.length) : '';
  }
}

/** GPT-2's byte-to-unicode table, inverted: the printable character standing for each byte. */
export function byteLevelDecoderTable(): Map<string, number> {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const chars = bytes.slice();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(256 + extra++);
    }
  }
  const table = new Map<string, number>();
  bytes.forEach((b, i) => table.set(String.fromCharCode(chars[i]!), b));
  return table;
}
