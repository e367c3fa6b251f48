/**
 * Runs one shell command for the agent: output captured (stdout and stderr in arrival order,
 * within a size) and streamed, a time limit, and cancellation. Either ends the whole process
 * tree, not just the shell: the command runs in its own process group, which is killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { HeadTailBuffer } from './outputCap';

export interface ShellCommandOptions {
  readonly command: string;
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly maxOutputChars: number;
  readonly onOutput?: (text: string) => void;
}

export type CommandEnd = 'exited' | 'timed-out' | 'cancelled' | 'failed-to-start';

export interface CommandOutcome {
  readonly end: CommandEnd;
  /** The exit code when the command exited by itself; null when a signal ended it. */
  readonly exitCode: number | null;
  readonly exitSignal: string | null;
  /** The output within `maxOutputChars` (start and end kept). */
  readonly output: string;
  /** Characters of output received, kept or not. */
  readonly receivedChars: number;
  /** Why it could not start, for `failed-to-start`. */
  readonly error?: string;
}

const isWindows = process.platform === 'win32';

function killTree(child: ChildProcess): void {
  if (child.pid === undefined) {
    return;
  }
  try {
    if (isWindows) {
      spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { stdio: 'ignore', windowsHide: true });
    } else {
      // The negative pid names the process group `detached` gave the shell; it may outlive the
      // shell (a command left running in the background).
      process.kill(-child.pid, 'SIGKILL');
    }
  } catch {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
    }
  }
}

type Exit = { readonly code: number | null; readonly sig: string | null };

/** One run: the child, how it ended, and the single resolution of its outcome. */
class CommandRun {
  private end: CommandEnd = 'exited';
  private exit: Exit | undefined;
  private settled = false;
  private readonly output: HeadTailBuffer;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort = (): void => this.stop('cancelled');

  constructor(
    private readonly child: ChildProcess,
    private readonly options: ShellCommandOptions,
    private readonly resolve: (outcome: CommandOutcome) => void,
  ) {
    this.output = new HeadTailBuffer(options.maxOutputChars);
    child.stdout?.on('data', this.receiver());
    child.stderr?.on('data', this.receiver());
    this.timer = setTimeout(() => this.stop('timed-out'), options.timeoutMs);
    options.signal.addEventListener('abort', this.onAbort, { once: true });
    child.on('error', (err) => this.finish({ code: null, sig: null }, 'failed-to-start', err.message));
    child.on('close', (code, sig) => this.finish({ code, sig }, this.end));
    child.on('exit', (code, sig) => {
      this.exit = { code, sig };
      if (this.end !== 'exited') {
        this.abandonPipes(this.exit);
      }
    });
  }

  private receiver(): (chunk: Buffer) => void {
    const decoder = new StringDecoder('utf8');
    return (chunk) => {
      const text = decoder.write(chunk);
      if (text.length > 0) {
        this.output.append(text);
        this.options.onOutput?.(text);
      }
    };
  }

  private stop(why: CommandEnd): void {
    if (this.end === 'exited') {
      this.end = why;
    }
    killTree(this.child);
    if (this.exit) {
      this.abandonPipes(this.exit);
    }
  }

  /**
   * 'close' waits for the output pipes as well as the exit; once the command was stopped, a
   * process that left its group may still hold them, so its exit is enough.
   */
  private abandonPipes(exit: Exit): void {
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    this.finish(exit, this.end);
  }

  private finish(exit: Exit, end: CommandEnd, error?: string): void {
    if (this.settled) {
      return;
    }
    this.settled = true;
    clearTimeout(this.timer);
    this.options.signal.removeEventListener('abort', this.onAbort);
    this.resolve({
      end,
      exitCode: exit.code,
      exitSignal: exit.sig,
      output: this.output.toString(),
      receivedChars: this.output.received,
      ...(error !== undefined ? { error } : {}),
    });
  }
}

export function runShellCommand(options: ShellCommandOptions): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    if (options.signal.aborted) {
      resolve({ end: 'cancelled', exitCode: null, exitSignal: null, output: '', receivedChars: 0 });
      return;
    }
    const child = spawn(options.command, {
      cwd: options.cwd,
      shell: true,
      // Its own process group, so that stopping it can end every process it started.
      detached: !isWindows,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    new CommandRun(child, options, resolve);
  });
}
