import { abortError } from '../common/errors';

/**
 * Runs `work` on every item with at most `limit` running at once. The first failure aborts the
 * siblings (through the signal they get) and is rethrown once all have settled.
 */
export async function runPool<T, R>(items: readonly T[], limit: number, work: (item: T, signal: AbortSignal) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const ctl = new AbortController();
  const onAbort = (): void => ctl.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !ctl.signal.aborted) {
      const index = next++;
      try {
        results[index] = await work(items[index]!, ctl.signal);
      } catch (error) {
        failure ??= { error };
        ctl.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (failure) {
    throw signal?.aborted ? abortError() : failure.error;
  }
  if (signal?.aborted) {
    throw abortError();
  }
  return results;
}

/** Waits `ms`, or rejects with an AbortError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
