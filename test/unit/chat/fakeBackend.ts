import type { Backend, BackendInfo, ChatGenerationRequest, GenerationChunk } from '../../../src/backends/backend';

/** Yields scripted chunks, one per tick; records the requests it got. For pure-stage tests only. */
export class ScriptedBackend implements Backend {
  readonly requests: ChatGenerationRequest[] = [];
  constructor(private readonly script: string[], private readonly tickMs = 1) {}

  info(): BackendInfo {
    return { kind: 'local', modelName: 'scripted', device: 'cpu', loaded: true };
  }

  generate(): AsyncIterable<GenerationChunk> {
    throw new Error('not used');
  }

  async *chat(request: ChatGenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk> {
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

  /** Texts counted, in order; `countDelayMs` lets counts overlap so that tests can see them run in parallel. */
  readonly counted: string[] = [];
  countDelayMs = 0;
  private countsRunning = 0;
  /** Most counts that were running at once. */
  maxConcurrentCounts = 0;

  /** One token per word: easy to reason about in budget tests. */
  async countTokens(text: string): Promise<number> {
    this.counted.push(text);
    this.countsRunning++;
    this.maxConcurrentCounts = Math.max(this.maxConcurrentCounts, this.countsRunning);
    await new Promise((r) => setTimeout(r, this.countDelayMs));
    this.countsRunning--;
    return text.split(/\s+/).filter(Boolean).length;
  }

  countTokensNow(): number | undefined {
    return undefined;
  }

  dispose(): void {}
}
