/**
 * Typing-replay benchmark of the inline-completion pipeline.
 *
 *   npx tsx bench/completion/replay.ts [--backend fake|engine] [--chars 1200] [--seed 7]
 *                                      [--files a.js,b.js] [--fake-token-ms 0] [--out file.json]
 *                                      [--compare-template qwen2.5-coder] [--compare-healing]
 *                                      [--compare-full-prompt] [--compare-guards] [--guard-ablation] [--compare-gate]
 *                                      [--calibrate] [--repeat 1]
 *
 * Replays the typing of real source files not written by this project (installed npm packages) at
 * a human pace: 80-150 ms a character, auto-indent after a line break, pauses after some lines and
 * now and then mid-line, and a typo corrected with backspace in about 2% of the characters. The clock between keystrokes is simulated: the debounce wait resolves at
 * once when the next keystroke is further away than the wait, and aborts the request when it is
 * not. Everything after the debounce runs for real, and a generation still running when the next
 * keystroke is due is aborted at that real moment, as the editor would cancel it.
 *
 * Each run is measured twice on the same keystrokes: the pipeline as shipped, and a peer with cache
 * and typed-ahead reuse turned off, so that what reuse saves is measured in the same run.
 * `--compare-template T` adds a run with another FIM template, `--compare-healing` one without
 * token healing, and `--compare-full-prompt` one whose prompt budget is the setting's 1,024 tokens
 * instead of being cut to the 512-token windows the bundled model was trained on.
 * `--compare-guards` adds the pipeline before the ghost-text guards (only the closer balance it
 * always had), `--guard-ablation` one run with each guard off on its own, `--compare-gate` runs
 * with the confidence gate off and at the other eagerness levels (the pipeline as shipped gates at
 * `balanced` with the model's calibration). `--calibrate` replays the calibration files (other
 * out-of-corpus sources than the measured ones) with the gate off and writes the model's
 * calibration (models/autoglm-coder/completion-calibration.json) and its curve. `--repeat N`
 * runs each variant N times, in rounds, and reports the run with the median share of keystrokes
 * served without generation together with every run's share and latencies.
 *
 * `--backend fake` answers instantly with the true continuation of the file 60% of the time (a
 * plausible wrong line otherwise): its latencies are the pipeline's own overhead, not a model's.
 * `--backend engine` runs the bundled model through src/backends/localEngine.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Backend, type GenerationChunk, type BackendInfo, type GenerationRequest, type GenerationStats } from '../../src/backends/backend';
import { abortError } from '../../src/common/errors';
import { languageOfPath } from '../../src/codeIndex/languages';
import type { WorkspaceIndex } from '../../src/codeIndex/workspaceIndex';
import type { FimTemplate } from '../../src/completion/fimTemplates';
import { indexFolder } from '../index/indexFolder';
import { seeded as prng } from '../index/repository';
import { AcceptanceTally, firstLineRight } from './acceptance';
import { buildCalibration, writeCalibration } from './calibrate';
import { BUILTIN_FIM_TEMPLATES, CONFIDENCE_MEASURES, confidenceOf, recordTrail, TokenTrail, type ConfidenceMeasure, ConfidenceGate, parseCalibration, type Calibration, type Eagerness, CompletionPipeline, DEFAULT_COMPLETION_SETTINGS, estimateTokens, GUARD_NAMES, type CompletionSnapshot, type GuardSelection, type PipelineCounters, type TokenCounter } from '../../src/completion';

const root = path.resolve(__dirname, '..', '..');

interface Args {
  backend: 'fake' | 'engine';
  chars: number;
  seed: number;
  files: string[];
  fakeTokenMs: number;
  out: string | undefined;
  /** A third run: the pipeline as shipped but with this FIM template (e.g. the PSM form, to measure the prompt order). */
  compareTemplate: string | undefined;
  /** A run without token healing. */
  compareHealing: boolean;
  /** A run whose prompt budget is not cut to the family's trained windows. */
  compareFullPrompt: boolean;
  /** A run without the guards. */
  compareGuards: boolean;
  /** Runs with each guard off on its own. */
  guardAblation: boolean;
  /** Runs without the gate and at the other eagerness levels. */
  compareGate: boolean;
  /** Runs with the gate dropping unsure suggestions instead of cutting them to their sure part, and the cut at `more`. */
  compareGateMode: boolean;
  /** Write the model's calibration instead of comparing variants. */
  calibrate: boolean;
  /** Runs of each variant; the median one is reported, with the spread. */
  repeat: number;
  /** A workspace folder to index (the replayed files should be in it): adds runs with the index. */
  indexRoot: string | undefined;
}

/** What one run changes from the pipeline as shipped. */
interface Variant {
  reuse: boolean;
  healing?: boolean;
  fimTemplate?: string;
  /** Ignore the FIM family's trained context when sizing the prompt. */
  fullPrompt?: boolean;
  /** The ghost-text guards that run; default all. */
  guards?: GuardSelection;
  /** The confidence gate's eagerness, or off; default balanced (off with the fake backend, which has no log-probabilities). */
  gate?: Eagerness | 'off';
  /** What the gate does below its threshold; default truncate, as the extension runs it. */
  gateMode?: 'drop' | 'truncate';
  /** Completion asks the workspace index (`--index-root`) for definitions. */
  index?: boolean;
  /** The bundled model's template takes definitions as plain code ahead of the prefix. */
  inlineDefinitions?: boolean;
}

/**
 * Hand-written sources of packages that are not in the bundled model's training corpus
 * (models/autoglm-coder/provenance.json; `main` checks it), installed with code-server by
 * `npm start` / `npm test`: eventemitter3 (MIT), compression (MIT), nopt (ISC).
 */
const CODE_SERVER_MODULES = 'tools/vscode/code-server/node_modules';
const DEFAULT_FILES = [`${CODE_SERVER_MODULES}/eventemitter3/index.js`, `${CODE_SERVER_MODULES}/compression/index.js`, `${CODE_SERVER_MODULES}/nopt/lib/nopt.js`];

/**
 * Other out-of-corpus sources for `--calibrate`, so that the gate is not tuned on the files it is
 * measured on: fs-minipass (ISC), gauge (ISC), minizlib (MIT), pem (MIT), destroy (MIT), tr46 (MIT).
 */
const CALIBRATION_FILES = ['fs-minipass/index.js', 'gauge/index.js', 'minizlib/index.js', 'pem/lib/pem.js', 'destroy/index.js', 'tr46/index.js'].map((f) => `${CODE_SERVER_MODULES}/${f}`);

const CALIBRATION_FILE = path.join(root, 'models', 'autoglm-coder', 'completion-calibration.json');

/** The npm package a file under node_modules belongs to, e.g. `@scope/name` or `name`. */
function packageOf(file: string): string | undefined {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/[^]*$/.exec(file.replace(/\\/g, '/'));
  return match?.[1];
}

/** Files whose package the bundled model was trained on: a replay on them measures memory, not completion. */
function inCorpus(files: readonly string[]): string[] {
  const provenance = JSON.parse(readFileSync(path.join(root, 'models', 'autoglm-coder', 'provenance.json'), 'utf8')) as { packages: Record<string, unknown> };
  return files.filter((f) => {
    const pkg = packageOf(f);
    return pkg !== undefined && Object.hasOwn(provenance.packages, pkg);
  });
}

function parseArgs(argv: string[]): Args {
  const args: Args = { backend: 'fake', chars: 1200, seed: 7, files: DEFAULT_FILES, fakeTokenMs: 0, out: undefined, compareTemplate: undefined, compareHealing: false, compareFullPrompt: false, compareGuards: false, guardAblation: false, compareGate: false, compareGateMode: false, calibrate: false, repeat: 1, indexRoot: undefined };
  let filesGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = (): string => inline ?? argv[++i] ?? '';
    switch (flag) {
      case '--backend': {
        const v = value();
        if (v !== 'fake' && v !== 'engine') throw new Error(`--backend must be fake or engine, not ${v}`);
        args.backend = v;
        break;
      }
      case '--chars': args.chars = Number(value()); break;
      case '--seed': args.seed = Number(value()); break;
      case '--files': args.files = value().split(','); filesGiven = true; break;
      case '--fake-token-ms': args.fakeTokenMs = Number(value()); break;
      case '--out': args.out = value(); break;
      case '--compare-template': args.compareTemplate = value(); break;
      case '--compare-healing': args.compareHealing = true; break;
      case '--compare-full-prompt': args.compareFullPrompt = true; break;
      case '--compare-guards': args.compareGuards = true; break;
      case '--guard-ablation': args.guardAblation = true; break;
      case '--compare-gate': args.compareGate = true; break;
      case '--compare-gate-mode': args.compareGateMode = true; break;
      case '--calibrate': args.calibrate = true; break;
      case '--index-root': args.indexRoot = value(); break;
      case '--repeat': args.repeat = Math.max(1, Math.floor(Number(value()))); break;
      default: throw new Error(`unknown argument ${flag}`);
    }
  }
  if (args.calibrate && !filesGiven) args.files = CALIBRATION_FILES;
  return args;
}


interface Keystroke {
  /** Text inserted by this keystroke (a line break carries the next line's auto-indent); '' with `backspace`. */
  insert: string;
  /** Deletes the character before the cursor (correcting a typo). */
  backspace?: boolean;
  /** Simulated time of the keystroke, ms from the start of the file. */
  at: number;
}

/** A region of `source` typed from its first character, with human timing and a typo now and then. */
function keystrokes(region: string, random: () => number): Keystroke[] {
  const out: Keystroke[] = [];
  let at = 0;
  for (let i = 0; i < region.length; ) {
    let insert = region[i]!;
    i++;
    if (insert === '\n') {
      const indent = /^[ \t]*/.exec(region.slice(i))![0];
      insert += indent;
      i += indent.length;
    }
    if (/\w/.test(insert) && random() < 0.02) {
      out.push({ insert: String.fromCharCode(97 + Math.floor(random() * 26)), at });
      at += 250 + random() * 300;
      out.push({ insert: '', backspace: true, at });
      at += 120 + random() * 100;
    }
    out.push({ insert, at });
    let gap = 80 + random() * 70;
    if (insert.startsWith('\n') && random() < 0.3) {
      gap += 300 + random() * 600;
    } else if (random() < 0.03) {
      gap += 1000 + random() * 1500;
    }
    at += gap;
  }
  return out;
}

function pickRegion(source: string, chars: number): { start: number; end: number } {
  const lineStart = source.lastIndexOf('\n', Math.floor(source.length * 0.3)) + 1;
  const stop = source.indexOf('\n', Math.min(source.length, lineStart + chars));
  return { start: lineStart, end: stop < 0 ? source.length : stop + 1 };
}

/** Knows the file being typed and where the cursor is in it: answers like a model that is right 60% of the time. */
class OracleBackend implements Pick<Backend, 'generate' | 'info'> {
  original = '';
  cursor = 0;
  private readonly random: () => number;

  constructor(seed: number, private readonly tokenMs: number) {
    this.random = prng(seed ^ 0x5eed);
  }

  info(): BackendInfo {
    return { kind: 'local', modelName: 'fake-oracle', modelFamily: 'qwen2.5-coder', device: 'none', loaded: true };
  }

  async *generate(request: GenerationRequest, signal: AbortSignal): AsyncGenerator<GenerationChunk> {
    const single = request.stop?.includes('\n') === true;
    let end = this.original.indexOf('\n', this.cursor);
    end = end < 0 ? this.original.length : end;
    if (!single) {
      for (let i = 0; i < 3 && end < this.original.length; i++) {
        const next = this.original.indexOf('\n', end + 1);
        end = next < 0 ? this.original.length : next;
      }
    }
    let text = this.original.slice(this.cursor, end);
    if (this.random() >= 0.6) {
      text = text.replace(/[A-Za-z_]\w*/, (word) => `${word}X`);
    }
    const stats: GenerationStats = { promptTokens: estimateTokens(request.prompt), reusedTokens: 0, generatedTokens: 0, timeToFirstTokenMs: 0, tokensPerSecond: 0, stopReason: 'stop-token' };
    for (let i = 0; i < text.length; i += 4) {
      if (signal.aborted) {
        return;
      }
      if (this.tokenMs > 0) {
        await new Promise((r) => setTimeout(r, this.tokenMs));
      }
      stats.generatedTokens++;
      yield { type: 'text', text: text.slice(i, i + 4) };
    }
    yield { type: 'done', stats };
  }
}

interface RequestRecord {
  file: string;
  keystroke: number;
  /** 'generated' | 'cache' | 'typed-ahead' | 'in-flight' | 'cancelled' | 'empty' | 'skipped' */
  outcome: string;
  /** Wall time of the pipeline call without the debounce wait, ms (latency to the item shown). */
  latencyMs: number;
  debounceMs: number;
  promptTokens: number;
  reusedTokens: number;
  /** The shown text's first line with something on it is what the user went on to type. */
  correct?: boolean;
  /** The confidence of a generated suggestion. */
  confidence?: number;
  /** Its confidence by every measure (for `--calibrate`). */
  scores?: Partial<Record<ConfidenceMeasure, number>>;
}

function scoresOf(trail: TokenTrail, text: string): Partial<Record<ConfidenceMeasure, number>> {
  return Object.fromEntries(CONFIDENCE_MEASURES.map((m) => [m, confidenceOf(trail, text, m)]).filter(([, v]) => v !== undefined));
}

interface RunResult {
  records: RequestRecord[];
  counters: PipelineCounters;
  keystrokes: number;
  typedChars: number;
  acceptance: AcceptanceTally;
  /** Estimated tokens of each prompt after the part it shares with the previous prompt: what a prefix cache must compute. */
  changedPromptTokens: number;
}

function sharedPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

interface ReplayFile {
  name: string;
  /** The path the editor would show: relative to the indexed folder when there is one. */
  path: string;
  languageId: string;
  source: string;
  region: { start: number; end: number };
}

function templatesFor(variant: Variant): Record<string, FimTemplate> | undefined {
  const bundled = BUILTIN_FIM_TEMPLATES['autoglm-coder'];
  const changed = { ...bundled, ...(variant.fullPrompt === true ? { trainedContext: Infinity } : {}), ...(variant.inlineDefinitions === true ? { definitions: true } : {}) };
  return variant.fullPrompt === true || variant.inlineDefinitions === true ? { 'autoglm-coder': changed } : undefined;
}

async function replay(files: ReplayFile[], backend: Pick<Backend, 'generate' | 'info'>, oracle: OracleBackend | undefined, countTokens: TokenCounter, seed: number, variant: Variant, calibration: Calibration | undefined, index: WorkspaceIndex | undefined): Promise<RunResult> {
  const eagerness = variant.gate ?? 'balanced';
  const templates = templatesFor(variant);
  const gate = eagerness === 'off' ? undefined : new ConfidenceGate(calibration);
  const backendStats = new Map<string, GenerationStats>();
  // Each generation's token log-probabilities, by trace id, to score its suggestion by every measure.
  const trails = new Map<string, TokenTrail>();
  let lastPrompt = '';
  let changedPromptTokens = 0;
  const traced: Pick<Backend, 'generate' | 'info'> = {
    info: () => backend.info(),
    generate: (request, signal) => {
      changedPromptTokens += estimateTokens(request.prompt.slice(sharedPrefix(lastPrompt, request.prompt)));
      lastPrompt = request.prompt;
      const trail = new TokenTrail();
      if (request.traceId !== undefined) trails.set(request.traceId, trail);
      return recordTrail(backend.generate(request, signal), trail);
    },
  };
  let sleepDecision: { gap: number; controller: AbortController } | undefined;
  let abortTimer: NodeJS.Timeout | undefined;
  const pipeline = new CompletionPipeline({
    backend: traced,
    settings: { ...DEFAULT_COMPLETION_SETTINGS, fimTemplate: variant.fimTemplate ?? DEFAULT_COMPLETION_SETTINGS.fimTemplate },
    countTokens,
    reuse: variant.reuse,
    healing: variant.healing ?? true,
    guards: variant.guards ?? 'all',
    ...(gate !== undefined ? { gate: { measure: gate.measure, threshold: () => gate.threshold(eagerness as Eagerness), mode: variant.gateMode ?? 'truncate' } } : {}),
    ...(templates !== undefined ? { templates } : {}),
    ...(variant.index === true && index !== undefined ? { codebase: () => index } : {}),
    onBackendStats: (traceId, stats) => backendStats.set(traceId, stats),
    sleep: async (ms, signal) => {
      const decision = sleepDecision!;
      if (signal.aborted || ms >= decision.gap) {
        decision.controller.abort();
        throw abortError();
      }
      // The rest of the gap runs on the real clock: a generation still busy then is cancelled.
      if (Number.isFinite(decision.gap)) {
        abortTimer = setTimeout(() => decision.controller.abort(), decision.gap - ms);
      }
    },
  });
  const records: RequestRecord[] = [];
  const acceptance = new AcceptanceTally();
  let total = 0;
  let typedChars = 0;
  for (const file of files) {
    acceptance.nextFile();
    typedChars += file.region.end - file.region.start;
    const random = prng(seed);
    const region = file.source.slice(file.region.start, file.region.end);
    const before = file.source.slice(0, file.region.start);
    const after = file.source.slice(file.region.end);
    const keys = keystrokes(region, random);
    total += keys.length;
    let typed = '';
    for (let k = 0; k < keys.length; k++) {
      typed = keys[k]!.backspace === true ? typed.slice(0, -1) : typed + keys[k]!.insert;
      const text = before + typed + after;
      const offset = before.length + typed.length;
      const prefix = text.slice(0, offset);
      const snapshot: CompletionSnapshot = {
        path: file.path,
        languageId: file.languageId,
        text,
        offset,
        line: prefix.split('\n').length - 1,
        character: offset - (prefix.lastIndexOf('\n') + 1),
        eol: '\n',
        indentation: { insertSpaces: true, tabSize: 2 },
        selectionEmpty: true,
        neighbours: files.filter((f) => f !== file).map((f) => ({ path: f.path, languageId: f.languageId, text: f.source })),
      };
      if (oracle !== undefined) {
        oracle.original = file.source;
        oracle.cursor = offset;
      }
      const next = keys[k + 1];
      const controller = new AbortController();
      sleepDecision = { gap: next === undefined ? Infinity : next.at - keys[k]!.at, controller };
      const before_ = pipeline.stats();
      const started = performance.now();
      const result = await pipeline.provide(snapshot, controller.signal);
      const wall = performance.now() - started;
      clearTimeout(abortTimer);
      const after_ = pipeline.stats();
      const outcome = result?.stats.source ?? (after_.cancelled > before_.cancelled ? 'cancelled' : after_.empty > before_.empty || after_.servedFromCache > before_.servedFromCache ? 'empty' : 'skipped');
      const stats = result !== undefined ? backendStats.get(result.stats.traceId) : undefined;
      const upcoming = file.source.slice(offset, offset + 400);
      const ghost = result === undefined ? undefined : result.range.start < offset ? result.text.slice(offset - result.range.start) : result.text;
      if (ghost !== undefined) acceptance.shown(offset, ghost, upcoming);
      records.push({
        file: file.name,
        keystroke: k,
        outcome,
        latencyMs: result?.stats.latencyMs ?? wall,
        debounceMs: result?.stats.debounceMs ?? 0,
        promptTokens: stats?.promptTokens ?? result?.stats.promptTokens ?? 0,
        reusedTokens: stats?.reusedTokens ?? result?.stats.reusedTokens ?? 0,
        ...(ghost !== undefined ? { correct: firstLineRight(ghost, upcoming) } : {}),
        ...(result?.stats.confidence !== undefined ? { confidence: result.stats.confidence } : {}),
        ...(result !== undefined && result.stats.source === 'generated' && trails.has(result.stats.traceId) ? { scores: scoresOf(trails.get(result.stats.traceId)!, result.text) } : {}),
      });
    }
  }
  pipeline.dispose();
  return { records, counters: pipeline.stats(), keystrokes: total, typedChars, acceptance, changedPromptTokens };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (n: number): number => Math.round(n * 100) / 100;

function summarize(run: RunResult) {
  const shown = run.records.filter((r) => r.outcome === 'generated' || r.outcome === 'cache' || r.outcome === 'typed-ahead' || r.outcome === 'in-flight');
  const generated = run.records.filter((r) => r.outcome === 'generated');
  const latency = (rs: RequestRecord[]) => ({ p50: round(percentile(rs.map((r) => r.latencyMs), 50)), p95: round(percentile(rs.map((r) => r.latencyMs), 95)), max: round(Math.max(...rs.map((r) => r.latencyMs))) });
  const c = run.counters;
  const reused = c.servedFromCache + c.servedByTypedAhead + c.servedByInFlight;
  return {
    keystrokes: run.keystrokes,
    requestsStarted: c.requests,
    generationsStarted: c.generationsStarted,
    cancelled: c.cancelled,
    cancelledWhileGenerating: c.cancelledWhileGenerating,
    generationsStopped: c.generationsStopped,
    servedFromCache: c.servedFromCache,
    servedByTypedAhead: c.servedByTypedAhead,
    servedByInFlight: c.servedByInFlight,
    generatedShown: c.generated,
    empty: c.empty,
    gated: c.gated,
    truncated: c.truncated,
    skipped: c.skipped,
    itemsShown: shown.length,
    latencyShownMs: latency(shown),
    latencyGeneratedMs: latency(generated),
    promptTokensMean: round(generated.reduce((s, r) => s + r.promptTokens, 0) / Math.max(1, generated.length)),
    reusedTokensMean: round(generated.reduce((s, r) => s + r.reusedTokens, 0) / Math.max(1, generated.length)),
    /** Prompt tokens the backend had to compute (not served from its prefix cache), per keystroke. */
    /** Prompt tokens after the part shared with the previous request's prompt, per keystroke (estimated: length / 3). */
    changedPromptTokensPerKeystroke: round(run.changedPromptTokens / Math.max(1, run.keystrokes)),
    prefilledTokensPerKeystroke: round(run.records.reduce((s, r) => s + Math.max(0, r.promptTokens - r.reusedTokens), 0) / Math.max(1, run.keystrokes)),
    servedWithoutGenerationShare: round(reused / Math.max(1, run.keystrokes)),
    shownCorrectShare: round(shown.filter((r) => r.correct === true).length / Math.max(1, shown.length)),
    /** Characters a user would have accepted (Tab on a right first line, else word by word), per 100 typed. */
    acceptedPer100Typed: round((100 * run.acceptance.accepted) / Math.max(1, run.typedChars)),
    /** Suggestions shown whose first line is wrong, per 100 keystrokes: what a user reads and rejects. */
    wrongShownPer100Keystrokes: round((100 * run.acceptance.wrongShown) / Math.max(1, run.keystrokes)),
  };
}

type Summary = ReturnType<typeof summarize>;

/** Each repeat's share of keystrokes served without generation and shown latency, in run order. */
interface RepeatSpread {
  servedWithoutGenerationShare: number[];
  latencyShownP50Ms: number[];
  latencyShownP95Ms: number[];
}

/**
 * The run with the median share of keystrokes served without generation, with every repeat's
 * numbers beside it: the replay runs generations on the real clock, so which keystrokes a running
 * generation is cancelled at, and what follows from that, changes from run to run.
 */
function medianRun(summaries: Summary[]): Summary & { repeats: RepeatSpread } {
  const sorted = [...summaries].sort((a, b) => a.servedWithoutGenerationShare - b.servedWithoutGenerationShare);
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)]!,
    repeats: {
      servedWithoutGenerationShare: summaries.map((s) => s.servedWithoutGenerationShare),
      latencyShownP50Ms: summaries.map((s) => s.latencyShownMs.p50),
      latencyShownP95Ms: summaries.map((s) => s.latencyShownMs.p95),
    },
  };
}

async function engineBackend(): Promise<{ backend: Backend; countTokens: TokenCounter; dispose: () => Promise<void>; device: string } | undefined> {
  const file = path.join(root, 'src', 'backends', 'localEngine.ts');
  if (!existsSync(file)) {
    return undefined;
  }
  const { LocalEngineBackend } = await import('../../src/backends/localEngine');
  const { bundledModelDir } = await import('../../src/engine');
  const { createStderrLogger } = await import('../../src/common/logger');
  const backend = new LocalEngineBackend({ modelDir: bundledModelDir(path.join(root, 'src', 'engine')), variant: 'auto', provider: 'cpu', threads: 0, logger: createStderrLogger('warn') });
  const engine = await backend.engine();
  return { backend, countTokens: (text) => engine.countTokens(text), dispose: async () => backend.dispose(), device: `${engine.model.provider} ${engine.model.variant}` };
}

/**
 * `before`: the pipeline as it was before the ghost-text guards and the confidence gate (it always
 * balanced closers against the suffix); `without <guard>`: every guard but that one.
 */
function guardVariants(args: Pick<Args, 'compareGuards' | 'guardAblation'>): Record<string, Variant> {
  const added = GUARD_NAMES.filter((g) => g !== 'closers');
  return {
    ...(args.compareGuards ? { 'guards:before': { reuse: true, guards: ['closers'], gate: 'off' } } : {}),
    ...(args.guardAblation ? Object.fromEntries(added.map((g) => [`guards:without ${g}`, { reuse: true, guards: GUARD_NAMES.filter((n) => n !== g) }])) : {}),
  };
}

/** `gate:off`: every guard, no gate (the gate ablated); the other eagerness levels. */
function gateVariants(args: Pick<Args, 'compareGate' | 'compareGateMode'>): Record<string, Variant> {
  return {
    ...(args.compareGate ? { 'gate:off': { reuse: true, gate: 'off' }, 'gate:fewer': { reuse: true, gate: 'fewer' }, 'gate:more': { reuse: true, gate: 'more' } } : {}),
    ...(args.compareGateMode ? { 'gate:balanced, drop': { reuse: true, gate: 'balanced', gateMode: 'drop' }, 'gate:more, cut': { reuse: true, gate: 'more', gateMode: 'truncate' } } : {}),
  };
}

/**
 * How well each measure tells right suggestions from wrong ones: the area under the ROC curve
 * (the chance that a right suggestion scores above a wrong one; 0.5 is no better than chance).
 */
function compareMeasures(records: readonly RequestRecord[]): Record<string, { auc: number }> {
  const auc = (m: ConfidenceMeasure): number => {
    const right = records.filter((r) => r.correct === true).map((r) => r.scores![m] ?? 0);
    const wrong = records.filter((r) => r.correct !== true).map((r) => r.scores![m] ?? 0);
    let wins = 0;
    for (const a of right) for (const b of wrong) wins += a > b ? 1 : a === b ? 0.5 : 0;
    return right.length * wrong.length === 0 ? NaN : Math.round((1000 * wins) / (right.length * wrong.length)) / 1000;
  };
  return Object.fromEntries(CONFIDENCE_MEASURES.map((m) => [m, { auc: auc(m) }]));
}

function readCalibration(): Calibration | undefined {
  return existsSync(CALIBRATION_FILE) ? parseCalibration(JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8'))) : undefined;
}

/** `--calibrate`: one replay without the gate; its generated suggestions make the calibration. */
function calibrateFrom(run: RunResult, files: readonly string[], device: string): void {
  const scored = run.records.filter((r) => r.outcome === 'generated' && r.scores !== undefined);
  const measures = compareMeasures(scored);
  // The gate uses the measure that best tells right from wrong on these files.
  const measure = CONFIDENCE_MEASURES.reduce((best, m) => (measures[m]!.auc > measures[best]!.auc ? m : best), 'mean' as ConfidenceMeasure);
  const observations = scored.filter((r) => r.scores![measure] !== undefined).map((r) => ({ confidence: r.scores![measure]!, right: r.correct === true }));
  const source = `bench/completion/replay.ts --calibrate on ${files.map((f) => path.basename(path.dirname(f)) === 'lib' ? path.basename(path.dirname(path.dirname(f))) : path.basename(path.dirname(f))).join(', ')}, ${new Date().toISOString().slice(0, 10)}`;
  const out = buildCalibration(observations, `autoglm-coder (${device})`, source, measure);
  writeCalibration(out, CALIBRATION_FILE, path.join(root, 'bench', 'results'), { date: new Date().toISOString(), files, device, measures });
  console.log(JSON.stringify({ measure, measures, observations: observations.length, right: observations.filter((o) => o.right).length, thresholds: out.thresholds }, null, 2));
  console.log(`calibration: ${path.relative(process.cwd(), CALIBRATION_FILE)}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const memorised = inCorpus(args.files);
  if (memorised.length > 0) {
    console.error(`warning: the bundled model was trained on the packages of ${memorised.join(', ')}; their numbers are flattered by memorisation`);
  }
  const indexRoot = args.indexRoot === undefined ? undefined : path.resolve(root, args.indexRoot);
  const files: ReplayFile[] = args.files.map((name) => {
    const source = readFileSync(path.resolve(root, name), 'utf8').replace(/\r\n/g, '\n');
    const inside = indexRoot !== undefined ? path.relative(indexRoot, path.resolve(root, name)) : '..';
    return { name, path: inside.startsWith('..') ? name : inside.split(path.sep).join('/'), languageId: languageOfPath(name) ?? 'javascript', source, region: pickRegion(source, args.chars) };
  });
  const index = indexRoot === undefined ? undefined : await indexFolder(indexRoot);

  /** A fresh backend per run: the peer must not find the first run's prompts in the engine's prefix cache. */
  const makeBackend = async (): Promise<{ backend: Pick<Backend, 'generate' | 'info'>; oracle?: OracleBackend; countTokens: TokenCounter; device: string; dispose: () => Promise<void> }> => {
    if (args.backend === 'fake') {
      const oracle = new OracleBackend(args.seed, args.fakeTokenMs);
      return { backend: oracle, oracle, countTokens: estimateTokens, device: 'none (fake backend: pipeline overhead only)', dispose: async () => undefined };
    }
    const engine = await engineBackend();
    if (engine === undefined) {
      console.error('engine backend unavailable: src/backends/localEngine.ts is not in this checkout');
      process.exit(2);
    }
    // One generation first, so that session warm-up is not charged to the first keystroke.
    for await (const _chunk of engine.backend.generate({ prompt: '<|fim_prefix|>const a = 1;\n<|fim_suffix|>\n<|fim_middle|>', maxTokens: 4, priority: 'interactive' }, new AbortController().signal)) {
      // drained
    }
    return engine;
  };

  // Other work on the machine slows a CPU engine; the load average says how much there was.
  const loadBefore = os.loadavg();
  const calibration = readCalibration();
  const runOnce = async (variant: Variant) => {
    const made = await makeBackend();
    try {
      const run = await replay(files, made.backend, made.oracle, made.countTokens, args.seed, variant, calibration, index);
      return { run, summary: summarize(run), device: made.device };
    } finally {
      await made.dispose();
    }
  };
  if (args.calibrate) {
    const once = await runOnce({ reuse: true, gate: 'off' });
    calibrateFrom(once.run, args.files, once.device);
    return;
  }
  const variants: Record<string, Variant> = {
    pipeline: { reuse: true },
    peerWithoutReuse: { reuse: false },
    ...(args.compareTemplate !== undefined ? { withTemplate: { reuse: true, fimTemplate: args.compareTemplate } } : {}),
    ...(args.compareHealing ? { withoutHealing: { reuse: true, healing: false } } : {}),
    ...(args.compareFullPrompt ? { fullPrompt: { reuse: true, fullPrompt: true } } : {}),
    ...guardVariants(args),
    ...gateVariants(args),
    // The bundled model takes no repository-level prompt: with it, only the definitions written
    // as code ahead of the prefix change the prompt; the fake backend speaks Qwen's format.
    ...(index !== undefined ? (args.backend === 'fake' ? { withIndex: { reuse: true, index: true } } : { withIndexInline: { reuse: true, index: true, inlineDefinitions: true } }) : {}),
  };
  // Rounds take the variants in turn, so that a change in the machine's load touches them all.
  const runs: Record<string, Summary[]> = {};
  let device = '';
  for (let i = 0; i < args.repeat; i++) {
    for (const [name, variant] of Object.entries(variants)) {
      const run = await runOnce(variant);
      device = run.device;
      (runs[name] ??= []).push(run.summary);
    }
  }
  const pick = (name: string): (Summary & { repeats: RepeatSpread }) | undefined => (runs[name] === undefined ? undefined : medianRun(runs[name]));
  const pipeline = pick('pipeline')!;
  const peer = pick('peerWithoutReuse')!;
  const compared = pick('withTemplate');
  const withoutHealing = pick('withoutHealing');
  const fullPrompt = pick('fullPrompt');
  const withIndex = pick('withIndex');
  const withIndexInline = pick('withIndexInline');

  const guardRuns = Object.fromEntries(Object.keys(variants).filter((name) => name.startsWith('guards:')).map((name) => [name.slice('guards:'.length), pick(name)!]));
  const gateRuns = Object.fromEntries(Object.keys(variants).filter((name) => name.startsWith('gate:')).map((name) => [name.slice('gate:'.length), pick(name)!]));
  const result = {
    benchmark: 'completion typing replay',
    date: new Date().toISOString(),
    backend: args.backend,
    device,
    node: process.version,
    cpus: os.cpus().length,
    loadAverage1m: { before: round(loadBefore[0]!), after: round(os.loadavg()[0]!) },
    files: files.map((f) => ({ name: f.name, typedChars: f.region.end - f.region.start, inTrainingCorpus: memorised.includes(f.name) })),
    settings: { seed: args.seed, repeat: args.repeat, charsPerFile: args.chars, msPerChar: '80-150', fakeTokenMs: args.fakeTokenMs, debounce: DEFAULT_COMPLETION_SETTINGS.debounceMs, promptTokens: DEFAULT_COMPLETION_SETTINGS.promptTokens },
    pipeline,
    peerWithoutReuse: peer,
    generationsSavedByReuse: peer.generationsStarted - pipeline.generationsStarted,
    ...(compared !== undefined ? { withTemplate: { fimTemplate: args.compareTemplate, ...compared } } : {}),
    ...(withoutHealing !== undefined ? { withoutHealing } : {}),
    ...(fullPrompt !== undefined ? { fullPrompt } : {}),
    ...(index !== undefined ? { index: { root: args.indexRoot, files: index.paths().length, ...(withIndex ? { withIndex } : {}), ...(withIndexInline ? { withIndexInline } : {}) } } : {}),
    ...(Object.keys(guardRuns).length > 0 ? { guards: guardRuns } : {}),
    ...(Object.keys(gateRuns).length > 0 ? { gate: gateRuns } : {}),
    calibration: calibration === undefined ? null : { model: calibration.model, source: calibration.source },
  };
  const out = args.out ?? path.join(root, 'bench', 'results', `completion-${args.backend}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify({ ...result, pipeline: { ...pipeline, skipped: undefined }, peerWithoutReuse: { ...peer, skipped: undefined } }, null, 2));
  console.log(`results: ${path.relative(process.cwd(), out)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
