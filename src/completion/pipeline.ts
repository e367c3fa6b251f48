import { type Backend, type GenerationChunk, type GenerationStats } from '../backends/backend';
import { delay } from '../common/async';
import { abortError, isAbortError } from '../common/errors';
import { type Logger, silentLogger } from '../common/logger';
import { estimateTokens, type TokenCounter } from '../common/tokens';
import { CompletionCache } from './completionCache';
import { confidenceOf, recordTrail, TokenTrail, type ConfidenceMeasure } from './confidence';
import { confidentPrefix } from './confidence/confidentPrefix';
import { alternativeFirstToken, AlternativeMemo, firstStepOf, type FirstStep } from './alternatives';
import { buildContext, ContextMemo } from './context';
import { definitionSnippets, type DefinitionLookup } from './definitionSnippets';
import type { Snippet } from './snippets';
import { AdaptiveDebounce } from './debounce';
import { resolveFimTemplate } from './fimFamily';
import { type FimTemplate } from './fimTemplates';
import { type GuardSelection, isGuardOn } from './guards';
import { healText } from './healing';
import { InFlightGeneration, unlessAborted } from './inFlight';
import { LatestRequest } from './latestRequest';
import { chooseLineMode, type LineMode } from './lineMode';
import { collectLines, splitIntoLines, takeLines, textDeltas } from './lineStream';
import { copyCounters, emptyCounters, type PipelineCounters } from './pipelineStats';
import { postprocess } from './postprocess';
import { prefilter } from './prefilter';
import { stopAtDedent, stopAtRepeatedLines, stopAtRepetitionInLine, stopAtSuffix } from './stopFilters';
import { cursorLine, indentWidth, isBlank } from './text';
import { anchorOf, TypedAhead } from './typedAhead';
import { type CompletionResult, type CompletionSettings, type CompletionSnapshot, type CompletionSource, type OffsetRange } from './types';

/** Waiting, made replaceable so that a benchmark can replay typing on a simulated clock. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface CompletionPipelineOptions {
  backend: Pick<Backend, 'generate' | 'info'>;
  settings: CompletionSettings;
  logger?: Logger;
  /** The model's tokenizer count; default: an estimate from the length. */
  countTokens?: TokenCounter;
  /** `model_type` from the model's config.json when the backend's info does not give it; helps pick the FIM template. */
  modelType?: string;
  /** Templates by family id (from prompt packs); they win over the built-in renderers. */
  templates?: Readonly<Record<string, FimTemplate>>;
  /** Default: a real timer. */
  sleep?: Sleep;
  /**
   * Token healing when the backend supports it: a partial word at the cursor is cut off the
   * prompt and the output is constrained to start with it. Default: true; off only to measure it.
   */
  healing?: boolean;
  /** Cache and typed-ahead reuse. Default: true; off only to measure what they save. */
  reuse?: boolean;
  /** Completion cache entries. Default: 500. */
  cacheEntries?: number;
  /**
   * Guards that check each finished completion against the document (see `GUARDS` in
   * `guards/index.ts` for the list and its order). Default: 'all'; fewer only to measure one.
   */
  guards?: GuardSelection;
  /**
   * The confidence gate: a generated suggestion whose confidence (by `measure`) is below
   * `threshold()` is not shown. Default: none (every suggestion the guards pass is shown).
   */
  gate?: ConfidenceThreshold;
  /** The workspace index's definitions, once there is one: definitions the code near the cursor uses join the prompt. */
  codebase?: () => DefinitionLookup | undefined;
  /** Called with the backend's final stats of each generation, also when they arrive after `provide` returned. */
  onBackendStats?: (traceId: string, stats: GenerationStats) => void;
}

export interface ConfidenceThreshold {
  measure: ConfidenceMeasure;
  threshold(): number;
  /**
   * What happens to a suggestion below the threshold: `drop` it, or `truncate` it to the part of
   * its first line the model is sure enough of (dropped when too little is left). Default: drop.
   */
  mode?: 'drop' | 'truncate';
}

/** What one generation produced: the text to show (undefined: nothing), the prompt's size and how sure the model was. */
interface GenerationOutcome {
  text: string | undefined;
  promptTokens: number;
  reusedTokens: number;
  confidence: number | undefined;
  firstStep: FirstStep | undefined;
  /** The shown text cut where the first line's probability falls below `threshold`. */
  confidentPrefix?: (threshold: number) => string | undefined;
}

/** Alternatives per step asked of the backend: the second-best first token makes the alternative suggestion. */
const TOP_LOGPROBS = 2;

/** Most definitions from other files in one prompt (signatures and short types: a few dozen tokens each). */
const MAX_DEFINITIONS = 4;

/** Most tokens for a single-line completion; a line longer than this is not a good suggestion. */
const SINGLE_LINE_MAX_TOKENS = 64;
/** Head of the suffix the stop filters and guards look at, in characters. */
const SUFFIX_HEAD_CHARS = 2_000;
/** Tail of the prefix the guards look at (the bracket guard reads back to a top-level line), in characters. */
const PREFIX_TAIL_CHARS = 4_000;

/** One generation's inputs: what the pipeline decided before calling the backend. */
interface GenerationJob {
  snapshot: CompletionSnapshot;
  view: View;
  template: FimTemplate;
  mode: LineMode;
  key: string;
  traceId: string;
  explicit: boolean;
  /** For an alternative: the first token the output must start with. */
  firstToken?: string;
}

/** The document as the completion sees it: with the selected IntelliSense item already inserted. */
interface View {
  text: string;
  offset: number;
  /** What the result replaces in the real document, and the text it starts with. */
  range: OffsetRange;
  lead: string;
}

/**
 * snapshot -> prefilter -> typed-ahead reuse -> cache -> debounce -> context -> FIM prompt ->
 * backend stream -> line filters -> postprocess (guards) -> result. Reuse and cache come before the
 * debounce: an answer that costs nothing should not wait.
 */
export class CompletionPipeline {
  private settings: CompletionSettings;
  private readonly backend: Pick<Backend, 'generate' | 'info'>;
  private readonly logger: Logger;
  private readonly countTokens: TokenCounter;
  private readonly sleep: Sleep;
  private readonly debounce: AdaptiveDebounce;
  private readonly latest = new LatestRequest();
  private readonly cache: CompletionCache;
  private readonly typedAhead = new TypedAhead();
  private readonly contextMemo = new ContextMemo();
  private readonly counters = emptyCounters();
  private readonly inFlight = new InFlightGeneration(() => this.counters.generationsStopped++);
  private readonly alternatives = new AlternativeMemo();
  private nextTrace = 1;

  constructor(private readonly options: CompletionPipelineOptions) {
    this.backend = options.backend;
    this.settings = options.settings;
    this.logger = (options.logger ?? silentLogger).child({ component: 'completion' });
    this.countTokens = options.countTokens ?? estimateTokens;
    this.sleep = options.sleep ?? delay;
    this.debounce = new AdaptiveDebounce(options.settings.debounceMs);
    this.cache = new CompletionCache(options.cacheEntries ?? 500);
  }

  updateSettings(settings: CompletionSettings): void {
    const changedOutput = settings.maxLines !== this.settings.maxLines || settings.maxTokens !== this.settings.maxTokens || settings.promptTokens !== this.settings.promptTokens || settings.fimTemplate !== this.settings.fimTemplate || settings.eagerness !== this.settings.eagerness;
    this.settings = settings;
    this.debounce.setSetting(settings.debounceMs);
    if (changedOutput) {
      this.inFlight.stop();
      this.cache.clear();
      this.typedAhead.forget();
      this.alternatives.clear();
    }
  }

  /** Counters since creation (a copy). */
  stats(): PipelineCounters {
    return copyCounters(this.counters);
  }

  /** The current debounce wait in ms (adaptive setting: follows measured latency). */
  get debounceMs(): number {
    return this.debounce.delayMs;
  }

  /** The template the next request uses. */
  template(): FimTemplate {
    const info = this.backend.info();
    return resolveFimTemplate(info.modelFamily ?? info.modelName, info.modelType ?? this.options.modelType, this.settings.fimTemplate, this.options.templates);
  }

  /** Aborts the request and the generation in flight, if any. */
  cancel(): void {
    this.latest.cancel();
    this.inFlight.stop();
  }

  dispose(): void {
    this.latest.cancel();
    this.inFlight.stop();
    this.cache.clear();
    this.typedAhead.forget();
    this.alternatives.clear();
  }

  /**
   * The suggestion for `snapshot`, or undefined. An `explicit` request (the user asked for
   * suggestions) is not held back by the confidence gate, nor answered by an earlier empty or gated result.
   */
  async provide(snapshot: CompletionSnapshot, signal: AbortSignal, { explicit = false }: { explicit?: boolean } = {}): Promise<CompletionResult | undefined> {
    const begun = performance.now();
    const traceId = `c${this.nextTrace++}`;
    const log = this.logger.child({ traceId });
    this.counters.requests++;
    const request = this.latest.begin(signal);
    let sleptMs = 0;
    let generating = false;
    let generationStart = 0;
    try {
      const reason = prefilter(snapshot, this.settings);
      if (reason !== undefined) {
        this.counters.skipped[reason]++;
        log.debug('completion skipped', { reason, languageId: snapshot.languageId });
        return undefined;
      }
      const reuse = this.options.reuse !== false;
      const typed = reuse ? this.typedAhead.match(snapshot) : undefined;
      if (typed !== undefined) {
        this.counters.servedByTypedAhead++;
        log.debug('completion served by typed-ahead reuse');
        return this.result(typed.text, typed.range, 'typed-ahead', begun, 0, typed.origin ?? traceId);
      }

      const { view, template, mode, modeReason, key } = this.requestShape(snapshot);
      const cached = reuse ? this.cache.get(key) : undefined;
      if (cached !== undefined && !(explicit && cached === '')) {
        this.counters.servedFromCache++;
        log.debug('completion served from cache', { empty: cached === '' });
        return cached === '' ? undefined : this.shown(snapshot, view.lead + cached, view.range, 'cache', begun, 0, traceId);
      }

      if (reuse && !explicit && this.inFlight.busy && (await this.inFlight.follow(snapshot, request.signal)) === 'settled') {
        // The generation an earlier keystroke started has finished: its answer is in the typed-ahead memory or the cache.
        const again = this.typedAhead.match(snapshot);
        const cachedNow = again === undefined ? this.cache.get(key) : undefined;
        if (again !== undefined || (cachedNow !== undefined && cachedNow !== '')) {
          this.counters.servedByInFlight++;
          log.debug('completion served by the generation in flight');
          return again !== undefined ? this.result(again.text, again.range, 'in-flight', begun, 0, again.origin ?? traceId) : this.shown(snapshot, view.lead + cachedNow!, view.range, 'in-flight', begun, 0, traceId);
        }
      }

      if (request.signal.aborted) {
        throw abortError();
      }
      const debounceMs = this.debounce.delayMs;
      const sleepStart = performance.now();
      await this.sleep(debounceMs, request.signal);
      sleptMs = performance.now() - sleepStart;

      this.counters.generationsStarted++;
      generating = true;
      generationStart = performance.now();
      // The generation outlives this request: the next keystrokes may be served by it (see InFlightGeneration).
      const anchor = snapshot.selectedCompletion === undefined ? anchorOf(snapshot, view.range) : undefined;
      const generation = this.inFlight.start(anchor, (signal, onText) => this.generate({ snapshot, view, template, mode, key, traceId, explicit }, signal, onText, generationStart));
      if (!reuse) {
        request.signal.addEventListener('abort', () => this.inFlight.stop(), { once: true });
      }
      const { text, promptTokens, reusedTokens, confidence } = await unlessAborted(generation, request.signal);
      if (request.signal.aborted) {
        throw abortError();
      }
      if (text === undefined) {
        log.debug('completion empty', { mode, modeReason });
        return undefined;
      }
      const result = this.result(view.lead + text, view.range, 'generated', begun, sleptMs, traceId);
      result.stats.debounceMs = debounceMs;
      result.stats.promptTokens = promptTokens;
      result.stats.reusedTokens = reusedTokens;
      if (confidence !== undefined) result.stats.confidence = confidence;
      log.debug('completion generated', { mode, modeReason, lines: text.split('\n').length, latencyMs: result.stats.latencyMs, promptTokens, confidence });
      return result;
    } catch (err) {
      if (isAbortError(err) || request.signal.aborted) {
        this.counters.cancelled++;
        if (generating) {
          this.counters.cancelledWhileGenerating++;
        }
        log.debug('completion cancelled', { generating });
        return undefined;
      }
      if (!generating) {
        // A failed generation is counted and logged where it ends, also when no request waits for it.
        this.counters.errors++;
        log.error('completion failed', { error: err });
      }
      throw err;
    } finally {
      request.end();
    }
  }

  /**
   * One generation and what it leaves behind when it ends, whether or not a request still waits
   * for it: the measured latency for the debounce, the answer in the cache and, when there is one,
   * in the typed-ahead memory.
   */
  private async generate(job: GenerationJob, signal: AbortSignal, onText: (delta: string) => void, started: number): Promise<GenerationOutcome> {
    const { snapshot, view, key, traceId } = job;
    try {
      const made = await this.runGeneration(job, signal, onText);
      if (signal.aborted) {
        throw abortError();
      }
      this.debounce.recordLatency(performance.now() - started);
      if (made.firstStep !== undefined) this.alternatives.set(key, made.firstStep);
      const out = this.gated(made, job.explicit, traceId);
      this.cache.set(key, out.text ?? '');
      if (out.text === undefined) {
        if (made.text === undefined) this.counters.empty++;
      } else {
        this.counters.generated++;
        this.typedAhead.remember(snapshot, view.lead + out.text, view.range, traceId);
      }
      return out;
    } catch (err) {
      if (isAbortError(err) || signal.aborted) {
        this.debounce.recordLowerBound(performance.now() - started);
        throw abortError();
      }
      this.counters.errors++;
      this.logger.error('completion failed', { error: err, traceId });
      throw err;
    }
  }

  /** `out` as the confidence gate lets it through: whole, cut to its sure part, or held back (never for an explicit request); counted and logged. */
  private gated(out: GenerationOutcome, explicit: boolean, traceId: string): GenerationOutcome {
    const gate = this.options.gate;
    if (gate === undefined || explicit || out.text === undefined || out.confidence === undefined) {
      return out;
    }
    const threshold = gate.threshold();
    if (out.confidence >= threshold) {
      return out;
    }
    const confidence = Math.round(out.confidence * 1000) / 1000;
    // A prefix's probability only falls as tokens join it, so the line measure has a sure part to cut to.
    const prefix = gate.mode === 'truncate' && gate.measure === 'line' ? out.confidentPrefix?.(threshold) : undefined;
    if (prefix !== undefined) {
      this.counters.truncated++;
      this.logger.debug('gate cut to the sure part', { traceId, confidence, threshold, kept: prefix.length, of: out.text.length });
      return { ...out, text: prefix };
    }
    this.counters.gated++;
    this.logger.debug('gate dropped', { traceId, confidence, threshold });
    return { ...out, text: undefined };
  }

  /** What a request's answer depends on: the view of the document, the template, the line mode, and the cache key they make. */
  private requestShape(snapshot: CompletionSnapshot): { view: View; template: FimTemplate; mode: LineMode; modeReason: string; key: string } {
    const view = viewOf(snapshot);
    const template = this.template();
    const { mode, reason: modeReason } = chooseLineMode(view.text, view.offset, snapshot.languageId);
    const key = CompletionCache.key({ family: template.family, path: snapshot.path, mode, prefix: view.text.slice(Math.max(0, view.offset - 4_000), view.offset), suffix: view.text.slice(view.offset, view.offset + 1_000) });
    return { view, template, mode, modeReason, key };
  }

  /**
   * Alternative suggestions for what `main` answered: today the continuation that starts with the
   * model's second most likely first token, when the backend can be made to start with it
   * (forcedPrefix) and it differs from `main`. For explicit requests (cycling with Alt+]).
   */
  async alternativesFor(snapshot: CompletionSnapshot, main: CompletionResult, signal: AbortSignal): Promise<CompletionResult[]> {
    if (this.backend.info().forcedPrefix !== true || main.stats.source === 'typed-ahead') {
      return [];
    }
    const { view, template, mode, key } = this.requestShape(snapshot);
    const step = this.alternatives.get(key);
    const first = step === undefined ? undefined : alternativeFirstToken(step);
    if (first === undefined) {
      return [];
    }
    const begun = performance.now();
    const traceId = `c${this.nextTrace++}`;
    const out = await this.runGeneration({ snapshot, view, template, mode, key, traceId, explicit: true, firstToken: first }, signal, () => undefined);
    if (signal.aborted || out.text === undefined || view.lead + out.text === main.text) {
      return [];
    }
    this.logger.debug('alternative generated', { traceId, first, confidence: out.confidence });
    const result = this.result(view.lead + out.text, view.range, 'generated', begun, 0, traceId);
    if (out.confidence !== undefined) result.stats.confidence = out.confidence;
    return [result];
  }

  private definitionsFor(path: string, view: View): readonly Snippet[] {
    const lookup = this.options.codebase?.();
    if (lookup === undefined) return [];
    return this.contextMemo.stableDefinitions(path, definitionSnippets(view.text, view.offset, path, lookup, MAX_DEFINITIONS));
  }

  private async runGeneration(job: GenerationJob, signal: AbortSignal, onText: (delta: string) => void): Promise<GenerationOutcome> {
    const { snapshot, view, template, mode, traceId, firstToken } = job;
    const settings = this.settings;
    const renderContext = { filePath: snapshot.path, languageId: snapshot.languageId, snippets: [] };
    // A family trained without cross-file context gets none: it would only cost prompt tokens.
    const neighbours = template.snippets ? snapshot.neighbours : [];
    const definitions = template.snippets || template.definitions === true ? this.definitionsFor(snapshot.path, view) : [];
    const info = this.backend.info();
    const maxTokens = mode === 'single' ? Math.min(settings.maxTokens, SINGLE_LINE_MAX_TOKENS) : settings.maxTokens;
    const context = buildContext(
      { path: snapshot.path, languageId: snapshot.languageId, text: view.text, offset: view.offset, neighbours, definitions },
      { promptTokens: promptBudget(settings.promptTokens, maxTokens, template, info.contextLength), reservedTokens: this.countTokens(template.render('', '', renderContext)) },
      this.countTokens,
      this.contextMemo,
    );
    // Models see mostly `\n` in training; the document's own line break is restored in postprocess.
    const lf = (text: string): string => (snapshot.eol === '\r\n' ? text.replace(/\r\n/g, '\n') : text);
    const snippets = context.snippets.map((s) => ({ path: s.path, text: lf(s.text) }));
    const heal = this.options.healing !== false && info.forcedPrefix === true ? healText(context.prefix) : '';
    if (firstToken !== undefined && !firstToken.startsWith(heal)) {
      return { text: undefined, promptTokens: 0, reusedTokens: 0, confidence: undefined, firstStep: undefined };
    }
    // An alternative starts with its own first token: the part beyond the healed word is output the stages must see.
    const forced = firstToken ?? heal;
    const lead = forced.slice(heal.length);
    const prompt = template.render(lf(context.prefix.slice(0, context.prefix.length - heal.length)), lf(context.suffix), { ...renderContext, snippets });
    const estimated = context.tokens.prefix + context.tokens.suffix + context.tokens.snippets;

    const generation = new AbortController();
    const onAbort = (): void => generation.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let stats: GenerationStats | undefined;
    const onStats = (s: GenerationStats): void => {
      stats = s;
      this.options.onBackendStats?.(traceId, s);
    };
    try {
      const chunks = this.backend.generate(
        {
          prompt,
          maxTokens,
          temperature: 0,
          stop: mode === 'single' ? [...template.stop, '\n'] : template.stop,
          priority: 'interactive',
          traceId,
          logprobs: TOP_LOGPROBS,
          ...(forced !== '' ? { forcedPrefix: forced } : {}),
        },
        generation.signal,
      );
      const suffixHead = view.text.slice(view.offset, view.offset + SUFFIX_HEAD_CHARS);
      const guards = this.options.guards ?? 'all';
      const log = this.logger.child({ traceId });
      const trail = new TokenTrail();
      trail.add(lead, undefined);
      const texts = prepend(lead, textDeltas(tapText(recordTrail(chunks, trail), onText), onStats, () => generation.abort()));
      const collected = await collectLines(streamStages(texts, { mode, view, suffixHead, tabSize: snapshot.indentation.tabSize, maxLines: settings.maxLines, guards, log }));
      const text = postprocess(collected, {
        suffix: suffixHead,
        prefix: view.text.slice(Math.max(0, view.offset - PREFIX_TAIL_CHARS), view.offset),
        languageId: snapshot.languageId,
        eol: snapshot.eol,
        insertSpaces: snapshot.indentation.insertSpaces,
        tabSize: snapshot.indentation.tabSize,
        guards,
        logger: log,
      });
      return {
        text,
        promptTokens: stats?.promptTokens ?? estimated,
        reusedTokens: stats?.reusedTokens ?? 0,
        confidence: text === undefined ? undefined : confidenceOf(trail, text, this.options.gate?.measure),
        firstStep: firstToken === undefined ? firstStepOf(trail, heal) : undefined,
        ...(text !== undefined ? { confidentPrefix: (threshold: number) => confidentPrefix(trail, text, threshold) } : {}),
      };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private shown(snapshot: CompletionSnapshot, text: string, range: OffsetRange, source: CompletionSource, begun: number, sleptMs: number, traceId: string): CompletionResult {
    this.typedAhead.remember(snapshot, text, range, traceId);
    return this.result(text, range, source, begun, sleptMs, traceId);
  }

  private result(text: string, range: OffsetRange, source: CompletionSource, begun: number, sleptMs: number, traceId: string): CompletionResult {
    return { text, range, stats: { latencyMs: performance.now() - begun - sleptMs, debounceMs: 0, promptTokens: 0, reusedTokens: 0, source, traceId } };
  }
}

/**
 * Prompt tokens for one request: the setting, cut so that prompt and output fit the model's
 * context window and the windows its family was trained on (never under 64: with a tiny window
 * the engine shortens the output instead).
 */
export function promptBudget(setting: number, maxTokens: number, template: FimTemplate, contextLength: number | undefined): number {
  const window = Math.min(contextLength ?? Infinity, template.trainedContext ?? Infinity);
  return Math.max(Math.min(setting, window - maxTokens), Math.min(setting, 64));
}

interface StreamContext {
  mode: LineMode;
  view: View;
  suffixHead: string;
  tabSize: number;
  maxLines: number;
  guards: GuardSelection;
  log: Logger;
}

/**
 * The stream stages in order: stop a line that loops on a word -> lines -> one line, or (several
 * lines) stop at the dedent, at repeated lines, at the suffix -> at most `maxLines`. Each stage
 * that ends the stream early also ends the generation.
 */
function streamStages(texts: AsyncIterable<string>, { mode, view, suffixHead, tabSize, maxLines, guards, log }: StreamContext): AsyncIterable<string> {
  const looped = isGuardOn(guards, 'repetition') ? stopAtRepetitionInLine(texts, () => log.debug('guard cut', { guard: 'repetition', reason: 'a word or phrase repeated in a row', stage: 'stream' })) : texts;
  const lines = splitIntoLines(looped);
  if (mode === 'single') {
    return takeLines(lines, 1);
  }
  const before = cursorLine(view.text, view.offset).before;
  const minIndent = isBlank(before) ? indentWidth(before, tabSize) : indentWidth(before, tabSize) + 1;
  return takeLines(stopAtSuffix(stopAtRepeatedLines(stopAtDedent(lines, minIndent, tabSize)), suffixHead), Math.max(1, maxLines));
}

/** `lead` (when not empty) as the first delta, then `texts`. */
async function* prepend(lead: string, texts: AsyncIterable<string>): AsyncGenerator<string> {
  if (lead !== '') {
    yield lead;
  }
  yield* texts;
}

/** The chunks unchanged; each text delta is also passed to `onText` as it arrives. */
async function* tapText(chunks: AsyncIterable<GenerationChunk>, onText: (delta: string) => void): AsyncGenerator<GenerationChunk> {
  for await (const chunk of chunks) {
    if (chunk.type === 'text' && chunk.text !== '') {
      onText(chunk.text);
    }
    yield chunk;
  }
}

/** With a selected IntelliSense item, the completion continues the document as if it were inserted. */
function viewOf(snapshot: CompletionSnapshot): View {
  const item = snapshot.selectedCompletion;
  if (item === undefined) {
    return { text: snapshot.text, offset: snapshot.offset, range: { start: snapshot.offset, end: snapshot.offset }, lead: '' };
  }
  const text = snapshot.text.slice(0, item.range.start) + item.text + snapshot.text.slice(item.range.end);
  return { text, offset: item.range.start + item.text.length, range: { ...item.range }, lead: item.text };
}
