/**
 * A model's calibration from a replay with the gate off: each generated suggestion's confidence
 * and whether its first line was what the user typed next, binned; the curve and the threshold of
 * each eagerness level; written where the editor reads it (the model folder) and as results.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { binObservations, calibrationCurve, ConfidenceGate, EAGERNESS_LEVELS, TARGET_RECALL, type Calibration, type ConfidenceMeasure, type Eagerness } from '../../src/completion';
import { calibrationSvg } from './calibrationPlot';

const MEASURE_NAMES: Readonly<Record<ConfidenceMeasure, string>> = { mean: 'geometric mean', min: 'least', first: 'first', line: 'product' };

export interface Observation {
  confidence: number;
  right: boolean;
}

export interface CalibrationOutput {
  calibration: Calibration;
  thresholds: Record<Eagerness, number>;
}

export function buildCalibration(observations: readonly Observation[], model: string, source: string, measure: ConfidenceMeasure): CalibrationOutput {
  const calibration: Calibration = { model, measure, source, bins: binObservations(observations) };
  const gate = new ConfidenceGate(calibration);
  const thresholds = Object.fromEntries(EAGERNESS_LEVELS.map((e) => [e, gate.threshold(e)])) as Record<Eagerness, number>;
  return { calibration, thresholds };
}

/** The calibration into the model folder; the curve as JSON and SVG into `resultsDir`. */
export function writeCalibration(out: CalibrationOutput, modelFile: string, resultsDir: string, details: Record<string, unknown>): void {
  writeFileSync(modelFile, `${JSON.stringify(out.calibration, null, 2)}\n`);
  const curve = calibrationCurve(out.calibration.bins);
  mkdirSync(resultsDir, { recursive: true });
  const round = (n: number): number => Math.round(n * 1000) / 1000;
  const result = {
    benchmark: 'completion confidence calibration',
    ...details,
    model: out.calibration.model,
    measure: out.calibration.measure,
    observations: out.calibration.bins.reduce((n, b) => n + b.shown, 0),
    targetRecall: TARGET_RECALL,
    thresholds: out.thresholds,
    curve: curve.map((p) => ({ threshold: round(p.threshold), precision: round(p.precision), coverage: round(p.coverage), recall: round(p.recall) })),
    bins: out.calibration.bins,
  };
  writeFileSync(path.join(resultsDir, 'completion-calibration.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, 'completion-calibration.svg'), calibrationSvg(`Confidence calibration of ${out.calibration.model}\n${result.observations} generated suggestions on code it was not trained on`, curve, out.thresholds, MEASURE_NAMES[out.calibration.measure]));
}
