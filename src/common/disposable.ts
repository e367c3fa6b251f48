/** Anything that holds a resource until it is disposed; VS Code's Disposable fits this shape. */
export interface IDisposable {
  dispose(): void;
}

/**
 * Base of every long-lived object that owns resources: what it registers is disposed with it, in
 * reverse order, exactly once. Something registered after disposal is disposed at once, so a late
 * async result cannot leak.
 */
export abstract class Disposable implements IDisposable {
  private readonly owned: IDisposable[] = [];
  private disposed = false;

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  protected register<T extends IDisposable>(d: T): T {
    if (this.disposed) {
      d.dispose();
    } else {
      this.owned.push(d);
    }
    return d;
  }

  dispose(): void {
    if (this.disposed) {
      return;
    }
    this.disposed = true;
    disposeAll(this.owned.splice(0).reverse());
  }
}

/** Disposes each item even when an earlier one throws; the failures are thrown together. */
export function disposeAll(items: Iterable<IDisposable>): void {
  const errors: unknown[] = [];
  for (const item of items) {
    try {
      item.dispose();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) {
    throw new AggregateError(errors, 'Some resources failed to dispose');
  }
}

export function toDisposable(fn: () => void): IDisposable {
  let done = false;
  return {
    dispose: () => {
      if (!done) {
        done = true;
        fn();
      }
    },
  };
}
