import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { Logger } from '../common/logger';
import { readRegularFile } from '../common/regularFile';
import { ConfidenceGate, parseCalibration, parseGateState, type Calibration, type Eagerness, type FeedbackSink, type GateState } from '../completion';

/** The calibration a model folder may carry, written by the typing replay (`--calibrate`). */
export const CALIBRATION_FILE = 'completion-calibration.json';

/** globalState key of what the gates learned, by model name. */
const STATE_KEY = 'autoglm.completionGates';
/** Models whose learned state is kept; the least recently used go first. */
const MAX_MODELS = 16;
/** A calibration file is a few KB; anything larger is not one. */
const CALIBRATION_LIMIT = 256 * 1024;

async function readCalibration(dir: string, logger: Logger): Promise<Calibration | undefined> {
  const file = path.join(dir, CALIBRATION_FILE);
  const read = await readRegularFile(file, CALIBRATION_LIMIT, { followLinks: false });
  if (read.kind === 'missing') return undefined;
  let parsed: Calibration | undefined;
  try {
    parsed = read.kind === 'text' ? parseCalibration(JSON.parse(read.text)) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined) logger.warn('completion calibration ignored: not a calibration file', { file, read: read.kind });
  return parsed;
}

/**
 * One model's confidence gate as the editor uses it: calibrated from the model folder when it has
 * a calibration (until that is read, and for models without one, the uniform prior), and kept up
 * to date with what the user accepts, in this machine's globalState.
 */
export class ModelGate implements FeedbackSink {
  private gate: ConfidenceGate;

  constructor(
    private readonly modelName: string,
    private readonly store: CompletionGates,
    modelDir: string | undefined,
    logger: Logger,
  ) {
    this.gate = new ConfidenceGate(undefined, store.stateOf(modelName));
    if (modelDir !== undefined) {
      void readCalibration(modelDir, logger).then((calibration) => {
        if (calibration !== undefined) {
          this.gate = new ConfidenceGate(calibration, this.gate.state());
          logger.debug('completion calibration loaded', { model: modelName, from: calibration.source });
        }
      });
    }
  }

  get measure(): ConfidenceGate['measure'] {
    return this.gate.measure;
  }

  threshold(eagerness: Eagerness): number {
    return this.gate.threshold(eagerness);
  }

  record(confidence: number, accepted: boolean): void {
    this.gate.record(confidence, accepted);
    this.store.save(this.modelName, this.gate.state());
  }
}

/** The gates' learned states, one per model, in globalState. */
export class CompletionGates {
  constructor(
    private readonly memento: vscode.Memento,
    private readonly logger: Logger,
  ) {}

  open(modelName: string, modelDir: string | undefined): ModelGate {
    return new ModelGate(modelName, this, modelDir, this.logger);
  }

  stateOf(modelName: string): GateState | undefined {
    return parseGateState(this.all()[modelName]);
  }

  save(modelName: string, state: GateState): void {
    const rest = Object.entries(this.all()).filter(([name]) => name !== modelName);
    const kept = Object.fromEntries([...rest.slice(-(MAX_MODELS - 1)), [modelName, state]]);
    void Promise.resolve(this.memento.update(STATE_KEY, kept)).catch((err: unknown) => this.logger.warn('completion gate state not saved', { error: err }));
  }

  private all(): Record<string, unknown> {
    const value = this.memento.get<unknown>(STATE_KEY);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  }
}
