import { LRUCache } from 'lru-cache';

export interface CacheKeyParts {
  family: string;
  path: string;
  prefix: string;
  suffix: string;
  mode: string;
}

/** How much of the text around the cursor makes the key, in characters. */
const KEY_PREFIX_CHARS = 2_000;
const KEY_SUFFIX_CHARS = 500;

/**
 * Finished completions keyed by the text around the cursor and the template, so that returning
 * to an earlier state (undo, backspace, moving back) shows the same text without generating.
 * An empty string is stored too: "nothing to say here" is worth remembering.
 */
export class CompletionCache {
  private readonly lru: LRUCache<string, { text: string }>;

  constructor(maxEntries = 500) {
    this.lru = new LRUCache({ max: maxEntries });
  }

  static key(parts: CacheKeyParts): string {
    return [parts.family, parts.mode, parts.path, parts.prefix.slice(-KEY_PREFIX_CHARS), parts.suffix.slice(0, KEY_SUFFIX_CHARS)].join('\u0000');
  }

  get(key: string): string | undefined {
    return this.lru.get(key)?.text;
  }

  set(key: string, text: string): void {
    this.lru.set(key, { text });
  }

  get size(): number {
    return this.lru.size;
  }

  clear(): void {
    this.lru.clear();
  }
}
