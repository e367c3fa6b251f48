/**
 * Token counts of conversation texts, remembered per text: a turn is counted once, not again on
 * every send, and the texts not seen yet are counted in parallel.
 */
export class TokenCountCache {
  private readonly counts = new Map<string, number>();
  /** Counts belong to one tokenizer; another model starts afresh. */
  private tokenizer = '';

  constructor(private readonly maxEntries = 2_000) {}

  /** Counts what is missing with `count`, then returns a synchronous lookup over all of `texts`. */
  async countAll(tokenizer: string, texts: readonly string[], count: (text: string) => Promise<number>): Promise<(text: string) => number | undefined> {
    if (tokenizer !== this.tokenizer) {
      this.counts.clear();
      this.tokenizer = tokenizer;
    }
    const unique = [...new Set(texts)];
    const missing = unique.filter((text) => !this.counts.has(text));
    const counted = new Map(await Promise.all(missing.map(async (text) => [text, await count(text)] as const)));
    const known = new Map(unique.map((text) => [text, this.counts.get(text) ?? counted.get(text)!] as const));
    for (const [text, tokens] of known) {
      this.remember(text, tokens);
    }
    return (text) => known.get(text);
  }

  private remember(text: string, tokens: number): void {
    this.counts.delete(text);
    this.counts.set(text, tokens);
    // A Map iterates in insertion order: the first key is the one used least recently.
    while (this.counts.size > this.maxEntries) {
      this.counts.delete(this.counts.keys().next().value!);
    }
  }
}
