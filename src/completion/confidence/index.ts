/** Confidence gating of inline suggestions: scores, calibration, the gate and the user's feedback. */
export { BIN_COUNT, binObservations, calibrationCurve, parseCalibration, thresholdFor, type Calibration, type CalibrationBin, type CurvePoint } from './calibration';
export { AcceptanceFeedback, type FeedbackSink } from './feedback';
export { ConfidenceGate, EAGERNESS_LEVELS, parseGateState, PRIOR_WEIGHT, TARGET_RECALL, UNCALIBRATED_WEIGHT, type Eagerness, type GateState } from './gate';
export { CONFIDENCE_MEASURES, confidenceOf, scoreTokens, shownFirstLineEnd, type ConfidenceMeasure } from './score';
export { isPartialAccept, type InsertEdit, type ShownSuggestion } from './partialAccept';
export { recordTrail, TokenTrail, type TrailToken } from './tokenTrail';
