/**
 * The local engine in this window's own process, as a LocalBackend. The model loads on the first
 * request that needs it, never at activation; a failed load is reported to that request and
 * retried by the next one. Requests and stats pass between the contract and the engine unchanged.
 */
import * as path from 'node:path';
import { isAbortError } from '../common/errors';
import type { Logger } from '../common/logger';
import { Engine, generateChat, type ChatEvent, type EngineOptions, type ModelVariant, type ProviderSetting } from '../engine';
import type { ChatGenerationRequest, GenerationChunk, GenerationRequest } from '../protocol/generation';
import type { ModelSpec, SetHttpResult } from '../protocol/service';
import type { BackendInfo, EngineLiveStats, LocalBackend } from './backend';

export interface LocalEngineBackendOptions {
  modelDir: string;
  variant: ModelVariant;
  provider: ProviderSetting;
  /** 0 lets onnxruntime choose. */
  threads: number;
  logger: Logger;
  /** Called when the model finished loading or failed to (status bar, chat view). */
  onStateChange?: () => void;
  /** Called once per backend when the model fails to load, to tell the user. */
  onLoadError?: (err: unknown) => void;
}

export class LocalEngineBackend implements LocalBackend {
  private loading: Promise<Engine> | undefined;
  private loaded: Engine | undefined;
  private disposed = false;
  private loadErrorReported = false;

  constructor(
    private readonly options: LocalEngineBackendOptions,
    private readonly load: (options: EngineOptions) => Promise<Engine> = (o) => Engine.load(o),
  ) {}

  /** The engine, loading it on first use. */
  engine(): Promise<Engine> {
    if (!this.loading) {
      const started = Date.now();
      this.options.logger.info('Loading model', { modelDir: this.options.modelDir, variant: this.options.variant, provider: this.options.provider });
      this.loading = this.load({
        modelDir: this.options.modelDir,
        variant: this.options.variant,
        provider: this.options.provider,
        ...(this.options.threads > 0 ? { threads: this.options.threads } : {}),
        logger: this.options.logger,
      }).then(
        (engine) => {
          if (this.disposed) {
            void engine.dispose();
            throw new Error('The backend was disposed while the model loaded');
          }
          this.loaded = engine;
          this.options.logger.info('Model ready', { model: engine.model.name, provider: engine.model.provider, variant: engine.model.variant, loadMs: Date.now() - started });
          this.options.onStateChange?.();
          return engine;
        },
        (err: unknown) => {
          this.loading = undefined;
          this.options.logger.error('Model failed to load', { error: err, modelDir: this.options.modelDir });
          if (!this.loadErrorReported) {
            this.loadErrorReported = true;
            this.options.onLoadError?.(err);
          }
          this.options.onStateChange?.();
          throw err;
        },
      );
    }
    return this.loading;
  }

  info(): BackendInfo {
    const engine = this.loaded;
    const m = engine?.model;
    return {
      kind: 'local',
      modelName: m?.name ?? path.basename(this.options.modelDir),
      ...(m ? { modelType: m.config.modelType, contextLength: m.contextLength, variant: m.variant } : {}),
      ...(engine ? { forcedPrefix: engine.supportsForcedPrefix } : {}),
      device: m ? m.provider : 'not loaded',
      loaded: m !== undefined,
    };
  }

  generate(request: GenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk> {
    return this.run((engine) => engine.generate(request, signal), signal);
  }

  chat(request: ChatGenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk> {
    return this.run((engine) => generateChat(engine, request, signal, this.options.logger), signal);
  }

  async countTokens(text: string): Promise<number> {
    return (await this.engine()).countTokens(text);
  }

  /** The tokenizer's count once the model is loaded; undefined before (callers estimate). */
  countTokensNow(text: string): number | undefined {
    return this.loaded?.countTokens(text);
  }

  /** An engine in the window cannot be swapped in place: the host replaces this backend. */
  async switchModel(_spec: ModelSpec): Promise<boolean> {
    return false;
  }

  /** The HTTP API is served by the shared service only. */
  readonly http = undefined;

  async setHttp(_port: number | null): Promise<SetHttpResult | undefined> {
    return undefined;
  }

  /** Loads the model if it is not loaded yet, like any request. */
  async liveStats(): Promise<EngineLiveStats> {
    const engine = await this.engine();
    const s = engine.stats();
    return {
      where: 'this window',
      model: engine.model.name,
      device: s.provider,
      queueDepth: s.queuedRequests,
      activeRequests: s.activeRequests,
      prefixCacheHitRate: s.promptTokensTotal > 0 ? s.reusedTokensTotal / s.promptTokensTotal : 0,
      residentMemoryBytes: process.memoryUsage().rss,
    };
  }

  /**
   * Resolves without doing anything: the engine runs in the window's own process, so there is no
   * process to restart, and dropping the model would only make the next request wait for a load.
   */
  async restart(): Promise<void> {}

  /** Resolves at once: an engine in this window's process is known to `info()` already. */
  async attachIfRunning(): Promise<void> {}

  dispose(): void {
    this.disposed = true;
    void this.loaded?.dispose();
  }

  private async *run(events: (engine: Engine) => AsyncIterable<ChatEvent>, signal: AbortSignal): AsyncIterable<GenerationChunk> {
    const engine = await this.engine();
    if (signal.aborted) {
      return;
    }
    try {
      for await (const event of events(engine)) {
        if (event.type === 'done') {
          yield { type: 'done', stats: event.stats };
        } else if (event.type === 'tool-call') {
          yield { type: 'tool-call', call: event.call };
        } else if (event.text !== '' || event.logprobs !== undefined) {
          yield { type: 'text', text: event.text, ...(event.logprobs !== undefined ? { logprobs: event.logprobs } : {}) };
        }
      }
    } catch (err) {
      if (signal.aborted && isAbortError(err)) {
        return;
      }
      throw err;
    }
  }
}
