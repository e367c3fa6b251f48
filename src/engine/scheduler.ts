import { BusyError } from '../common/errors';
import type { Logger } from '../common/logger';
import { PRIORITY_RANK, type Priority } from './types';

/** What the scheduler needs to know of a request; the engine's Sequence implements it. */
export interface SchedulerJob {
  readonly priority: Priority;
  /** Arrival order, to keep each class first-come first-served. */
  readonly order: number;
  /** Set by the runner once the prompt is processed and the first token sampled. */
  readonly ready: boolean;
  /** Set by the runner once the job produced its last token. */
  readonly finished: boolean;
  /** True once the job's AbortSignal fired. */
  readonly cancelled: boolean;
}

export type ReleaseOutcome = 'finished' | 'cancelled' | 'paused' | 'failed';

export interface BatchRunner<J extends SchedulerJob> {
  /**
   * Runs up to `budget` more prompt tokens of `jobs[0]` (a resumed job may need none), possibly
   * together with later jobs of the list in the same model run, and returns the tokens it ran.
   * Once a job's whole prompt is in, the runner samples its first token and sets `ready`.
   */
  prefill(jobs: readonly J[], budget: number): Promise<number>;
  /** One decode step for every running job, in this order. */
  step(jobs: readonly J[]): Promise<void>;
  /** The job leaves. `paused` keeps what it needs to resume; the others free everything. */
  release(job: J, outcome: ReleaseOutcome, error?: unknown): void;
  /** Nothing is running: drop batch-wide state. */
  idle(): void;
}

export interface SchedulerOptions {
  /** Most jobs decoding or prefilling together. */
  maxBatch: number;
  /** Most jobs waiting; beyond it `submit` throws BusyError. */
  maxQueue: number;
  /**
   * Prompt tokens prefilled between two decode steps. Long prompts are prefilled in slices, so a
   * running batch keeps streaming and a keystroke overtakes a long chat prompt within one slice.
   */
  prefillBudget: number;
}

export function compareJobs(a: SchedulerJob, b: SchedulerJob): number {
  return PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.order - b.order;
}

/**
 * Continuous batching: jobs join and leave the running batch between decode steps. Waiting jobs
 * are admitted by priority class, then arrival; when the batch is full a job of a higher class
 * pauses the lowest one (its state is kept and it resumes later). Between two decode steps at most
 * `prefillBudget` prompt tokens are prefilled, highest priority first.
 */
export class Scheduler<J extends SchedulerJob> {
  private readonly waiting: J[] = [];
  /** Admitted jobs whose prompt is still being prefilled. */
  private readonly prefilling: J[] = [];
  private readonly running: J[] = [];
  private loop: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly runner: BatchRunner<J>,
    private readonly options: SchedulerOptions,
    private readonly logger: Logger,
  ) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Jobs admitted: decoding or prefilling. */
  get active(): number {
    return this.running.length + this.prefilling.length;
  }

  /** Resolves once no job waits or runs and the loop has let go of its batch state. */
  async whenIdle(): Promise<void> {
    while (this.loop) {
      await this.loop;
    }
  }

  submit(job: J): void {
    if (this.stopped) {
      throw new BusyError('The engine is shutting down');
    }
    if (this.waiting.length >= this.options.maxQueue) {
      throw new BusyError(`The engine is busy: ${this.waiting.length} requests are already waiting`);
    }
    this.waiting.push(job);
    this.waiting.sort(compareJobs);
    this.kick();
  }

  /** Called when a job was cancelled: a waiting job leaves at once, an admitted one within a step. */
  cancelled(job: J): void {
    const at = this.waiting.indexOf(job);
    if (at >= 0) {
      this.waiting.splice(at, 1);
      this.runner.release(job, 'cancelled');
    }
  }

  /** Stops admitting, cancels every job, and resolves when the running step ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of [...this.waiting.splice(0), ...this.prefilling.splice(0), ...this.running.splice(0)]) {
      this.runner.release(job, 'cancelled');
    }
    await this.loop;
    this.runner.idle();
  }

  private kick(): void {
    if (!this.loop && !this.stopped && this.waiting.length > 0) {
      this.loop = this.run().finally(() => {
        this.loop = undefined;
        if (!this.stopped && this.waiting.length > 0) {
          this.kick();
        }
      });
    }
  }

  private get empty(): boolean {
    return this.waiting.length === 0 && this.prefilling.length === 0 && this.running.length === 0;
  }

  private async run(): Promise<void> {
    // Requests submitted in the same turn of the event loop start together.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (!this.stopped && !this.empty) {
      this.reap();
      this.admit();
      await this.prefillSome();
      this.reap();
      if (this.running.length > 0) {
        const batch = this.running.slice();
        try {
          await this.runner.step(batch);
        } catch (err) {
          this.logger.error('decode step failed', { error: err, batch: batch.length });
          for (const job of batch) {
            this.take(this.running, job);
            this.runner.release(job, 'failed', err);
          }
        }
        this.reap();
      }
      if (this.empty) {
        break;
      }
      // Let abort events and new submissions in between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.runner.idle();
  }

  private take(list: J[], job: J): boolean {
    const at = list.indexOf(job);
    if (at >= 0) {
      list.splice(at, 1);
    }
    return at >= 0;
  }

  private reap(): void {
    for (const list of [this.running, this.prefilling, this.waiting]) {
      for (const job of list.slice()) {
        if (job.cancelled) {
          this.take(list, job);
          this.runner.release(job, 'cancelled');
        } else if (job.finished) {
          this.take(list, job);
          this.runner.release(job, 'finished');
        }
      }
    }
  }

  private admit(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      if (this.active >= this.options.maxBatch) {
        const admitted = [...this.running, ...this.prefilling];
        const victim = admitted.reduce((worst, job) => (compareJobs(job, worst) > 0 ? job : worst));
        if (PRIORITY_RANK[victim.priority] <= PRIORITY_RANK[next.priority]) {
          return;
        }
        if (!this.take(this.running, victim)) {
          this.take(this.prefilling, victim);
        }
        this.runner.release(victim, 'paused');
        this.waiting.push(victim);
        this.waiting.sort(compareJobs);
        this.logger.debug('paused a request for a higher priority one', { paused: victim.priority, admitted: next.priority });
      }
      this.waiting.shift();
      this.prefilling.push(next);
    }
  }

  /** Prefills up to the budget, best job first; jobs whose prompt is in join the decode batch. */
  private async prefillSome(): Promise<void> {
    let budget = this.options.prefillBudget;
    while (this.prefilling.length > 0 && budget > 0 && !this.stopped) {
      this.prefilling.sort(compareJobs);
      const jobs = this.prefilling.slice();
      try {
        budget -= Math.max(1, await this.runner.prefill(jobs, budget));
      } catch (err) {
        this.logger.error('prefill failed', { error: err });
        const job = jobs[0]!;
        this.take(this.prefilling, job);
        this.runner.release(job, 'failed', err);
        continue;
      }
      this.reap();
      for (const job of jobs) {
        if (job.ready && this.take(this.prefilling, job)) {
          this.running.push(job);
        }
      }
    }
  }
}
