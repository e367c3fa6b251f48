/** Cursor-marker fixtures: `'if (x) {║}'` is a document with the cursor where `║` is. */
import { type GenerationChunk, type BackendInfo, type GenerationRequest, type GenerationStats } from '../../../src/backends/backend';
import { DEFAULT_COMPLETION_SETTINGS, type CompletionSettings, type CompletionSnapshot } from '../../../src/completion/types';

export const CURSOR = '║';

export interface SnapshotOptions extends Partial<Omit<CompletionSnapshot, 'text' | 'offset' | 'line' | 'character'>> {
  /** Marks the selected IntelliSense item's range start with `«` in the fixture (it ends at the cursor). */
  itemText?: string;
}

export function snapshot(marked: string, options: SnapshotOptions = {}): CompletionSnapshot {
  let text = marked;
  let itemStart: number | undefined;
  const itemMark = text.indexOf('«');
  if (itemMark >= 0) {
    itemStart = itemMark;
    text = text.slice(0, itemMark) + text.slice(itemMark + 1);
  }
  const offset = text.indexOf(CURSOR);
  if (offset < 0) {
    throw new Error(`fixture has no cursor marker: ${marked}`);
  }
  text = text.slice(0, offset) + text.slice(offset + CURSOR.length);
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  const character = offset - (before.lastIndexOf('\n') + 1);
  const { itemText, ...rest } = options;
  return {
    path: 'src/main.ts',
    languageId: 'typescript',
    eol: text.includes('\r\n') ? '\r\n' : '\n',
    indentation: { insertSpaces: true, tabSize: 4 },
    selectionEmpty: true,
    neighbours: [],
    ...rest,
    ...(itemText !== undefined ? { selectedCompletion: { text: itemText, range: { start: itemStart ?? offset, end: offset } } } : {}),
    text,
    offset,
    line,
    character,
  };
}

/** The document after accepting `text` over `range`, with the cursor marker after it. */
export function accept(snap: CompletionSnapshot, result: { text: string; range: { start: number; end: number } }): string {
  return snap.text.slice(0, result.range.start) + result.text + CURSOR + snap.text.slice(result.range.end);
}

export function settings(overrides: Partial<CompletionSettings> = {}): CompletionSettings {
  return { ...DEFAULT_COMPLETION_SETTINGS, debounceMs: 0, ...overrides };
}

export const noSleep = async (_ms: number, signal: AbortSignal): Promise<void> => {
  if (signal.aborted) {
    throw Object.assign(new Error('aborted'), { name: 'AbortError' });
  }
};

export async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) {
    yield item;
  }
}

export async function drain<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
  }
  return out;
}

export const STATS: GenerationStats = { promptTokens: 100, reusedTokens: 40, generatedTokens: 5, timeToFirstTokenMs: 3, tokensPerSecond: 100, stopReason: 'stop-token' };

/** A backend that yields scripted text chunks, honours abort and records what it was asked. */
export class ScriptedBackend {
  readonly requests: GenerationRequest[] = [];
  /** Chunks handed out before the consumer stopped or the signal aborted, per request. */
  readonly yielded: number[] = [];
  aborted = 0;

  constructor(
    private readonly script: (request: GenerationRequest) => readonly string[],
    private readonly options: { chunkDelayMs?: number; info?: Partial<BackendInfo>; fail?: Error } = {},
  ) {}

  info(): BackendInfo {
    return { kind: 'local', modelName: 'autoglm-coder', modelFamily: 'qwen2.5-coder', device: 'cpu', loaded: true, ...this.options.info };
  }

  async *generate(request: GenerationRequest, signal: AbortSignal): AsyncGenerator<GenerationChunk> {
    this.requests.push(request);
    const index = this.yielded.push(0) - 1;
    if (this.options.fail !== undefined) {
      throw this.options.fail;
    }
    let text = this.script(request).join('\u0001');
    // The backend honours stop strings itself, like the engine does.
    let cut = text.length;
    for (const stop of request.stop ?? []) {
      const at = text.indexOf(stop);
      if (at >= 0 && at < cut) {
        cut = at;
      }
    }
    text = text.slice(0, cut);
    for (const chunk of text.split('\u0001')) {
      if (this.options.chunkDelayMs !== undefined) {
        await new Promise((r) => setTimeout(r, this.options.chunkDelayMs));
      }
      if (signal.aborted) {
        // Like the real backends: an aborted stream ends quietly, without stats.
        this.aborted++;
        return;
      }
      this.yielded[index]!++;
      yield { type: 'text', text: chunk };
    }
    yield { type: 'done', stats: STATS };
  }
}
