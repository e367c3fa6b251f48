import assert from 'node:assert/strict';
import { BusyError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import { Scheduler, type BatchRunner, type ReleaseOutcome, type SchedulerJob } from '../../../src/engine/scheduler';
import type { Priority } from '../../../src/engine/types';

class FakeJob implements SchedulerJob {
  ready = false;
  finished = false;
  prefilled = 0;
  cancelled = false;
  produced = 0;
  outcome: ReleaseOutcome | undefined;
  readonly done: Promise<ReleaseOutcome>;
  resolve!: (o: ReleaseOutcome) => void;
  constructor(
    readonly name: string,
    readonly priority: Priority,
    readonly order: number,
    readonly length: number,
    readonly promptLength = 1,
  ) {
    this.done = new Promise((r) => (this.resolve = r));
  }
}

/** Records what the scheduler asked for; each step gives every running job one token. */
class FakeRunner implements BatchRunner<FakeJob> {
  readonly log: string[] = [];
  readonly batches: string[][] = [];
  live = new Set<FakeJob>();
  onStep: ((step: number) => void) | undefined;
  steps = 0;
  async prefill(jobs: readonly FakeJob[], budget: number): Promise<number> {
    const job = jobs[0]!;
    if (job.ready) return 0;
    if (job.prefilled === 0) this.log.push(`start ${job.name}`);
    this.live.add(job);
    const n = Math.min(budget, job.promptLength - job.prefilled);
    job.prefilled += n;
    this.log.push(`prefill ${job.name} ${n}`);
    if (job.prefilled === job.promptLength) {
      job.ready = true;
      job.produced++;
      job.finished = job.produced >= job.length;
    }
    this.onPrefill?.(job);
    return n;
  }
  onPrefill: ((job: FakeJob) => void) | undefined;
  async step(jobs: readonly FakeJob[]): Promise<void> {
    this.steps++;
    this.batches.push(jobs.map((j) => j.name));
    for (const job of jobs) {
      job.produced++;
      job.finished = job.produced >= job.length;
    }
    this.onStep?.(this.steps);
  }
  release(job: FakeJob, outcome: ReleaseOutcome): void {
    this.log.push(`${outcome} ${job.name}`);
    if (outcome !== 'paused') {
      this.live.delete(job);
      job.outcome = outcome;
      job.resolve(outcome);
    }
  }
  idle(): void {
    this.log.push('idle');
  }
}

describe('engine/scheduler', () => {
  let order = 0;
  const job = (name: string, priority: Priority, length: number, promptLength = 1): FakeJob => new FakeJob(name, priority, order++, length, promptLength);

  it('runs jobs of one batch together and lets each leave when done', async () => {
    const runner = new FakeRunner();
    const s = new Scheduler(runner, { maxBatch: 4, maxQueue: 10, prefillBudget: 100 }, new MemoryLogger());
    const a = job('a', 'chat', 2);
    const b = job('b', 'chat', 4);
    s.submit(a);
    s.submit(b);
    assert.deepEqual(await Promise.all([a.done, b.done]), ['finished', 'finished']);
    assert.deepEqual(runner.batches, [['a', 'b'], ['b'], ['b']]);
    assert.equal(runner.live.size, 0);
    assert.equal(runner.log.at(-1), 'idle');
  });

  it('admits waiting jobs by priority class, then arrival', async () => {
    const runner = new FakeRunner();
    const s = new Scheduler(runner, { maxBatch: 1, maxQueue: 10, prefillBudget: 100 }, new MemoryLogger());
    const jobs = [job('bg', 'background', 1), job('chat1', 'chat', 1), job('int1', 'interactive', 1), job('chat2', 'chat', 1), job('int2', 'interactive', 1)];
    // Submitted in the same tick: the loop starts after all are queued.
    for (const j of jobs) s.submit(j);
    await Promise.all(jobs.map((j) => j.done));
    const starts = runner.log.filter((l) => l.startsWith('start')).map((l) => l.slice(6));
    assert.deepEqual(starts, ['int1', 'int2', 'chat1', 'chat2', 'bg']);
  });

  it('an interactive job joins a running chat batch at the next step instead of waiting for it', async () => {
    const runner = new FakeRunner();
    const s = new Scheduler(runner, { maxBatch: 4, maxQueue: 10, prefillBudget: 100 }, new MemoryLogger());
    const chat = job('chat', 'chat', 50);
    const key = job('key', 'interactive', 3);
    runner.onStep = (step) => {
      if (step === 5) s.submit(key);
    };
    s.submit(chat);
    assert.equal(await key.done, 'finished');
    assert.equal(chat.outcome, undefined, 'the chat answer is still running');
    assert.ok(chat.produced < 15, `interactive finished after ${chat.produced} chat tokens`);
    await chat.done;
  });

  it('a full batch pauses its lowest priority job for an interactive one and resumes it later', async () => {
    const runner = new FakeRunner();
    const s = new Scheduler(runner, { maxBatch: 2, maxQueue: 10, prefillBudget: 100 }, new MemoryLogger());
    const chat = job('chat', 'chat', 20);
    const bg = job('bg', 'background', 20);
    const key = job('key', 'interactive', 2);
    runner.onStep = (step) => {
      if (step === 3) s.submit(key);
    };
    s.submit(chat);
    s.submit(bg);
    await Promise.all([chat.done, bg.done, key.done]);
    assert.ok(runner.log.includes('paused bg'));
    assert.ok(!runner.log.includes('paused chat'));
    assert.equal(bg.produced, 20, 'the paused job completed all its tokens');
    assert.ok(runner.batches.every((b) => b.length <= 2));
    assert.ok(runner.batches.some((b) => b.includes('key') && b.includes('chat')));
  });

  it('cancellation removes a running job within one step and a waiting one at once', async () => {
    const runner = new FakeRunner();
    const s = new Scheduler(runner, { maxBatch: 1, maxQueue: 10, prefillBudget: 100 }, new MemoryLogger());
    const long = job('long', 'chat', 1000);
    const queued = job('queued', 'chat', 1);
    let cancelledAt = -1;
    runner.onStep = (step) => {
      if (step === 3) {
        long.cancelled = true;
        cancelledAt = step;
        s.cancelled(long);
      }
    };
    s.submit(long);
    s.submit(queued);
    queued.cancelled = true;
    s.cancelled(queued);
    assert.equal(await queued.done, 'cancelled');
    assert.equal(await long.done, 'cancelled');
    assert.equal(runner.steps, cancelledAt, 'no step ran after the cancellation');
    assert.equal(runner.live.size, 0);
    assert.equal(s.active + s.queued, 0);
  });

  it('a long prompt is prefilled in slices between decode steps, and a keystroke overtakes it', async () => {
    const runner = new FakeRunner();
    const s = new Scheduler(runner, { maxBatch: 4, maxQueue: 10, prefillBudget: 100 }, new MemoryLogger());
    const streaming = job('streaming', 'chat', 30);
    const longChat = job('longChat', 'chat', 2, 1000);
    const key = job('key', 'interactive', 2, 20);
    s.submit(streaming);
    runner.onStep = (step) => {
      if (step === 2) s.submit(longChat);
    };
    runner.onPrefill = (j) => {
      if (j === longChat && j.prefilled === 300) s.submit(key);
    };
    await Promise.all([streaming.done, longChat.done, key.done]);
    const slices = runner.log.filter((l) => l.startsWith('prefill longChat')).map((l) => Number(l.split(' ')[2]));
    assert.equal(slices.reduce((a, b) => a + b, 0), 1000);
    assert.ok(slices.length >= 10 && slices.every((n) => n <= 100), `slices ${slices.join()}`);
    const keyReady = runner.log.indexOf('prefill key 20');
    const chatDone = runner.log.length - 1 - [...runner.log].reverse().findIndex((l) => l.startsWith('prefill longChat'));
    assert.ok(keyReady >= 0 && keyReady < chatDone, 'the keystroke was prefilled before the long prompt finished');
    // The streaming request kept decoding while the long prompt was prefilled.
    const stepsDuringPrefill = runner.batches.filter((b) => b.includes('streaming') && !b.includes('longChat')).length;
    assert.ok(stepsDuringPrefill >= 10, `${stepsDuringPrefill} steps`);
  });

  it('a full queue answers busy instead of growing', () => {
    const runner = new FakeRunner();
    const s = new Scheduler(runner, { maxBatch: 1, maxQueue: 2, prefillBudget: 100 }, new MemoryLogger());
    const a = job('a', 'chat', 1);
    const b = job('b', 'chat', 1);
    s.submit(a);
    s.submit(b);
    assert.throws(() => s.submit(job('c', 'chat', 1)), BusyError);
    return Promise.all([a.done, b.done]);
  });

  it('a failing step fails the running jobs and the scheduler keeps serving', async () => {
    const runner = new FakeRunner();
    let fail = true;
    const realStep = runner.step.bind(runner);
    runner.step = async (jobs) => {
      if (fail) {
        fail = false;
        throw new Error('boom');
      }
      return realStep(jobs);
    };
    const logger = new MemoryLogger();
    const s = new Scheduler(runner, { maxBatch: 2, maxQueue: 10, prefillBudget: 100 }, logger);
    const a = job('a', 'chat', 3);
    s.submit(a);
    assert.equal(await a.done, 'failed');
    const b = job('b', 'chat', 3);
    s.submit(b);
    assert.equal(await b.done, 'finished');
    assert.ok(logger.records.some((r) => r.msg === 'decode step failed'));
  });
});
