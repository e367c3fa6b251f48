/** What a download reports while it runs. */
export interface DownloadProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Over the last few seconds; 0 before the first bytes arrive. */
  readonly bytesPerSecond: number;
  /** Undefined while the rate is unknown. */
  readonly secondsLeft: number | undefined;
  /** Files being fetched now (repository paths). */
  readonly currentFiles: readonly string[];
  readonly filesDone: number;
  readonly filesTotal: number;
}

const WINDOW_MS = 3000;
const REPORT_EVERY_MS = 200;

/** Counts bytes and files, keeps a sliding-window rate, and calls back at most every 200 ms. */
export class ProgressMeter {
  private bytesDone = 0;
  private filesDone = 0;
  private readonly current = new Set<string>();
  private readonly samples: { at: number; bytes: number }[] = [];
  private lastReport = 0;

  constructor(
    private readonly bytesTotal: number,
    private readonly filesTotal: number,
    private readonly report: ((p: DownloadProgress) => void) | undefined,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Bytes already on disk (a resumed part, a reused file): counted as done, not in the rate. */
  present(bytes: number): void {
    this.bytesDone += bytes;
  }

  received(bytes: number): void {
    this.bytesDone += bytes;
    const at = this.now();
    this.samples.push({ at, bytes });
    while (this.samples.length > 1 && at - this.samples[0]!.at > WINDOW_MS) {
      this.samples.shift();
    }
    this.emit(false);
  }

  /** A restarted file gives back what it had counted. */
  discarded(bytes: number): void {
    this.bytesDone -= bytes;
  }

  started(file: string): void {
    this.current.add(file);
    this.emit(true);
  }

  finished(file: string): void {
    this.current.delete(file);
    this.filesDone++;
    this.emit(true);
  }

  snapshot(): DownloadProgress {
    const first = this.samples[0];
    const span = first ? (this.now() - first.at) / 1000 : 0;
    // The first sample's bytes arrived before the window opened; counting them would overstate the rate.
    const bytes = this.samples.slice(1).reduce((sum, s) => sum + s.bytes, 0);
    const rate = span > 0.05 ? bytes / span : 0;
    const left = Math.max(0, this.bytesTotal - this.bytesDone);
    return {
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      bytesPerSecond: rate,
      secondsLeft: rate > 0 ? left / rate : left === 0 ? 0 : undefined,
      currentFiles: [...this.current],
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
    };
  }

  private emit(force: boolean): void {
    const at = this.now();
    if (this.report && (force || at - this.lastReport >= REPORT_EVERY_MS)) {
      this.lastReport = at;
      this.report(this.snapshot());
    }
  }
}
