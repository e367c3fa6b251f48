/**
 * Stops the service once no window has been connected for `idleMs`; an HTTP request still being
 * answered then puts it off by another `idleMs`.
 */
export class IdleShutdown {
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;

  /**
   * @param idleMs how long the service may go without a connected window; 0 never stops it.
   * @param busy whether something other than a window (an HTTP request) is being served now.
   * @param onIdle called once the time has passed with nothing served.
   */
  constructor(
    private readonly idleMs: number,
    private readonly busy: () => boolean,
    private readonly onIdle: (reason: string) => void,
  ) {}

  /** Starts the wait afresh when no window is connected; cancels it while one is. */
  arm(connectedWindows: number): void {
    this.cancel();
    if (!this.disposed && this.idleMs > 0 && connectedWindows === 0) {
      this.timer = setTimeout(() => this.expired(), this.idleMs);
    }
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The service is stopping: windows leaving now must not start the wait again. */
  dispose(): void {
    this.disposed = true;
    this.cancel();
  }

  private expired(): void {
    if (this.busy()) {
      this.arm(0);
    } else {
      this.timer = undefined;
      this.onIdle(`idle for ${this.idleMs} ms with no connected window`);
    }
  }
}
