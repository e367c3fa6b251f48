/**
 * The outliner the extension's index uses: `SyntaxOutliner` in a worker thread with its own heap
 * limit, so that parsing never holds up the editor's thread and a file that makes the parser
 * misbehave costs only that file. A job that runs past its time limit, or a worker that dies,
 * ends the worker (the next job starts a fresh one) and the file is cut into line windows.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DEFAULT_CHUNK_LINES, lineChunks } from './chunker';
import type { Outliner } from './indexBuilder';
import type { OutlineJob, OutlineReply, OutlineWorkerData } from './outlineProtocol';
import { SyntaxLoadError, type SyntaxAssets, type SyntaxOptions } from './syntax';
import type { FileOutline, LineCutReason, SourceFile } from './types';

export interface WorkerOutlinerOptions {
  /** Passed to the worker's `SyntaxOutliner`; a parse may take longer there (default 2,000 ms), off the editor's thread. */
  syntax?: SyntaxOptions;
  /** Heap limit of the worker, in MB. Default: 512. */
  heapMb?: number;
  /** Longest wait for one file, in ms. Default: 20,000. */
  jobTimeoutMs?: number;
}

interface Pending {
  file: SourceFile;
  resolve(outline: FileOutline): void;
  timer: NodeJS.Timeout;
}

interface Running {
  worker: Worker;
  ready: Promise<void>;
}

const BACKGROUND_PARSE_MS = 2_000;

export class WorkerOutliner implements Outliner {
  private running: Running | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  /** What the worker said of grammars that did not load (their files are cut by lines). */
  grammarProblems: readonly string[] = [];

  constructor(
    private readonly assets: SyntaxAssets,
    readonly id: string,
    private readonly options: WorkerOutlinerOptions = {},
  ) {}

  /** Starts the worker and waits until its grammars are loaded; rejects with `SyntaxLoadError` when the runtime cannot load. */
  async start(): Promise<void> {
    await this.ensure().ready;
  }

  async outline(file: SourceFile): Promise<FileOutline> {
    if (this.disposed) return this.byLines(file, 'grammar-unavailable');
    const running = this.ensure();
    await running.ready;
    return new Promise<FileOutline>((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => this.abandon(running, 'timeout'), this.options.jobTimeoutMs ?? 20_000);
      this.pending.set(id, { file, resolve, timer });
      // Held while it has work, so that a process waiting on an outline does not exit under it.
      running.worker.ref();
      running.worker.postMessage({ id, file } satisfies OutlineJob);
    });
  }

  dispose(): void {
    this.disposed = true;
    if (this.running) this.abandon(this.running, 'grammar-unavailable');
  }

  private ensure(): Running {
    if (this.running) return this.running;
    const worker = startWorker({ assets: this.assets, options: { parseTimeoutMs: BACKGROUND_PARSE_MS, ...this.options.syntax } }, this.options.heapMb ?? 512);
    let markReady: () => void = () => undefined;
    let fail: (err: Error) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      fail = reject;
    });
    const running: Running = { worker, ready };
    ready.catch(() => undefined);
    worker.on('message', (reply: OutlineReply) => {
      if (reply.kind === 'ready') {
        this.grammarProblems = reply.grammarProblems;
        this.idle(running);
        markReady();
      } else if (reply.kind === 'failed') {
        fail(new SyntaxLoadError(this.assets.runtimeWasm, reply.message));
        this.abandon(running, 'grammar-unavailable');
      } else {
        this.settle(reply.id, reply.outline);
      }
    });
    const died = (reason: string): void => {
      fail(new SyntaxLoadError(this.assets.runtimeWasm, `the outline worker stopped: ${reason}`));
      this.abandon(running, 'parse-failed');
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => died(`exit code ${code}`));
    this.running = running;
    return running;
  }

  private settle(id: number, outline: FileOutline): void {
    const job = this.pending.get(id);
    if (!job) return;
    clearTimeout(job.timer);
    this.pending.delete(id);
    if (this.running) this.idle(this.running);
    job.resolve(outline);
  }

  /** An idle worker does not keep the process alive. */
  private idle(running: Running): void {
    if (this.pending.size === 0) running.worker.unref();
  }

  /** Ends a worker; its jobs still waiting get line windows. */
  private abandon(running: Running, reason: LineCutReason): void {
    if (this.running !== running) return;
    this.running = undefined;
    void running.worker.terminate();
    for (const [id, job] of this.pending) this.settle(id, this.byLines(job.file, reason));
  }

  private byLines(file: SourceFile, reason: LineCutReason): FileOutline {
    return { chunks: lineChunks(file, this.options.syntax?.chunkLines ?? DEFAULT_CHUNK_LINES), definitions: [], cutBy: 'lines', reason };
  }
}

/**
 * The worker script: built next to the bundle (dist/outlineWorker.js), or its TypeScript source
 * beside this file when the code runs from source (tests, benchmarks under tsx).
 */
function startWorker(data: OutlineWorkerData, heapMb: number): Worker {
  const options = { workerData: data, resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: Math.min(64, heapMb), stackSizeMb: 8 } };
  const built = path.join(__dirname, 'outlineWorker.js');
  if (existsSync(built)) return new Worker(built, options);
  const source = path.join(__dirname, 'outlineWorker.ts');
  if (!existsSync(source)) throw new SyntaxLoadError(built, 'the outline worker is missing');
  const loader = `require(require.resolve('tsx/cjs', { paths: [${JSON.stringify(__dirname)}] })); require(${JSON.stringify(source)});`;
  return new Worker(loader, { ...options, eval: true });
}
