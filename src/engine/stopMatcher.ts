/**
 * Finds stop sequences in streamed text even when a stop string is split across tokens. Text that
 * could still be the start of a stop sequence is held back, so the stop text is never emitted.
 */
export interface StopCheck {
  /** Text that is safe to emit now. */
  emit: string;
  /** A stop sequence was found; `emit` holds the text before it and nothing more may follow. */
  stopped: boolean;
}

export class StopSequenceMatcher {
  private readonly stops: string[];
  private held = '';
  private done = false;

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  push(text: string): StopCheck {
    if (this.done) {
      return { emit: '', stopped: true };
    }
    const buffer = this.held + text;
    if (this.stops.length === 0) {
      return { emit: buffer, stopped: false };
    }
    let first = -1;
    for (const stop of this.stops) {
      const at = buffer.indexOf(stop);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    }
    if (first >= 0) {
      this.done = true;
      this.held = '';
      return { emit: buffer.slice(0, first), stopped: true };
    }
    const keep = this.partialSuffixLength(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { emit: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** Releases held text at the end of generation (it did not turn into a stop sequence). */
  flush(): string {
    const rest = this.done ? '' : this.held;
    this.held = '';
    return rest;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of some stop sequence. */
  private partialSuffixLength(text: string): number {
    let best = 0;
    for (const stop of this.stops) {
      const max = Math.min(stop.length - 1, text.length);
      for (let k = max; k > best; k--) {
        if (text.endsWith(stop.slice(0, k))) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}
