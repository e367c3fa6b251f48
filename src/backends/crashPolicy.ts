/**
 * When to start the service again after it crashed: after a backoff that grows with the crashes
 * in a row, and not at all after `maxCrashes` of them with no successful request between, until
 * someone resets it (a "restart service" command).
 */
import { BackendError } from '../common/errors';

export class CrashPolicy {
  private crashes = 0;
  private givenUp: BackendError | undefined;

  /**
   * @param maxCrashes crashes in a row after which no new start is tried; default 3.
   * @param backoffMs wait before restart attempt n, in ms (the last value repeats); default [250, 1000, 4000].
   */
  constructor(
    private readonly maxCrashes = 3,
    private readonly backoffMs: readonly number[] = [250, 1000, 4000],
  ) {}

  /** Crashes since the last successful request. */
  get count(): number {
    return this.crashes;
  }

  /** The error every request fails with once the policy gave up; undefined while it tries. */
  get gaveUp(): BackendError | undefined {
    return this.givenUp;
  }

  /** How long to wait before the next start: 0 unless the last service crashed. */
  nextBackoffMs(): number {
    if (this.crashes === 0) return 0;
    return this.backoffMs[Math.min(this.crashes - 1, this.backoffMs.length - 1)] ?? 0;
  }

  /** Counts a crash; true when this one made the policy give up. */
  crashed(logFile: string | undefined): boolean {
    this.crashes++;
    if (this.crashes < this.maxCrashes) return false;
    this.givenUp = new BackendError(
      `The Open AutoGLM service stopped unexpectedly ${this.crashes} times in a row; it is not restarted again. See its log${logFile ? ` (${logFile})` : ''}, then restart it.`,
      'service-gave-up',
    );
    return true;
  }

  /** A request succeeded: the service works, earlier crashes no longer count. */
  succeeded(): void {
    this.crashes = 0;
  }

  /** Forgets the crashes and a give-up, so that the next request starts a service again. */
  reset(): void {
    this.crashes = 0;
    this.givenUp = undefined;
  }
}
