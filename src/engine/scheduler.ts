import { BusyError } from '../common/errors';
import type { Logger } from '../common/logger';
import { PRIORITY_RANK, type Priority } from './types';

/**
 * Continuous batching: jobs join and leave the running batch between decode steps. Waiting jobs
 * are admitted by priority class, then arrival; when the batch is full a job of a higher class
 * pauses the lowest running one (its state is kept and it resumes later). The model work itself
 * is done by a BatchRunner, so this policy is testable with a fake one.
 */
export interface SchedulerJob {
  readonly priority: Priority;
  /** Arrival order, to keep each class first-come first-served. */
  readonly order: number;
  /** Set by the runner once the job produced its last token. */
  readonly finished: boolean;
  /** True once the job's AbortSignal fired. */
  readonly cancelled: boolean;
}

export type ReleaseOutcome = 'finished' | 'cancelled' | 'paused' | 'failed';

export interface BatchRunner<J extends SchedulerJob> {
  /** Makes a job ready to decode: prefill, or restore after a pause. May finish it already. */
  start(job: J): Promise<void>;
  /** One decode step for every running job, in this order. */
  step(jobs: readonly J[]): Promise<void>;
  /** The job leaves the batch. `paused` keeps what it needs to resume; the others free everything. */
  release(job: J, outcome: ReleaseOutcome, error?: unknown): void;
  /** Nothing is running: drop batch-wide state. */
  idle(): void;
}

export interface SchedulerOptions {
  /** Most jobs decoding together. */
  maxBatch: number;
  /** Most jobs waiting; beyond it `submit` throws BusyError. */
  maxQueue: number;
}

export function compareJobs(a: SchedulerJob, b: SchedulerJob): number {
  return PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || a.order - b.order;
}

export class Scheduler<J extends SchedulerJob> {
  private readonly waiting: J[] = [];
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

  get active(): number {
    return this.running.length;
  }

  /** Resolves once no job waits or runs and the loop has let go of its batch state. */
  async whenIdle(): Promise<void> {
    while (this.loop) {
      await this.loop;
    }
  }

  /** Jobs waiting or running, for accounting. */
  jobs(): readonly J[] {
    return [...this.running, ...this.waiting];
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

  /** Called when a job was cancelled: a waiting job leaves at once, a running one within a step. */
  cancelled(job: J): void {
    const at = this.waiting.indexOf(job);
    if (at >= 0) {
      this.waiting.splice(at, 1);
      this.runner.release(job, 'cancelled');
      if (this.running.length === 0 && this.waiting.length === 0 && !this.loop) {
        this.runner.idle();
      }
    }
    this.kick();
  }

  /** Stops admitting, cancels what waits, and resolves when the running step ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const job of this.waiting.splice(0)) {
      this.runner.release(job, 'cancelled');
    }
    for (const job of this.running.splice(0)) {
      this.runner.release(job, 'cancelled');
    }
    this.kick();
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

  private async run(): Promise<void> {
    // Requests submitted in the same turn of the event loop start together.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (!this.stopped) {
      this.reap();
      await this.admit();
      if (this.running.length === 0) {
        if (this.waiting.length === 0) {
          break;
        }
        continue;
      }
      const batch = this.running.slice();
      try {
        await this.runner.step(batch);
      } catch (err) {
        this.logger.error('decode step failed', { error: err, batch: batch.length });
        for (const job of batch) {
          this.remove(job);
          this.runner.release(job, 'failed', err);
        }
      }
      this.reap();
      if (this.running.length === 0 && this.waiting.length === 0) {
        break;
      }
      // Let abort events and new submissions in between steps.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.runner.idle();
  }

  private remove(job: J): void {
    const at = this.running.indexOf(job);
    if (at >= 0) {
      this.running.splice(at, 1);
    }
  }

  private reap(): void {
    for (const job of this.running.slice()) {
      if (job.cancelled) {
        this.remove(job);
        this.runner.release(job, 'cancelled');
      } else if (job.finished) {
        this.remove(job);
        this.runner.release(job, 'finished');
      }
    }
    for (const job of this.waiting.slice()) {
      if (job.cancelled) {
        this.waiting.splice(this.waiting.indexOf(job), 1);
        this.runner.release(job, 'cancelled');
      }
    }
  }

  private async admit(): Promise<void> {
    while (this.waiting.length > 0 && !this.stopped) {
      const next = this.waiting[0]!;
      if (this.running.length >= this.options.maxBatch) {
        const victim = this.running.reduce((worst, job) => (compareJobs(job, worst) > 0 ? job : worst));
        if (PRIORITY_RANK[victim.priority] <= PRIORITY_RANK[next.priority]) {
          return;
        }
        this.remove(victim);
        this.runner.release(victim, 'paused');
        this.waiting.push(victim);
        this.waiting.sort(compareJobs);
        this.logger.debug('paused a running request for a higher priority one', { paused: victim.priority, admitted: next.priority });
      }
      this.waiting.shift();
      try {
        await this.runner.start(next);
      } catch (err) {
        this.logger.error('prefill failed', { error: err });
        this.runner.release(next, 'failed', err);
        continue;
      }
      if (next.cancelled) {
        this.runner.release(next, 'cancelled');
      } else if (next.finished) {
        this.runner.release(next, 'finished');
      } else {
        this.running.push(next);
      }
    }
  }
}
