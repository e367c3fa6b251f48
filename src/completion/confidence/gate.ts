import { BIN_COUNT, binIndex, calibrationCurve, emptyBins, isBin, thresholdFor, type Calibration, type CalibrationBin } from './calibration';
import type { ConfidenceMeasure } from './score';

/** How eager inline completion is: how sure the model must be before a suggestion is shown. */
export type Eagerness = 'fewer' | 'balanced' | 'more';

export const EAGERNESS_LEVELS: readonly Eagerness[] = ['fewer', 'balanced', 'more'];

/**
 * The share of the suggestions the user would take (right in the replay, accepted on the user's
 * machine) that each level still shows; every suggestion less sure than those is held back.
 * `balanced` gives up a few of the right ones to hold back as many wrong ones as it can.
 */
export const TARGET_RECALL: Readonly<Record<Eagerness, number>> = { fewer: 0.5, balanced: 0.75, more: 0.95 };

/** Weight of the calibration against what this user accepted: it counts as this many suggestions. */
export const PRIOR_WEIGHT = 200;
/** Weight of the prior of a model without a calibration: a few dozen of the user's answers outweigh it. */
export const UNCALIBRATED_WEIGHT = 20;

/** Local counts are halved when they pass this, so that old habits fade and the state stays small. */
const LOCAL_LIMIT = 2_000;

/** What the gate learned on this machine: accepted and rejected suggestions by confidence. */
export interface GateState {
  bins: CalibrationBin[];
}

/**
 * Without a calibration the prior says what a calibrated model would: a suggestion of confidence
 * c is right with probability c, confidences spread evenly (so `balanced` holds back what is less
 * than 0.5 sure). This user's answers soon outweigh it.
 */
function uniformPrior(): CalibrationBin[] {
  return emptyBins().map((b) => ({ lo: b.lo, shown: 1, right: b.lo + 0.5 / BIN_COUNT }));
}

function scaled(bins: readonly CalibrationBin[], weight: number): CalibrationBin[] {
  const total = bins.reduce((n, b) => n + b.shown, 0);
  const k = total === 0 ? 0 : weight / total;
  return bins.map((b) => ({ lo: b.lo, shown: b.shown * k, right: b.right * k }));
}

/**
 * The confidence gate: a suggestion below the threshold for the user's eagerness is not shown.
 * The threshold comes from the model's calibration (a replay on code it never saw) and moves
 * with what this user accepts and rejects; nothing of that leaves the machine.
 */
export class ConfidenceGate {
  private readonly prior: CalibrationBin[];
  private local: CalibrationBin[];
  readonly measure: ConfidenceMeasure;

  constructor(calibration: Calibration | undefined, state?: GateState) {
    this.prior = calibration === undefined ? scaled(uniformPrior(), UNCALIBRATED_WEIGHT) : scaled(calibration.bins, PRIOR_WEIGHT);
    this.measure = calibration?.measure ?? 'mean';
    this.local = state !== undefined && state.bins.length === BIN_COUNT ? state.bins.map((b) => ({ ...b })) : emptyBins();
  }

  /** The lowest confidence shown at `eagerness`. */
  threshold(eagerness: Eagerness): number {
    const bins = this.prior.map((b, i) => ({ lo: b.lo, shown: b.shown + this.local[i]!.shown, right: b.right + this.local[i]!.right }));
    return thresholdFor(calibrationCurve(bins), TARGET_RECALL[eagerness]);
  }

  /** A suggestion of `confidence` was accepted (fully or in part) or rejected. */
  record(confidence: number, accepted: boolean): void {
    const bin = this.local[binIndex(confidence)]!;
    bin.shown++;
    if (accepted) bin.right++;
    if (this.local.reduce((n, b) => n + b.shown, 0) > LOCAL_LIMIT) {
      this.local = this.local.map((b) => ({ lo: b.lo, shown: b.shown / 2, right: b.right / 2 }));
    }
  }

  state(): GateState {
    return { bins: this.local.map((b) => ({ ...b })) };
  }
}

/** A stored gate state, checked; undefined when it is not one. */
export function parseGateState(value: unknown): GateState | undefined {
  const bins = (value as GateState | null)?.bins;
  if (!Array.isArray(bins) || bins.length !== BIN_COUNT) return undefined;
  return bins.every(isBin) ? { bins: bins.map((b) => ({ lo: b.lo, shown: b.shown, right: b.right })) } : undefined;
}
