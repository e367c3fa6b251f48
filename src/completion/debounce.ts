import { type DebounceSetting } from './types';

export interface AdaptiveDebounceOptions {
  /** Wait before the first latency is measured, in ms. Default: 100. */
  initialMs?: number;
  /** Lower bound of the adaptive wait, in ms. Default: 50. */
  minMs?: number;
  /** Upper bound of the adaptive wait, in ms. Default: 300. */
  maxMs?: number;
  /** Weight of the newest latency in the moving average, 0..1. Default: 0.3. */
  smoothing?: number;
}

/**
 * How long to wait after a keystroke before generating. Adaptive mode follows the measured
 * generation latency: starting a generation pays off only when the user pauses about as long as
 * one takes, so a fast engine gets a short wait and a slow one is not flooded with requests
 * the next keystroke would cancel. A number in the setting is used as it is.
 */
export class AdaptiveDebounce {
  private averageMs: number | undefined;
  private readonly initialMs: number;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly smoothing: number;

  constructor(
    private setting: DebounceSetting,
    options: AdaptiveDebounceOptions = {},
  ) {
    this.initialMs = options.initialMs ?? 100;
    this.minMs = options.minMs ?? 50;
    this.maxMs = options.maxMs ?? 300;
    this.smoothing = options.smoothing ?? 0.3;
  }

  setSetting(setting: DebounceSetting): void {
    this.setting = setting;
  }

  /** The wait for the next request, in ms. */
  get delayMs(): number {
    if (this.setting !== 'adaptive') {
      return Math.max(0, this.setting);
    }
    if (this.averageMs === undefined) {
      return this.initialMs;
    }
    return Math.round(Math.min(this.maxMs, Math.max(this.minMs, this.averageMs)));
  }

  /**
   * Records how long an aborted generation had run, in ms: the real latency was at least that.
   * Counting only the generations that finish would learn from the fast ones alone.
   */
  recordLowerBound(ms: number): void {
    if (ms > (this.averageMs ?? this.initialMs)) {
      this.recordLatency(ms);
    }
  }

  /** Records how long a finished generation took, in ms. */
  recordLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      return;
    }
    this.averageMs = this.averageMs === undefined ? ms : this.averageMs + this.smoothing * (ms - this.averageMs);
  }
}
