import { abortError } from '../common/errors';
import { type Anchor, typedSince } from './typedAhead';
import { type CompletionSnapshot } from './types';

interface Running {
  /** Where its suggestion starts; undefined when it cannot be followed (an IntelliSense item was selected). */
  readonly anchor: Anchor | undefined;
  readonly controller: AbortController;
  /** Text the model has produced so far, `\n` line breaks. */
  produced: string;
  settled: boolean;
  /** Called after each delta and once when it settles. */
  readonly listeners: Set<() => void>;
}

/**
 * The generation running for an earlier keystroke. It is not stopped when that keystroke's request
 * ends (the editor cancels a request at every keystroke): while the user types characters it is
 * producing, the next requests wait for it instead of starting their own generation. It is stopped
 * as soon as a request arrives that it cannot serve (the cursor moved, the text around it changed,
 * or what it produced disagrees with what was typed), and when the next generation starts.
 */
export class InFlightGeneration {
  private running: Running | undefined;

  /** `onStopped`: called for each generation stopped before it finished because nothing could use it any more. */
  constructor(private readonly onStopped: () => void = () => undefined) {}

  /** True while a generation runs. */
  get busy(): boolean {
    return this.running !== undefined && !this.running.settled;
  }

  /** Runs `work` as the generation in flight, stopping the previous one. */
  start<T>(anchor: Anchor | undefined, work: (signal: AbortSignal, onText: (delta: string) => void) => Promise<T>): Promise<T> {
    this.stop();
    const running: Running = { anchor, controller: new AbortController(), produced: '', settled: false, listeners: new Set() };
    this.running = running;
    const notify = (): void => {
      for (const listener of [...running.listeners]) {
        listener();
      }
    };
    const result = work(running.controller.signal, (delta) => {
      running.produced += delta.replace(/\r\n/g, '\n');
      notify();
    });
    const settle = (): void => {
      running.settled = true;
      if (this.running === running) {
        this.running = undefined;
      }
      notify();
    };
    result.then(settle, settle);
    return result;
  }

  /** Stops the generation in flight, if any. */
  stop(): void {
    const running = this.running;
    this.running = undefined;
    if (running !== undefined && !running.settled) {
      this.onStopped();
      running.controller.abort();
    }
  }

  /**
   * Waits for the generation in flight when `snapshot` continues it: only text typed at its anchor,
   * text that agrees with what it has produced. 'settled': it has finished and its result is where
   * finished results go (typed-ahead memory, cache). 'none': there is nothing to wait for; a
   * generation that cannot serve `snapshot` has been stopped. Rejects with an abort error when
   * `signal` aborts first, and the generation keeps running for the next keystroke.
   */
  follow(snapshot: CompletionSnapshot, signal: AbortSignal): Promise<'settled' | 'none'> {
    const running = this.running;
    if (running === undefined || running.settled) {
      return Promise.resolve('none');
    }
    const typed = running.anchor === undefined ? undefined : typedSince(running.anchor, snapshot)?.replace(/\r\n/g, '\n');
    const agrees = (): boolean => typed !== undefined && (running.produced.startsWith(typed) || typed.startsWith(running.produced));
    if (!agrees()) {
      this.stop();
      return Promise.resolve('none');
    }
    return new Promise((resolve, reject) => {
      const done = (): void => {
        running.listeners.delete(check);
        signal.removeEventListener('abort', onAbort);
      };
      const check = (): void => {
        if (running.settled) {
          done();
          resolve('settled');
        } else if (!agrees()) {
          done();
          if (this.running === running) {
            this.stop();
          }
          resolve('none');
        }
      };
      const onAbort = (): void => {
        done();
        reject(abortError());
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      running.listeners.add(check);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** `promise`, or an abort error as soon as `signal` aborts (the work behind `promise` is not stopped). */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    return Promise.reject(abortError());
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
