import { CONFIDENCE_MEASURES, type ConfidenceMeasure } from './score';

/**
 * A model's calibration for the confidence gate: how often a suggestion's first line was right,
 * by confidence, measured by the typing replay on code the model was not trained on
 * (`bench/completion/replay.ts --calibrate`). The gate picks its threshold from it.
 */
export interface CalibrationBin {
  /** Lower edge of the bin's confidence range [lo, lo + 1/bins). */
  lo: number;
  shown: number;
  right: number;
}

export interface Calibration {
  /** The model and variant it was measured on. */
  model: string;
  measure: ConfidenceMeasure;
  /** How it was measured (tool, files, date), for the record. */
  source: string;
  bins: CalibrationBin[];
}

/** Precision and coverage of the suggestions at or above one threshold. */
export interface CurvePoint {
  threshold: number;
  /** Share of the suggestions shown at this threshold whose first line is right. */
  precision: number;
  /** Share of all suggestions that are still shown. */
  coverage: number;
  /** Share of the right suggestions that are still shown. */
  recall: number;
}

export const BIN_COUNT = 20;

export function emptyBins(count = BIN_COUNT): CalibrationBin[] {
  return Array.from({ length: count }, (_, i) => ({ lo: i / count, shown: 0, right: 0 }));
}

export function binIndex(confidence: number, count = BIN_COUNT): number {
  return Math.min(count - 1, Math.max(0, Math.floor(confidence * count)));
}

/** Bins of observed suggestions: their confidence and whether the first line was right. */
export function binObservations(observations: ReadonlyArray<{ confidence: number; right: boolean }>, count = BIN_COUNT): CalibrationBin[] {
  const bins = emptyBins(count);
  for (const o of observations) {
    const bin = bins[binIndex(o.confidence, count)]!;
    bin.shown++;
    if (o.right) bin.right++;
  }
  return bins;
}

/** One point per bin edge, from showing everything (threshold 0) to the top bin alone. */
export function calibrationCurve(bins: readonly CalibrationBin[]): CurvePoint[] {
  const total = bins.reduce((n, b) => n + b.shown, 0);
  const totalRight = bins.reduce((n, b) => n + b.right, 0);
  const points: CurvePoint[] = [];
  let shown = 0;
  let right = 0;
  for (let i = bins.length - 1; i >= 0; i--) {
    shown += bins[i]!.shown;
    right += bins[i]!.right;
    points.unshift({ threshold: bins[i]!.lo, precision: shown === 0 ? 0 : right / shown, coverage: total === 0 ? 0 : shown / total, recall: totalRight === 0 ? 0 : right / totalRight });
  }
  return points;
}

/**
 * The highest threshold that still shows `recall` of the right suggestions: as many wrong ones
 * held back as that allows. With no right suggestion observed, nothing is held back.
 */
export function thresholdFor(curve: readonly CurvePoint[], recall: number): number {
  let best = 0;
  for (const p of curve) {
    if (p.recall >= recall && p.coverage > 0) best = Math.max(best, p.threshold);
  }
  return best;
}

/** A bin read from a file: non-negative counts, no more right than shown. */
export function isBin(value: unknown): value is CalibrationBin {
  const b = value as CalibrationBin;
  return typeof value === 'object' && value !== null && [b.lo, b.shown, b.right].every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0) && b.right <= b.shown && b.lo < 1;
}

/** A calibration read from a file, checked; undefined when it is not one. */
export function parseCalibration(value: unknown): Calibration | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const c = value as Partial<Calibration>;
  const bins = c.bins;
  const measure = CONFIDENCE_MEASURES.find((m) => m === c.measure);
  if (typeof c.model !== 'string' || measure === undefined || !Array.isArray(bins) || bins.length !== BIN_COUNT || !bins.every(isBin)) return undefined;
  return { model: c.model, measure, source: typeof c.source === 'string' ? c.source : '', bins: bins.map((b) => ({ lo: b.lo, shown: b.shown, right: b.right })) };
}
