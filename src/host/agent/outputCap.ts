/** Keeps what a tool tells the model within a size, saying what was left out. */

/** `text` cut to at most `max` characters at a line end where one is near, with `note` saying why. */
export function capText(text: string, max: number, note: (omitted: number) => string): string {
  if (text.length <= max) {
    return text;
  }
  const lineEnd = text.lastIndexOf('\n', max);
  const cut = lineEnd > max * 0.8 ? lineEnd : max;
  return `${text.slice(0, cut)}\n${note(text.length - cut)}`;
}

/**
 * A command's output as it streams in, within `max` characters: the start and the end are kept
 * (a build's first error and its summary), the middle is counted and left out.
 */
export class HeadTailBuffer {
  private head = '';
  /** Undefined until the output first overflows; from then on everything goes to the tail. */
  private tail: string | undefined;
  private omitted = 0;

  constructor(private readonly max: number) {}

  append(chunk: string): void {
    if (this.tail === undefined) {
      if (this.head.length + chunk.length <= this.max) {
        this.head += chunk;
        return;
      }
      const all = this.head + chunk;
      this.head = all.slice(0, Math.floor(this.max / 2));
      this.tail = all.slice(this.head.length);
    } else {
      this.tail += chunk;
    }
    const room = this.max - this.head.length;
    if (this.tail.length > room) {
      this.omitted += this.tail.length - room;
      this.tail = this.tail.slice(this.tail.length - room);
    }
  }

  /** Characters received in all. */
  get received(): number {
    return this.head.length + this.omitted + (this.tail?.length ?? 0);
  }

  toString(): string {
    if (this.omitted === 0) {
      return this.head + (this.tail ?? '');
    }
    return `${this.head}\n[... ${this.omitted} characters of output left out ...]\n${this.tail ?? ''}`;
  }
}
