/**
 * The service's structured log: JSON lines in `<logDir>/service.log`, rotated by size
 * (service.log -> service.1.log -> ... ), and fanned out to the RPC clients that asked for it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { levelRank, SinkLogger, type Logger, type LogLevel, type LogRecord } from '../common/logger';

export interface LogFileOptions {
  dir: string;
  /** Bytes before the file is rotated; default 5 MiB. */
  maxBytes?: number;
  /** Rotated files kept besides the current one; default 3. */
  keep?: number;
}

export class RotatingLogFile {
  readonly file: string;
  private fd: number | undefined;
  private size = 0;
  private readonly maxBytes: number;
  private readonly keep: number;

  constructor(private readonly options: LogFileOptions) {
    fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.file = path.join(options.dir, 'service.log');
    this.maxBytes = options.maxBytes ?? 5 << 20;
    this.keep = options.keep ?? 3;
    this.open();
  }

  private open(): void {
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  write(record: LogRecord): void {
    if (this.fd === undefined) {
      return;
    }
    const line = `${JSON.stringify(record)}\n`;
    try {
      if (this.size + line.length > this.maxBytes && this.size > 0) {
        this.rotate();
      }
      fs.writeSync(this.fd, line);
      this.size += Buffer.byteLength(line);
    } catch {
      // A full disk must not take the service down; the records still reach connected clients.
    }
  }

  private rotate(): void {
    fs.closeSync(this.fd!);
    const name = (i: number): string => path.join(this.options.dir, `service.${i}.log`);
    fs.rmSync(name(this.keep), { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      if (fs.existsSync(name(i))) {
        fs.renameSync(name(i), name(i + 1));
      }
    }
    fs.renameSync(this.file, name(1));
    this.open();
  }

  close(): void {
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

export type LogListener = (record: LogRecord) => void;

/** The service's logger: file, optional stderr echo, and listeners with their own minimum level. */
export class ServiceLog {
  readonly logger: Logger;
  private readonly listeners = new Set<{ level: LogLevel; fn: LogListener }>();

  constructor(
    private readonly file: RotatingLogFile | undefined,
    private readonly level: LogLevel,
    private readonly echo?: (record: LogRecord) => void,
  ) {
    this.logger = new SinkLogger((r) => this.dispatch(r), () => this.minLevel());
  }

  get path(): string {
    return this.file?.file ?? '';
  }

  private minLevel(): LogLevel {
    let min = this.level;
    for (const l of this.listeners) {
      if (levelRank(l.level) < levelRank(min)) {
        min = l.level;
      }
    }
    return min;
  }

  private dispatch(record: LogRecord): void {
    const rank = levelRank(record.level);
    if (rank >= levelRank(this.level)) {
      this.file?.write(record);
      this.echo?.(record);
    }
    for (const l of this.listeners) {
      if (rank >= levelRank(l.level)) {
        l.fn(record);
      }
    }
  }

  listen(level: LogLevel, fn: LogListener): () => void {
    const entry = { level, fn };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  close(): void {
    this.file?.close();
  }
}
