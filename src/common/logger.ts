/**
 * One logger interface for every layer. Records are structured so that the host can forward
 * them to a LogOutputChannel and the service can write them as JSON lines.
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

export interface LogRecord {
  time: string;
  level: LogLevel;
  msg: string;
  traceId?: string;
  spanId?: string;
  [field: string]: unknown;
}

export type LogFields = Record<string, unknown>;

export interface Logger {
  trace(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose records all carry `fields` (trace ids, component names). */
  child(fields: LogFields): Logger;
}

export type LogSink = (record: LogRecord) => void;

export function levelRank(level: LogLevel): number {
  return LOG_LEVELS.indexOf(level);
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** Errors are logged with name, message and stack; plain JSON would drop all three. */
export function serializeError(err: unknown): LogFields {
  if (err instanceof Error) {
    return { errorName: err.name, errorMessage: err.message, stack: err.stack };
  }
  return { errorMessage: String(err) };
}

export class SinkLogger implements Logger {
  constructor(
    private readonly sink: LogSink,
    private readonly minLevel: () => LogLevel,
    private readonly bound: LogFields = {},
  ) {}

  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    if (levelRank(level) < levelRank(this.minLevel())) {
      return;
    }
    const extra = fields && fields['error'] !== undefined ? { ...fields, ...serializeError(fields['error']), error: undefined } : fields;
    this.sink({ ...this.bound, ...extra, time: new Date().toISOString(), level, msg });
  }

  trace(msg: string, fields?: LogFields): void { this.write('trace', msg, fields); }
  debug(msg: string, fields?: LogFields): void { this.write('debug', msg, fields); }
  info(msg: string, fields?: LogFields): void { this.write('info', msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.write('warn', msg, fields); }
  error(msg: string, fields?: LogFields): void { this.write('error', msg, fields); }

  child(fields: LogFields): Logger {
    return new SinkLogger(this.sink, this.minLevel, { ...this.bound, ...fields });
  }
}

/** Writes JSON lines to stderr; used by the CLI and the service. */
export function createStderrLogger(level: LogLevel): Logger {
  return new SinkLogger((record) => process.stderr.write(`${JSON.stringify(record)}\n`), () => level);
}

/** Discards everything; for code paths that must not log (tests of pure stages). */
export const silentLogger: Logger = new SinkLogger(() => undefined, () => 'error');

/** Keeps records in memory; tests assert on what was logged. */
export class MemoryLogger extends SinkLogger {
  readonly records: LogRecord[];
  constructor(level: LogLevel = 'trace') {
    const records: LogRecord[] = [];
    super((record) => records.push(record), () => level);
    this.records = records;
  }
}
