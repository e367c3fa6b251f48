/**
 * Owns the service's one engine: loads it on demand (once, however many clients ask), switches
 * to another model without restarting the process, and runs every generation through one path
 * that keeps the metrics.
 */
import * as path from 'node:path';
import { AutoGlmError, BusyError, errorMessage, isAbortError } from '../common/errors';
import type { Logger } from '../common/logger';
import { Engine, generateChat, type ChatEvent, type EngineOptions } from '../engine';
import type { ChatMessage, GenerationOptions, ToolChoice, ToolDefinition } from '../protocol/generation';
import type { ModelSpec, ServiceModelInfo } from '../protocol/service';
import type { ServiceMetrics } from './metrics';

export interface EngineHostOptions {
  /** Called after a load finished or failed, and after a switch. */
  onModelChange?: () => void;
  /** Most requests waiting for a batch slot before BusyError; default 1024 (many windows and HTTP callers share it). */
  maxQueue?: number;
  /** How long a replaced model may finish its requests before it is disposed; default 30 s. */
  drainMs?: number;
  load?: (options: EngineOptions) => Promise<Engine>;
}

/** A raw prompt, or a chat turn rendered here with the model's template (and its tools, if any). */
export type PromptSource = { text: string } | { messages: readonly ChatMessage[]; tools?: readonly ToolDefinition[]; toolChoice?: ToolChoice };

/** The contract's options with the prompt as text or as chat messages, rendered here. */
export type HostRequest = GenerationOptions & { prompt: PromptSource };

export class EngineHost {
  modelLoads = 0;
  private spec: ModelSpec;
  private loading: Promise<Engine> | undefined;
  private current: Engine | undefined;
  private loadError: string | undefined;
  private disposed = false;
  /** Counts switches asked for, so that one overtaken by a later one is dropped. */
  private switches = 0;

  constructor(
    spec: ModelSpec,
    private readonly logger: Logger,
    private readonly metrics: ServiceMetrics,
    private readonly options: EngineHostOptions = {},
  ) {
    this.spec = spec;
  }

  get modelSpec(): ModelSpec {
    return this.spec;
  }

  get loaded(): Engine | undefined {
    return this.current;
  }

  engine(): Promise<Engine> {
    if (this.disposed) {
      return Promise.reject(new AutoGlmError('The service is shutting down', 'shutting-down'));
    }
    this.loading ??= this.loadCurrent(this.spec);
    return this.loading;
  }

  /**
   * The first load of `spec`. A switch that lands while it runs takes over: this load's engine is
   * then released, and whoever waited on it gets the switched one.
   */
  private loadCurrent(spec: ModelSpec): Promise<Engine> {
    const loading: Promise<Engine> = this.load(spec).then(
      (engine) => {
        if (this.loading !== loading) {
          void engine.dispose();
          return this.engine();
        }
        this.current = engine;
        this.options.onModelChange?.();
        return engine;
      },
      (err: unknown) => {
        if (this.loading !== loading) {
          return this.engine();
        }
        this.loading = undefined;
        this.options.onModelChange?.();
        throw err;
      },
    );
    return loading;
  }

  private async load(spec: ModelSpec): Promise<Engine> {
    const started = Date.now();
    this.logger.info('loading model', { modelDir: spec.modelDir, variant: spec.variant, provider: spec.provider });
    try {
      const engine = await (this.options.load ?? ((o) => Engine.load(o)))({
        modelDir: spec.modelDir,
        variant: spec.variant,
        provider: spec.provider,
        ...(spec.threads > 0 ? { threads: spec.threads } : {}),
        maxQueue: this.options.maxQueue ?? 1024,
        logger: this.logger,
      });
      this.modelLoads++;
      this.loadError = undefined;
      this.logger.info('model ready', { model: engine.model.name, provider: engine.model.provider, variant: engine.model.variant, loadMs: Date.now() - started, modelLoads: this.modelLoads });
      if (this.disposed) {
        await engine.dispose();
        throw new AutoGlmError('The service is shutting down', 'shutting-down');
      }
      return engine;
    } catch (err) {
      this.loadError = errorMessage(err);
      this.logger.error('model failed to load', { error: err, modelDir: spec.modelDir });
      throw err;
    }
  }

  /**
   * Loads `spec` beside the current model, then routes new requests to it; the old one finishes
   * its requests (up to `drainMs`) and is released. The model already loaded (or loading) is not
   * loaded twice; of two switches under way, the later one asked for wins.
   */
  async switchModel(spec: ModelSpec): Promise<ServiceModelInfo> {
    const ticket = ++this.switches;
    if (sameSpec(spec, this.spec) && this.loading) {
      const loaded = await this.loading.then(
        () => true,
        () => false,
      );
      if (loaded || ticket !== this.switches) return this.modelInfo();
    }
    const next = await this.load(spec);
    if (ticket !== this.switches || this.disposed) {
      void next.dispose();
      return this.modelInfo();
    }
    const old = this.current;
    this.spec = spec;
    this.current = next;
    this.loading = Promise.resolve(next);
    if (old && old !== next) this.retire(old);
    this.options.onModelChange?.();
    return this.modelInfo();
  }

  private retire(old: Engine): void {
    const drain = this.options.drainMs ?? 30_000;
    void Promise.race([old.whenIdle(), new Promise<void>((r) => setTimeout(r, drain).unref())]).then(() => old.dispose());
  }

  modelInfo(): ServiceModelInfo {
    const engine = this.current;
    const m = engine?.model;
    return {
      name: m?.name ?? path.basename(this.spec.modelDir),
      modelDir: this.spec.modelDir,
      loaded: m !== undefined,
      ...(m ? { provider: m.provider, variant: m.variant, modelType: m.config.modelType, contextLength: m.contextLength } : {}),
      ...(engine ? { forcedPrefix: engine.supportsForcedPrefix } : {}),
      ...(this.loadError !== undefined ? { loadError: this.loadError } : {}),
    };
  }

  /**
   * Streams one request and records it in the metrics under `api`. Cancellation ends the stream
   * without an error (the caller sees no `done`); other failures are thrown.
   */
  async *generate(api: string, request: HostRequest, signal: AbortSignal, logger: Logger): AsyncGenerator<ChatEvent> {
    const started = performance.now();
    // Leaving the loop early (a closed HTTP connection) counts as cancelled, like an abort.
    let outcome = 'cancelled';
    let sawToken = false;
    try {
      const engine = await this.engine();
      if (signal.aborted) {
        return;
      }
      const { prompt, ...options } = request;
      const events = 'text' in prompt ? engine.generate({ ...options, prompt: prompt.text }, signal) : generateChat(engine, { ...options, ...prompt }, signal, logger);
      for await (const event of events) {
        if (!sawToken && event.type !== 'tool-call' && event.tokenIds.length > 0) {
          sawToken = true;
          this.metrics.firstTokenLatency.observe((performance.now() - started) / 1000, { api });
        }
        if (event.type === 'done') {
          const s = event.stats;
          this.metrics.recordTokens(s.promptTokens, s.reusedTokens, s.generatedTokens);
          this.metrics.requestLatency.observe((performance.now() - started) / 1000, { api });
          outcome = 'ok';
          logger.debug('generation done', { api, promptTokens: s.promptTokens, reusedTokens: s.reusedTokens, generatedTokens: s.generatedTokens, stopReason: s.stopReason, totalMs: Math.round(s.totalMs) });
        }
        yield event;
      }
    } catch (err) {
      if (signal.aborted && isAbortError(err)) {
        return;
      }
      outcome = err instanceof BusyError ? 'busy' : 'error';
      throw err;
    } finally {
      this.metrics.generations.inc({ api, outcome });
      if (outcome === 'cancelled') {
        logger.debug('generation cancelled', { api, ms: Math.round(performance.now() - started) });
      }
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const engine = this.current ?? (this.loading ? await this.loading.catch(() => undefined) : undefined);
    this.current = undefined;
    await engine?.dispose();
  }
}

function sameSpec(a: ModelSpec, b: ModelSpec): boolean {
  return a.modelDir === b.modelDir && a.variant === b.variant && a.provider === b.provider && a.threads === b.threads;
}
