/**
 * Runs chat template renders in one worker thread with a time limit and a heap limit, and waits
 * for them synchronously (Atomics.wait), so that `Engine.renderChat` stays a plain call. A render
 * past its limits stops the worker; the next render starts a fresh one.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { AutoGlmError } from '../common/errors';
import type { RenderJob, RenderReply, WorkerData } from './chatTemplateProtocol';

export interface SandboxLimits {
  /** Longest a render may run (ms). */
  timeMs: number;
  /** Heap of the render worker (MB). */
  heapMb: number;
  /** Longest wait for a new worker to start, not counted in `timeMs` (ms). */
  startMs: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { timeMs: 2000, heapMb: 256, startMs: 15_000 };

export type SandboxResult =
  | { kind: 'ok'; text: string }
  | { kind: 'too-long'; chars: number }
  | { kind: 'error'; message: string }
  | { kind: 'over-limit' };

interface Running {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
}

/**
 * The worker script: built next to the bundle (dist/chatTemplateWorker.js), or its TypeScript
 * source beside this file when the code runs from source (tests, the CLI under tsx).
 */
function startWorker(data: Omit<WorkerData, 'port'> & { port: MessagePort }, heapMb: number): Worker {
  const options = { workerData: data, transferList: [data.port], resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.min(32, heapMb), stackSizeMb: 4 } };
  const built = path.join(__dirname, 'chatTemplateWorker.js');
  if (existsSync(built)) {
    return new Worker(built, options);
  }
  const source = path.join(__dirname, 'chatTemplateWorker.ts');
  if (!existsSync(source)) {
    throw new AutoGlmError(`The chat template worker is missing: neither ${built} nor ${source} exists`, 'chat-template-worker');
  }
  const loader = `require(require.resolve('tsx/cjs', { paths: [${JSON.stringify(__dirname)}] })); require(${JSON.stringify(source)});`;
  return new Worker(loader, { ...options, eval: true });
}

export class TemplateSandbox {
  private running: Running | undefined;
  private nextId = 1;

  constructor(readonly limits: SandboxLimits = DEFAULT_LIMITS) {}

  render(source: string, context: Record<string, unknown>, maxChars: number): SandboxResult {
    const running = this.ready();
    if (!running) {
      return { kind: 'over-limit' };
    }
    const job: RenderJob = { id: this.nextId++, source, context, maxChars };
    running.port.postMessage(job);
    const reply = this.wait(running, job.id);
    if (!reply) {
      this.stop();
      return { kind: 'over-limit' };
    }
    return reply.kind === 'ok' ? { kind: 'ok', text: reply.text } : reply;
  }

  /** Stops the worker; a later render starts a new one. */
  stop(): void {
    const running = this.running;
    this.running = undefined;
    if (running) {
      running.port.close();
      void running.worker.terminate();
    }
  }

  private ready(): Running | undefined {
    if (this.running) {
      return this.running;
    }
    const signal = new Int32Array(new SharedArrayBuffer(8));
    const { port1, port2 } = new MessageChannel();
    const worker = startWorker({ port: port2, signal }, this.limits.heapMb);
    // An idle render worker must not keep the process alive.
    worker.unref();
    const running: Running = { worker, port: port1, signal };
    // A worker that ran out of heap exits; the next render starts a new one.
    worker.on('error', () => undefined);
    worker.on('exit', () => {
      if (this.running === running) {
        this.running = undefined;
      }
    });
    this.running = running;
    if (Atomics.wait(signal, 1, 0, this.limits.startMs) === 'timed-out') {
      this.stop();
      return undefined;
    }
    return this.running;
  }

  private wait(running: Running, id: number): RenderReply | undefined {
    const deadline = performance.now() + this.limits.timeMs;
    for (;;) {
      const got = receiveMessageOnPort(running.port)?.message as RenderReply | undefined;
      if (got?.id === id) {
        return got;
      }
      // The worker posts before it raises the flag: a raised flag means the reply is there to read.
      const posted = Atomics.load(running.signal, 0);
      if (got !== undefined || posted >= id) {
        continue;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        return undefined;
      }
      Atomics.wait(running.signal, 0, posted, left);
    }
  }
}
