import assert from 'node:assert/strict';
import type { GenerationChunk, GenerationRequest, TokenLogprob } from '../../../src/protocol/generation';
import type { BackendInfo } from '../../../src/backends/backend';
import { MemoryLogger } from '../../../src/common/logger';
import {
  AcceptanceFeedback,
  binObservations,
  calibrationCurve,
  ConfidenceGate,
  confidenceOf,
  isPartialAccept,
  parseCalibration,
  parseGateState,
  PRIOR_WEIGHT,
  shownFirstLineEnd,
  thresholdFor,
  TokenTrail,
  EAGERNESS_LEVELS,
  type Calibration,
} from '../../../src/completion/confidence';
import { alternativeFirstToken } from '../../../src/completion/alternatives';
import { CompletionPipeline } from '../../../src/completion/pipeline';
import { noSleep, settings, snapshot, STATS } from './fixtures';

const lp = (token: string, p: number, top: Array<[string, number]> = []): TokenLogprob => ({ token, logprob: Math.log(p), top: top.map(([t, q]) => ({ token: t, logprob: Math.log(q) })) });

describe('completion/confidence: scores', () => {
  it('scores the first line with something on it: the geometric mean, or the least likely token', () => {
    const trail = new TokenTrail();
    trail.add('\n', [lp('\n', 0.9)]);
    trail.add('  return', [lp('  return', 0.4)]);
    trail.add(' a;', [lp(' a;', 0.1)]);
    trail.add('\nnext', [lp('\nnext', 0.01)]);
    const shown = '\n  return a;\nnext';
    assert.equal(shownFirstLineEnd(trail.raw, shown), '\n  return a;'.length);
    assert.ok(Math.abs(confidenceOf(trail, shown)! - Math.cbrt(0.9 * 0.4 * 0.1)) < 1e-9, 'tokens after the first line do not count');
    assert.ok(Math.abs(confidenceOf(trail, shown, 'min')! - 0.1) < 1e-9);
    assert.ok(Math.abs(confidenceOf(trail, shown, 'first')! - 0.9) < 1e-9);
    assert.ok(Math.abs(confidenceOf(trail, shown, 'line')! - 0.9 * 0.4 * 0.1) < 1e-9, 'the whole line: the product');
  });

  it('follows a first line the guards shortened, and says nothing without log-probabilities', () => {
    const trail = new TokenTrail();
    trail.add('x = 1', [lp('x', 0.5), lp(' = 1', 0.5)]);
    trail.add(');', [lp(');', 0.001)]);
    assert.ok(Math.abs(confidenceOf(trail, 'x = 1')! - 0.5) < 1e-9, 'the cut closer does not count');
    const bare = new TokenTrail();
    bare.add('x = 1', undefined);
    assert.equal(confidenceOf(bare, 'x = 1'), undefined);
  });
});

describe('completion/confidence: calibration and gate', () => {
  const observations = [
    ...Array.from({ length: 40 }, (_, i) => ({ confidence: 0.05 + (i % 4) * 0.05, right: i % 10 === 0 })),
    ...Array.from({ length: 20 }, (_, i) => ({ confidence: 0.85, right: i % 5 !== 0 })),
  ];
  const calibration: Calibration = { model: 'm', measure: 'mean', source: 'test', bins: binObservations(observations) };

  it('draws precision, coverage and recall against the threshold', () => {
    const curve = calibrationCurve(calibration.bins);
    assert.equal(curve[0]!.threshold, 0);
    assert.equal(curve[0]!.coverage, 1);
    assert.ok(Math.abs(curve[0]!.precision - 20 / 60) < 1e-9);
    const high = curve.find((p) => p.threshold === 0.85)!;
    assert.ok(Math.abs(high.precision - 16 / 20) < 1e-9);
    assert.ok(Math.abs(high.coverage - 20 / 60) < 1e-9);
    assert.ok(Math.abs(high.recall - 16 / 20) < 1e-9);
  });

  it('picks the highest threshold that still shows the share of right suggestions asked for', () => {
    const curve = calibrationCurve(calibration.bins);
    assert.equal(thresholdFor(curve, 0.8), 0.85, '16 of the 20 right ones are at 0.85');
    assert.equal(thresholdFor(curve, 0.9), 0.15, 'more than that gives up only the two right ones at 0.05');
    assert.equal(thresholdFor(curve, 1), 0.05);
    assert.equal(thresholdFor(calibrationCurve(binObservations([{ confidence: 0.5, right: false }])), 0.85), 0, 'nothing right seen: nothing held back');
  });

  it('adapts to what the user accepts: accepting sure ones raises the threshold, unsure ones lower it', () => {
    const before = new ConfidenceGate(calibration).threshold('balanced');
    const sure = new ConfidenceGate(calibration);
    for (let i = 0; i < PRIOR_WEIGHT * 2; i++) sure.record(0.92, true);
    const raised = sure.threshold('balanced');
    assert.ok(raised > before, `${raised} > ${before}`);
    const unsure = new ConfidenceGate(calibration);
    for (let i = 0; i < PRIOR_WEIGHT * 2; i++) unsure.record(0.02, true);
    assert.ok(unsure.threshold('fewer') < new ConfidenceGate(calibration).threshold('fewer'), 'accepting unsure ones lowers it');
    const restored = new ConfidenceGate(calibration, parseGateState(JSON.parse(JSON.stringify(sure.state()))));
    assert.equal(restored.threshold('balanced'), raised, 'the learned state survives a reload');
  });

  it('holds back the least sure suggestions of a model without a calibration, stricter for fewer', () => {
    const [fewer, balanced, more] = EAGERNESS_LEVELS.map((e) => new ConfidenceGate(undefined).threshold(e));
    assert.ok(fewer! > balanced! && balanced! > more!, `${fewer} ${balanced} ${more}`);
    assert.ok(balanced! >= 0.45 && balanced! <= 0.55, `balanced ${balanced}: about sqrt(1 - 0.75)`);
  });

  it('refuses files that are not a calibration or a gate state', () => {
    assert.equal(parseCalibration({ model: 'm', measure: 'mean', bins: [] }), undefined);
    assert.equal(parseCalibration({ ...calibration, bins: calibration.bins.map((b) => ({ ...b, right: b.shown + 1 })) }), undefined);
    assert.equal(parseCalibration(null), undefined);
    assert.deepEqual(parseCalibration(JSON.parse(JSON.stringify(calibration))), calibration);
    assert.equal(parseGateState({ bins: [{ lo: 0, shown: -1, right: 0 }] }), undefined);
  });
});

describe('completion/confidence: what the user did', () => {
  it('counts an accept once and a suggestion replaced without one as rejected; typing along counts neither way', () => {
    const seen: Array<[number, boolean]> = [];
    const feedback = new AcceptanceFeedback({ record: (c, a) => seen.push([c, a]) });
    feedback.shown('c1', 0.4);
    feedback.accept('c1');
    feedback.accept('c1');
    feedback.shown('c2', 0.2);
    feedback.shown('c3', 0.7);
    feedback.shown('c3', undefined);
    feedback.shown('c4', 0.1);
    feedback.accept('c9');
    assert.deepEqual(seen, [[0.4, true], [0.2, false]]);
    assert.deepEqual([feedback.accepted, feedback.rejected], [1, 1]);
  });

  it('recognises a word-by-word accept from the edit it makes', () => {
    const shown = { offset: 10, text: 'items.length;' };
    assert.equal(isPartialAccept(shown, { offset: 10, removed: 0, inserted: 'items' }), true);
    assert.equal(isPartialAccept(shown, { offset: 10, removed: 0, inserted: 'i' }), false, 'one typed character');
    assert.equal(isPartialAccept(shown, { offset: 10, removed: 0, inserted: 'items.length;' }), false, 'the whole suggestion is a full accept');
    assert.equal(isPartialAccept(shown, { offset: 11, removed: 0, inserted: 'tems' }), false, 'elsewhere');
    assert.equal(isPartialAccept(shown, { offset: 10, removed: 0, inserted: 'other' }), false);
  });
});

/** A backend whose chunks carry log-probabilities; with a forced prefix it continues from the script for that prefix. */
class ProbableBackend {
  readonly requests: GenerationRequest[] = [];

  constructor(private readonly script: Record<string, Array<[string, number, Array<[string, number]>?]>>) {}

  info(): BackendInfo {
    return { kind: 'local', modelName: 'autoglm-coder', modelFamily: 'qwen2.5-coder', device: 'cpu', loaded: true, forcedPrefix: true };
  }

  async *generate(request: GenerationRequest): AsyncGenerator<GenerationChunk> {
    this.requests.push(request);
    const forced = request.forcedPrefix ?? '';
    for (const [i, [text, p, top]] of (this.script[forced] ?? []).entries()) {
      const shown = i === 0 ? text.slice(forced.length) : text;
      yield { type: 'text', text: shown, logprobs: [lp(text, p, top)] };
    }
    yield { type: 'done', stats: STATS };
  }
}

describe('completion/pipeline: confidence gate and alternatives', () => {
  const make = (backend: ProbableBackend, threshold: number) => {
    const logger = new MemoryLogger('debug');
    const pipeline = new CompletionPipeline({ backend, settings: settings(), sleep: noSleep, logger, healing: false, gate: { measure: 'mean', threshold: () => threshold } });
    return { pipeline, logger };
  };

  it('holds back a suggestion below the threshold, says why at debug, and asks for two alternatives per token', async () => {
    const backend = new ProbableBackend({ '': [['items', 0.2], ['.length;', 0.2]] });
    const { pipeline, logger } = make(backend, 0.5);
    const snap = snapshot('const n = ║');
    assert.equal(await pipeline.provide(snap, new AbortController().signal), undefined);
    assert.equal(pipeline.stats().gated, 1);
    assert.equal(pipeline.stats().empty, 0);
    assert.equal(backend.requests[0]!.logprobs, 2);
    assert.ok(logger.records.some((r) => r.msg === 'gate dropped' && r['threshold'] === 0.5));
    const asked = await pipeline.provide(snap, new AbortController().signal, { explicit: true });
    assert.equal(asked?.text, 'items.length;', 'an explicit request is not gated, nor answered by the gated cache entry');
    assert.ok(Math.abs(asked!.stats.confidence! - 0.2) < 1e-9);
  });

  it('in truncate mode cuts an unsure line to the part the model is sure of, and drops what leaves too little', async () => {
    const logger = new MemoryLogger('debug');
    const backend = new ProbableBackend({ '': [['items', 0.9], ['.map', 0.9], ['((', 0.3], ['x) => x * 2);', 0.5]] });
    const pipeline = new CompletionPipeline({ backend, settings: settings(), sleep: noSleep, logger, healing: false, gate: { measure: 'line', threshold: () => 0.5, mode: 'truncate' } });
    const cut = await pipeline.provide(snapshot('const doubled = ║'), new AbortController().signal);
    assert.equal(cut?.text, 'items.map');
    assert.deepEqual([pipeline.stats().truncated, pipeline.stats().gated], [1, 0]);
    assert.ok(logger.records.some((r) => r.msg === 'gate cut to the sure part' && r['kept'] === 9));
    const unsure = new ProbableBackend({ '': [['it', 0.3], ['ems.length;', 0.9]] });
    const dropping = new CompletionPipeline({ backend: unsure, settings: settings(), sleep: noSleep, healing: false, gate: { measure: 'line', threshold: () => 0.5, mode: 'truncate' } });
    assert.equal(await dropping.provide(snapshot('const n = ║'), new AbortController().signal), undefined);
    assert.deepEqual([dropping.stats().truncated, dropping.stats().gated], [0, 1]);
  });

  it('shows a suggestion at or above the threshold with its confidence', async () => {
    const { pipeline } = make(new ProbableBackend({ '': [['items', 0.9], ['.length;', 0.8]] }), 0.5);
    const result = await pipeline.provide(snapshot('const n = ║'), new AbortController().signal);
    assert.equal(result?.text, 'items.length;');
    assert.ok(Math.abs(result!.stats.confidence! - Math.sqrt(0.72)) < 1e-9);
  });

  it('offers the continuation of the second most likely first token as an alternative', async () => {
    const backend = new ProbableBackend({
      '': [['items', 0.6, [['items', 0.6], ['<|endoftext|>', 0.3], ['values', 0.1]]], ['.length;', 0.9]],
      values: [['values', 1], ['.size;', 0.9]],
    });
    const { pipeline } = make(backend, 0);
    const snap = snapshot('const n = ║');
    const main = (await pipeline.provide(snap, new AbortController().signal, { explicit: true }))!;
    const alternatives = await pipeline.alternativesFor(snap, main, new AbortController().signal);
    assert.deepEqual(alternatives.map((a) => a.text), ['values.size;'], 'special tokens are skipped');
    assert.equal(backend.requests[1]!.forcedPrefix, 'values');
  });

  it('offers no alternative that equals the main suggestion, nor one for a backend that cannot be made to start with a token', () => {
    assert.equal(alternativeFirstToken({ heal: '', chosen: 'a', top: [{ token: 'a', logprob: -0.1 }] }), undefined);
    assert.equal(alternativeFirstToken({ heal: 'ite', chosen: 'items', top: [{ token: 'items', logprob: -0.1 }, { token: 'it', logprob: -1 }, { token: 'iter', logprob: -2 }] }), 'iter', 'with healing, only tokens that cover the partial word');
  });
});
