import type { GenerationChunk, TokenLogprob, TokenProbability } from '../../protocol/generation';

/** A generated token's log-probability, and where its text starts in the streamed output. */
export interface TrailToken {
  at: number;
  logprob: number;
  token: string;
  top: readonly TokenProbability[];
}

/**
 * The log-probabilities of one generation's tokens in stream order. A token is placed at the
 * offset where the text of the chunk that carried it starts: text held back (a stop sequence, a
 * character's later bytes) moves a token a little later, never out of order.
 */
export class TokenTrail {
  readonly tokens: TrailToken[] = [];
  /** The streamed text so far, as the backend sent it. */
  raw = '';

  add(text: string, logprobs: readonly TokenLogprob[] | undefined): void {
    for (const t of logprobs ?? []) {
      this.tokens.push({ at: this.raw.length, logprob: t.logprob, token: t.token, top: t.top });
    }
    this.raw += text;
  }

  /** The tokens whose text starts before `end` in the output. */
  before(end: number): TrailToken[] {
    return this.tokens.filter((t) => t.at < end);
  }
}

/** The chunks unchanged; each text chunk's log-probabilities are added to `trail` as it passes. */
export async function* recordTrail(chunks: AsyncIterable<GenerationChunk>, trail: TokenTrail): AsyncGenerator<GenerationChunk> {
  for await (const chunk of chunks) {
    if (chunk.type === 'text') {
      trail.add(chunk.text, chunk.logprobs);
    }
    yield chunk;
  }
}
