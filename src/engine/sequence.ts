import { AsyncChannel } from '../common/channel';
import type { TokenConstraint } from './constrain/constrainedDecoder';
import type { IncrementalDetokenizer } from './detokenizer';
import type { ForcedPrefix } from './forcedPrefix';
import type { SequenceKv } from './kv';
import type { Random } from './prng';
import { sampleToken, tokenLogprobs, type SamplingParams } from './sampling';
import type { SchedulerJob } from './scheduler';
import { StopSequenceMatcher } from './stopMatcher';
import type { GenerateEvent, GenerateStats, Priority, StopReason, TokenLogprob } from './types';

/**
 * One request's life in the engine: its tokens, its KV state while it is out of the decode batch,
 * sampling state, and the stream of events to the caller. Tokens come in through `accept`, which
 * applies the stop criteria and emits UTF-8-safe text with stop sequences held back.
 */
export interface SequenceInit {
  order: number;
  priority: Priority;
  prompt: number[];
  maxTokens: number;
  /** Stop reason when `maxTokens` is reached: it was clamped by the context window or not. */
  limitReason: StopReason;
  sampling: SamplingParams;
  random: Random;
  stop: readonly string[];
  stopTokenIds: ReadonlySet<number>;
  usePrefixCache: boolean;
  detokenizer: IncrementalDetokenizer;
  /** Text the output must start with; it is not emitted. */
  forced?: ForcedPrefix;
  /** Restricts each token to those that keep the output valid (a JSON schema, tool calls). */
  constraint?: TokenConstraint;
  signal: AbortSignal | undefined;
  now: () => number;
  /** Report log-probabilities: `top` alternatives per step, token texts from `tokenText`. */
  logprobs?: { top: number; tokenText: (id: number) => string };
}

export class Sequence implements SchedulerJob {
  readonly order: number;
  readonly priority: Priority;
  readonly prompt: number[];
  readonly sampling: SamplingParams;
  readonly random: Random;
  readonly usePrefixCache: boolean;
  readonly events = new AsyncChannel<GenerateEvent>();
  /** Tokens whose KV state exists (prompt, then every generated token fed back). */
  readonly kvTokens: number[] = [];
  /** Distinct tokens seen so far, for the repetition penalty. */
  readonly seen: Set<number>;
  /** KV state owned by this sequence while it is not a row of the decode batch. */
  kv: SequenceKv | undefined;
  /** The last sampled token, to be fed at the next decode step. */
  pending: number | undefined;
  /** The prompt is processed and the first token sampled: the sequence can join the decode batch. */
  ready = false;
  finished = false;
  stopReason: StopReason = 'max-tokens';
  reusedTokens = 0;
  private abandoned = false;
  private readonly generated: number[] = [];
  private readonly emitted: string[] = [];
  private readonly stopMatcher: StopSequenceMatcher;
  private readonly created: number;
  private started: number | undefined;
  private firstToken: number | undefined;
  private lastToken: number | undefined;
  /** Log-probability of the token `pick` chose, until `accept` emits it. */
  private picked: TokenLogprob | undefined;

  constructor(private readonly init: SequenceInit) {
    this.order = init.order;
    this.priority = init.priority;
    this.prompt = init.prompt;
    this.sampling = init.sampling;
    this.random = init.random;
    this.usePrefixCache = init.usePrefixCache;
    this.seen = new Set(init.prompt);
    this.stopMatcher = new StopSequenceMatcher(init.stop);
    this.created = init.now();
  }

  get cancelled(): boolean {
    return this.abandoned || (this.init.signal?.aborted ?? false);
  }

  get generatedCount(): number {
    return this.generated.length;
  }

  /** Tokens it may still generate before maxTokens. */
  get remainingTokens(): number {
    return this.init.maxTokens - this.generated.length;
  }

  /** The caller stopped reading (broke out of its loop). */
  abandon(): void {
    this.abandoned = true;
  }

  markStarted(): void {
    this.started ??= this.init.now();
  }

  /** Samples the next token from this sequence's row of logits (which may be modified). */
  pick(logits: Float32Array): number {
    this.init.forced?.mask(logits);
    this.init.constraint?.mask(logits);
    const token = sampleToken(logits, this.sampling, this.seen, this.random);
    this.picked = this.init.logprobs === undefined ? undefined : this.logprobOf(logits, token, this.init.logprobs);
    return token;
  }

  private logprobOf(logits: Float32Array, token: number, { top, tokenText }: NonNullable<SequenceInit['logprobs']>): TokenLogprob {
    const found = tokenLogprobs(logits, token, top);
    // Tokens a forced prefix or a constraint rules out have no probability to report (and -Infinity does not survive JSON).
    const possible = found.top.filter((t) => t.logprob > -Infinity);
    return { token: tokenText(token), logprob: found.logprob, top: possible.map((t) => ({ token: tokenText(t.id), logprob: t.logprob })) };
  }

  /** Takes the next sampled token: stop checks, text emission, and what to feed next. */
  accept(token: number): void {
    if (this.finished) {
      return;
    }
    this.init.forced?.advance(token);
    this.init.constraint?.advance(token);
    const now = this.init.now();
    this.firstToken ??= now;
    this.lastToken = now;
    this.generated.push(token);
    this.seen.add(token);
    if (this.init.stopTokenIds.has(token)) {
      // Text held back as a possible stop sequence was not one after all.
      const rest = this.stopMatcher.push(this.text(this.init.detokenizer.flush()));
      this.emit(rest.emit + this.stopMatcher.flush(), [token]);
      this.finish('stop-token');
      return;
    }
    const piece = this.text(this.init.detokenizer.push(token));
    const check = this.stopMatcher.push(piece);
    if (check.stopped) {
      this.emit(check.emit, [token]);
      this.finish('stop-sequence');
      return;
    }
    if (this.generated.length >= this.init.maxTokens) {
      const rest = this.stopMatcher.push(this.text(this.init.detokenizer.flush()));
      this.emit(check.emit + rest.emit + (rest.stopped ? '' : this.stopMatcher.flush()), [token]);
      this.finish(rest.stopped ? 'stop-sequence' : this.init.limitReason);
      return;
    }
    this.emit(check.emit, [token]);
    this.pending = token;
  }

  /** Decoded text as the caller sees it: without the forced prefix. */
  private text(piece: string): string {
    return this.init.forced === undefined ? piece : this.init.forced.strip(piece);
  }

  private emit(text: string, tokenIds: number[]): void {
    this.emitted.push(text);
    const picked = this.picked;
    this.picked = undefined;
    this.events.push({ type: 'delta', text, tokenIds, ...(picked !== undefined ? { logprobs: [picked] } : {}) });
  }

  private finish(reason: StopReason): void {
    this.finished = true;
    this.pending = undefined;
    this.stopReason = reason;
  }

  stats(): GenerateStats {
    const end = this.init.now();
    const decodeMs = this.firstToken !== undefined && this.lastToken !== undefined ? this.lastToken - this.firstToken : 0;
    const n = this.generated.length;
    return {
      promptTokens: this.prompt.length,
      reusedTokens: this.reusedTokens,
      prefilledTokens: this.prompt.length - this.reusedTokens,
      generatedTokens: n,
      queueMs: (this.started ?? end) - this.created,
      timeToFirstTokenMs: (this.firstToken ?? end) - this.created,
      tokensPerSecond: n > 1 && decodeMs > 0 ? ((n - 1) * 1000) / decodeMs : 0,
      totalMs: end - this.created,
      stopReason: this.stopReason,
    };
  }

  /** Ends the event stream: stats after success, the error otherwise. */
  close(error?: unknown): void {
    if (error !== undefined) {
      this.events.fail(error);
      return;
    }
    this.events.push({ type: 'done', text: this.emitted.join(''), tokenIds: this.generated.slice(), stats: this.stats() });
    this.events.close();
  }
}
