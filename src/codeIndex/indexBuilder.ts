/**
 * Builds the workspace index in the background and keeps it current: restores the saved index,
 * walks the folder, cuts only the files whose size or modification time changed, drops the ones
 * gone, and saves. The work runs in short slices on the caller's event loop, yielding between
 * them, so that a keystroke waits at most one slice (one file's cut) and never a whole build.
 * Changes on disk arrive one path at a time and are applied after a short quiet period.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../common/logger';
import { admits, walkFiles, type WalkOptions, type WalkSummary } from './fileWalker';
import { loadIndex, saveIndex, isInsidePath } from './indexStore';
import type { FileOutline, SourceFile } from './types';
import type { WorkspaceIndex } from './workspaceIndex';

export interface Outliner {
  /** Names how this outliner cuts files (grammar set and chunker version): a saved index cut otherwise is rebuilt. */
  readonly id: string;
  outline(file: SourceFile): FileOutline | Promise<FileOutline>;
}

export type BuildPhase = 'restoring' | 'indexing' | 'ready';

export interface BuildProgress {
  phase: BuildPhase;
  /** Files looked at so far in this build. */
  done: number;
  /** Files cut again (new or changed) so far. */
  cut: number;
}

export interface BuildReport {
  files: number;
  cut: number;
  removed: number;
  restored: number;
  walk: WalkSummary;
  ms: number;
}

export interface BuilderOptions {
  /** The workspace folder, absolute. */
  root: string;
  walk: Omit<WalkOptions, 'signal' | 'accept'>;
  /** The language of a relative path, or undefined when the index does not take such files. */
  languageOf(relPath: string): string | undefined;
  /** Where the index is saved; none: not saved. */
  storeFile?: string;
  /** Longest run of work between two yields to the event loop, in ms. Default: 8. */
  sliceMs?: number;
  /** Quiet time after a change on disk before it is applied, in ms. Default: 300. */
  changeDelayMs?: number;
  onProgress?(progress: BuildProgress): void;
  logger?: Logger;
}

/** Files whose first 8 KB hold a NUL byte are not text. */
const BINARY_PROBE = 8192;

export class IndexBuilder {
  private readonly sliceMs: number;
  private sliceStart = performance.now();
  private readonly changed = new Set<string>();
  private changeTimer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly index: WorkspaceIndex,
    private readonly outliner: Outliner,
    private readonly options: BuilderOptions,
  ) {
    this.sliceMs = options.sliceMs ?? 8;
  }

  /** A full pass: restore what was saved, then bring every file up to date. */
  build(signal?: AbortSignal, onProgress?: (progress: BuildProgress) => void): Promise<BuildReport> {
    const run = this.running.then(() => this.fullPass(signal, onProgress ?? this.options.onProgress));
    this.running = run.catch(() => undefined);
    return run;
  }

  /** A file was created, changed or deleted on disk (relative path). */
  fileChanged(relPath: string): void {
    if (!isInsidePath(relPath) || this.disposed) return;
    this.changed.add(relPath);
    clearTimeout(this.changeTimer);
    this.changeTimer = setTimeout(() => void this.applyChanges(), this.options.changeDelayMs ?? 300);
  }

  /** Resolves when the changes reported so far have been applied (tests, benchmarks). */
  async settled(): Promise<void> {
    if (this.changeTimer !== undefined && this.changed.size > 0) {
      clearTimeout(this.changeTimer);
      await this.applyChanges();
    }
    await this.running;
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.changeTimer);
  }

  private async fullPass(signal: AbortSignal | undefined, onProgress: ((progress: BuildProgress) => void) | undefined): Promise<BuildReport> {
    const started = performance.now();
    this.index.setBuilding(true);
    try {
      const restored = await this.restore(signal, onProgress);
      const walk: WalkSummary = { files: 0, skippedLarge: 0 };
      const seen = new Set<string>();
      let cut = 0;
      for await (const file of walkFiles(this.options.root, { ...this.options.walk, accept: (p) => this.options.languageOf(p) !== undefined, ...(signal ? { signal } : {}) }, walk)) {
        seen.add(file.path);
        if (!this.index.isCurrent(file.path, file)) {
          if (await this.indexFile(file.path, file.absolute, file)) cut++;
        }
        onProgress?.({ phase: 'indexing', done: seen.size, cut });
        await this.yieldIfDue();
      }
      const removed = signal?.aborted ? 0 : this.removeUnseen(seen);
      if (!signal?.aborted && (cut > 0 || removed > 0 || restored === 0)) await this.save();
      onProgress?.({ phase: 'ready', done: seen.size, cut });
      return { files: this.index.paths().length, cut, removed, restored, walk, ms: performance.now() - started };
    } finally {
      this.index.setBuilding(false);
    }
  }

  private async restore(signal: AbortSignal | undefined, onProgress: ((progress: BuildProgress) => void) | undefined): Promise<number> {
    if (!this.options.storeFile || this.index.paths().length > 0) return 0;
    const { saved, reason } = await loadIndex(this.options.storeFile, { outliner: this.outliner.id, root: this.options.root });
    if (!saved) {
      this.options.logger?.debug('workspace index: not restored', { reason, file: this.options.storeFile });
      return 0;
    }
    let n = 0;
    for (const file of saved.files) {
      if (signal?.aborted) break;
      if (await this.index.putInSlices(file, () => this.yieldIfDue())) n++;
      if (n % 50 === 0) onProgress?.({ phase: 'restoring', done: n, cut: 0 });
    }
    return n;
  }

  /** Reads, cuts and puts one file; false when it is not text or could not be read. */
  private async indexFile(relPath: string, absolute: string, stamp: { size: number; mtimeMs: number }): Promise<boolean> {
    const languageId = this.options.languageOf(relPath);
    if (languageId === undefined) return false;
    let text: string;
    try {
      const bytes = await fs.readFile(absolute);
      if (bytes.subarray(0, BINARY_PROBE).includes(0)) return false;
      text = bytes.toString('utf8');
    } catch {
      return false;
    }
    try {
      const outline = await this.outliner.outline({ path: relPath, languageId, text });
      return await this.index.putInSlices({ path: relPath, size: stamp.size, mtimeMs: stamp.mtimeMs, outline }, () => this.yieldIfDue());
    } catch (err) {
      this.options.logger?.warn('workspace index: a file could not be cut', { path: relPath, error: err });
      return false;
    }
  }

  private removeUnseen(seen: ReadonlySet<string>): number {
    let removed = 0;
    for (const p of this.index.paths()) {
      if (!seen.has(p)) {
        this.index.remove(p);
        removed++;
      }
    }
    return removed;
  }

  private async applyChanges(): Promise<void> {
    this.changeTimer = undefined;
    const paths = [...this.changed];
    this.changed.clear();
    const run = this.running.then(async () => {
      for (const rel of paths) {
        if (this.disposed) return;
        await this.applyChange(rel);
        await this.yieldIfDue();
      }
      await this.save();
    });
    this.running = run.catch((err: unknown) => this.options.logger?.warn('workspace index: applying changes failed', { error: err }));
    await this.running;
  }

  private async applyChange(rel: string): Promise<void> {
    const absolute = path.join(this.options.root, rel);
    const stat = await fs.lstat(absolute).catch(() => undefined);
    const maxBytes = this.options.walk.maxFileBytes ?? 1_000_000;
    if (!stat) {
      // A deleted folder is one event: everything under it goes.
      for (const p of this.index.paths()) if (p === rel || p.startsWith(`${rel}/`)) this.index.remove(p);
      return;
    }
    if (!stat.isFile() || stat.size > maxBytes || this.options.languageOf(rel) === undefined || !(await admits(this.options.root, rel, this.options.walk))) {
      this.index.remove(rel);
      return;
    }
    if (!this.index.isCurrent(rel, stat)) await this.indexFile(rel, absolute, stat);
  }

  private async save(): Promise<void> {
    if (!this.options.storeFile || this.disposed) return;
    const files = this.index.paths().map((p) => this.index.file(p)!);
    try {
      await saveIndex(this.options.storeFile, { outliner: this.outliner.id, root: this.options.root, files });
    } catch (err) {
      this.options.logger?.warn('workspace index: saving failed', { file: this.options.storeFile, error: err });
    }
  }

  private async yieldIfDue(): Promise<void> {
    if (performance.now() - this.sliceStart < this.sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }
}
