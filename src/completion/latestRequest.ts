/**
 * Keeps one request in flight: starting a new one aborts the previous one, because a completion
 * for text the user has already changed will never be shown.
 */
export class LatestRequest {
  private current: AbortController | undefined;

  /** A signal that aborts when `outer` aborts or when the next request begins. */
  begin(outer: AbortSignal): { signal: AbortSignal; end(): void } {
    this.current?.abort();
    const controller = new AbortController();
    this.current = controller;
    const onAbort = (): void => controller.abort();
    if (outer.aborted) {
      controller.abort();
    } else {
      outer.addEventListener('abort', onAbort, { once: true });
    }
    return {
      signal: controller.signal,
      end: () => {
        outer.removeEventListener('abort', onAbort);
        if (this.current === controller) {
          this.current = undefined;
        }
      },
    };
  }

  /** Aborts whatever is in flight (the user turned completions off, the document closed). */
  cancel(): void {
    this.current?.abort();
    this.current = undefined;
  }
}
