import type { Backend, BackendChatRequest, BackendChunk } from '../../../src/backends/backend';

/** Yields scripted chunks, one per tick; records the requests it got. For pure-stage tests only. */
export class ScriptedBackend implements Backend {
  readonly requests: BackendChatRequest[] = [];
  constructor(private readonly script: string[], private readonly tickMs = 1) {}

  info() {
    return { kind: 'local' as const, modelName: 'scripted', device: 'cpu', loaded: true };
  }

  generate(): AsyncIterable<BackendChunk> {
    throw new Error('not used');
  }

  async *chat(request: BackendChatRequest, signal: AbortSignal): AsyncIterable<BackendChunk> {
    this.requests.push(request);
    for (const text of this.script) {
      await new Promise((r) => setTimeout(r, this.tickMs));
      if (signal.aborted) {
        return;
      }
      yield { type: 'text', text };
    }
    yield { type: 'done', stats: { promptTokens: 10, reusedTokens: 0, generatedTokens: this.script.length, timeToFirstTokenMs: 1, tokensPerSecond: 100, stopReason: 'stop-token' } };
  }

  /** One token per word: easy to reason about in budget tests. */
  async countTokens(text: string): Promise<number> {
    return text.split(/\s+/).filter(Boolean).length;
  }

  dispose(): void {}
}
