import { abortError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { GenerationTotals } from '../protocol/generation';
import { DecoderSession } from './decoderSession';
import { assembleBatch, batchBytes, copySequence, emptySequence, sequenceBytes, type BatchKv, type KvShape, type RowSource, type SequenceKv } from './kv';
import type { PrefixCache } from './prefixCache';
import { findDraft, type PromptLookupOptions } from './promptLookup';
import type { BatchRunner, ReleaseOutcome } from './scheduler';
import type { Sequence } from './sequence';

/**
 * The model side of the scheduler: prefills a new sequence (reusing the longest cached prefix),
 * runs decode steps over the left-padded batch, keeps the batch KV between steps, and takes
 * rows in and out when sequences join or leave.
 */
export interface RunnerCounters extends GenerationTotals {
  decodeSteps: number;
  /** Model runs spent on prompts (several short prompts arriving together share one). */
  prefillRuns: number;
  /** Prompt-lookup draft tokens verified, and those the model's own choice confirmed. */
  draftedTokens: number;
  acceptedDraftTokens: number;
}

export class ModelRunner implements BatchRunner<Sequence> {
  private batch: BatchKv | undefined;
  /** Sequence of each batch row; undefined marks a row whose sequence left (dropped at the next rebuild). */
  private rows: Array<Sequence | undefined> = [];
  /** Sequences between `start` and their final `release`. */
  private readonly live = new Set<Sequence>();
  readonly counters: RunnerCounters = {
    requestsCompleted: 0,
    requestsCancelled: 0,
    requestsFailed: 0,
    promptTokensTotal: 0,
    reusedTokensTotal: 0,
    generatedTokensTotal: 0,
    decodeSteps: 0,
    prefillRuns: 0,
    draftedTokens: 0,
    acceptedDraftTokens: 0,
  };

  constructor(
    private readonly session: DecoderSession,
    readonly cache: PrefixCache,
    private readonly prefillChunk: number,
    private readonly logger: Logger,
    /** Prompt-lookup speculation for a batch of one; undefined turns it off. */
    private readonly speculation?: PromptLookupOptions,
  ) {}

  private get shape(): KvShape {
    return this.session.io.shape;
  }

  /** Bytes of KV owned by running or paused sequences, the decode batch included. */
  liveKvBytes(): number {
    let total = batchBytes(this.batch);
    for (const seq of this.live) {
      total += seq.kv ? sequenceBytes(seq.kv) : 0;
    }
    return total;
  }

  /** Gives a sequence its starting KV state: the longest cached prefix of its prompt, or nothing. */
  private begin(seq: Sequence): SequenceKv {
    this.live.add(seq);
    if (seq.kv) {
      return seq.kv;
    }
    const prompt = seq.prompt;
    let kv: SequenceKv = emptySequence(this.shape);
    if (seq.usePrefixCache) {
      // At least the last prompt token is run, since its logits give the first output token.
      const match = this.cache.lookup(prompt);
      const reuse = Math.min(match?.length ?? 0, prompt.length - 1);
      if (match && reuse > 0) {
        kv = copySequence(this.shape, { kv: match.entry.kv }, reuse);
        seq.reusedTokens = reuse;
      }
    }
    seq.kv = kv;
    seq.kvTokens.push(...prompt.slice(0, kv.length));
    return kv;
  }

  async prefill(seqs: readonly Sequence[], budget: number): Promise<number> {
    const seq = seqs[0]!;
    seq.markStarted();
    if (seq.ready) {
      this.live.add(seq);
      return 0; // resuming after a pause: its KV state was kept
    }
    const limit = Math.max(1, Math.min(budget, this.prefillChunk));
    const kv = this.begin(seq);
    const group = kv.length === 0 ? this.freshGroup(seqs, limit) : [seq];
    if (group.length > 1) {
      return this.prefillTogether(group);
    }
    const ids = seq.prompt.slice(kv.length, kv.length + limit);
    const out = await this.session.run({
      batch: 1,
      seqLen: ids.length,
      ids,
      pastWidth: kv.length,
      pads: [0],
      pastKeys: kv.keys,
      pastValues: kv.values,
    });
    this.counters.prefillRuns++;
    seq.kv = { length: kv.length + ids.length, keys: out.keys, values: out.values };
    seq.kvTokens.push(...ids);
    if (seq.kv.length === seq.prompt.length) {
      seq.ready = true;
      seq.accept(seq.pick(DecoderSession.logitsAt(out, 0, ids.length, ids.length - 1)));
    }
    return ids.length;
  }

  /**
   * Sequences with nothing cached whose whole prompts fit one left-padded run of at most `limit`
   * token slots, in priority order, starting with the first.
   */
  private freshGroup(seqs: readonly Sequence[], limit: number): Sequence[] {
    const group: Sequence[] = [];
    let longest = 0;
    for (const seq of seqs) {
      if (seq.ready || seq.cancelled) continue;
      const fresh = (seq.kv?.length ?? (seq.usePrefixCache ? this.begin(seq).length : 0)) === 0;
      const width = Math.max(longest, seq.prompt.length);
      if (!fresh || width * (group.length + 1) > limit) {
        if (group.length === 0) return [seqs[0]!];
        continue;
      }
      group.push(seq);
      longest = width;
    }
    return group.length > 0 ? group : [seqs[0]!];
  }

  /** One model run for several whole prompts, left-padded; each row's KV is then copied out without its padding. */
  private async prefillTogether(group: readonly Sequence[]): Promise<number> {
    const width = Math.max(...group.map((s) => s.prompt.length));
    const pads = group.map((s) => width - s.prompt.length);
    const ids = group.flatMap((s, r) => [...new Array<number>(pads[r]!).fill(0), ...s.prompt]);
    const empty = emptySequence(this.shape);
    const out = await this.session.run({
      batch: group.length,
      seqLen: width,
      ids,
      pastWidth: 0,
      pads,
      pastKeys: empty.keys,
      pastValues: empty.values,
    });
    this.counters.prefillRuns++;
    const batch = { width, pads, keys: out.keys, values: out.values };
    group.forEach((seq, row) => {
      seq.markStarted();
      this.live.add(seq);
      seq.kv = copySequence(this.shape, { batch, row });
      seq.kvTokens.push(...seq.prompt);
      seq.ready = true;
      seq.accept(seq.pick(DecoderSession.logitsAt(out, row, width, width - 1)));
    });
    return width * group.length;
  }

  async step(seqs: readonly Sequence[]): Promise<void> {
    const draft = seqs.length === 1 ? this.draftFor(seqs[0]!) : [];
    if (draft.length > 0) {
      return this.verify(seqs[0]!, draft);
    }
    const batch = this.arrange(seqs);
    const ids = seqs.map((s) => s.pending!);
    const out = await this.session.run({
      batch: seqs.length,
      seqLen: 1,
      ids,
      pastWidth: batch.width,
      pads: batch.pads,
      pastKeys: batch.keys,
      pastValues: batch.values,
    });
    this.batch = { width: batch.width + 1, pads: batch.pads, keys: out.keys, values: out.values };
    this.counters.decodeSteps++;
    seqs.forEach((seq, row) => {
      seq.kvTokens.push(ids[row]!);
      seq.accept(seq.pick(DecoderSession.logitsAt(out, row, 1, 0)));
    });
  }

  /** Tokens guessed from the sequence's own text, never beyond its remaining maxTokens (which fit the context). */
  private draftFor(seq: Sequence): number[] {
    if (!this.speculation) {
      return [];
    }
    const limit = Math.min(this.speculation.maxDraft, seq.remainingTokens - 1);
    return findDraft([...seq.kvTokens, seq.pending!], this.speculation.ngram, limit);
  }

  /**
   * One run over [pending, ...draft]: each position's logits are picked and accepted in turn, as
   * single steps would, while the model's choice equals the next draft token. The KV keeps the
   * columns of the tokens fed and confirmed; the rest is dropped.
   */
  private async verify(seq: Sequence, draft: readonly number[]): Promise<void> {
    const batch = this.arrange([seq]);
    const ids = [seq.pending!, ...draft];
    const out = await this.session.run({ batch: 1, seqLen: ids.length, ids, pastWidth: batch.width, pads: batch.pads, pastKeys: batch.keys, pastValues: batch.values, logitsFor: ids.length });
    this.counters.decodeSteps++;
    this.counters.draftedTokens += draft.length;
    let fed = 1;
    for (let i = 0; i < ids.length; i++) {
      const token = seq.pick(DecoderSession.logitsAt(out, 0, ids.length, i));
      seq.accept(token);
      const confirmed = token === draft[i];
      if (confirmed) this.counters.acceptedDraftTokens++;
      if (!confirmed || seq.finished) break;
      fed++;
    }
    seq.kvTokens.push(...ids.slice(0, fed));
    const grown = { width: batch.width + ids.length, pads: batch.pads, keys: out.keys, values: out.values };
    if (fed === ids.length) {
      this.batch = grown;
      return;
    }
    // A standalone copy of the row's confirmed tokens is a batch of one without padding.
    const kept = copySequence(this.shape, { batch: grown, row: 0 }, batch.width - batch.pads[0]! + fed);
    this.batch = { width: kept.length, pads: [0], keys: kept.keys, values: kept.values };
  }

  /** Makes the batch rows equal `seqs`, copying KV only when membership or order changed. */
  private arrange(seqs: readonly Sequence[]): BatchKv {
    const same = this.batch !== undefined && this.rows.length === seqs.length && seqs.every((s, i) => this.rows[i] === s);
    if (same) {
      return this.batch!;
    }
    const sources: RowSource[] = seqs.map((seq) => {
      const row = this.batch ? this.rows.indexOf(seq) : -1;
      if (row >= 0) {
        return { batch: this.batch!, row };
      }
      if (!seq.kv) {
        throw new Error('a sequence joined the batch without KV state');
      }
      return { kv: seq.kv };
    });
    const batch = assembleBatch(this.shape, sources);
    for (const seq of seqs) {
      seq.kv = undefined;
    }
    this.batch = batch;
    this.rows = seqs.slice();
    return batch;
  }

  release(seq: Sequence, outcome: ReleaseOutcome, error?: unknown): void {
    const row = this.batch ? this.rows.indexOf(seq) : -1;
    if (outcome === 'paused') {
      if (row >= 0) {
        seq.kv = copySequence(this.shape, { batch: this.batch!, row });
        this.rows[row] = undefined;
      }
      return;
    }
    if (seq.usePrefixCache && outcome !== 'failed') {
      const source: RowSource | undefined = row >= 0 ? { batch: this.batch!, row } : seq.kv ? { kv: seq.kv } : undefined;
      if (source && seq.kvTokens.length > 0) {
        // A standalone sequence can be kept as is; a batch row is copied out (the batch moves on).
        const kv = 'kv' in source && source.kv.length === seq.kvTokens.length ? source.kv : copySequence(this.shape, source, seq.kvTokens.length);
        this.cache.store(Int32Array.from(seq.kvTokens), kv);
      }
    }
    if (row >= 0) {
      this.rows[row] = undefined;
    }
    seq.kv = undefined;
    seq.pending = undefined;
    this.live.delete(seq);
    this.counters.promptTokensTotal += seq.prompt.length;
    this.counters.reusedTokensTotal += seq.reusedTokens;
    this.counters.generatedTokensTotal += seq.generatedCount;
    switch (outcome) {
      case 'finished':
        this.counters.requestsCompleted++;
        seq.close();
        break;
      case 'cancelled':
        this.counters.requestsCancelled++;
        seq.close(abortError());
        break;
      case 'failed':
        this.counters.requestsFailed++;
        this.logger.debug('request failed', { error });
        seq.close(error ?? new Error('generation failed'));
        break;
      default: {
        const never: never = outcome;
        throw new Error(`unexpected outcome ${String(never)}`);
      }
    }
  }

  idle(): void {
    this.batch = undefined;
    this.rows = [];
  }
}
