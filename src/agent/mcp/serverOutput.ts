/**
 * A server's stderr as log lines: split on newlines, each line cut to a bounded length, a bounded
 * count per connection (a chatty or hostile server cannot fill the log), and the last few kept to
 * explain a crash.
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../../common/logger';

const MAX_LINE_CHARS = 2000;
const MAX_LOGGED_LINES = 2000;
const TAIL_LINES = 5;

export class ServerOutput {
  private partial = '';
  private logged = 0;
  private readonly tail: string[] = [];

  constructor(private readonly logger: Logger) {}

  /** Reads `stream` until it ends. */
  attach(stream: Readable): void {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.push(chunk));
    stream.on('end', () => this.flush());
    stream.on('error', () => undefined);
  }

  /** The last lines the server wrote, joined; '' when it wrote none. */
  lastLines(): string {
    return this.tail.join(' | ');
  }

  private push(chunk: string): void {
    const lines = `${this.partial}${chunk}`.split(/\r?\n/);
    this.partial = (lines.pop() ?? '').slice(0, MAX_LINE_CHARS);
    for (const line of lines) this.line(line);
  }

  private flush(): void {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
  }

  private line(raw: string): void {
    const line = raw.slice(0, MAX_LINE_CHARS).trimEnd();
    if (line === '') return;
    this.tail.push(line.slice(0, 300));
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    this.logged++;
    if (this.logged <= MAX_LOGGED_LINES) {
      this.logger.info(`stderr: ${line}`);
    } else if (this.logged === MAX_LOGGED_LINES + 1) {
      this.logger.warn(`stderr: more than ${MAX_LOGGED_LINES} lines; the rest is not logged`);
    }
  }
}
