/**
 * The local engine as a Backend. The model loads on the first request that needs it, never at
 * activation; a failed load is reported to that request and retried by the next one.
 */
import * as path from 'node:path';
import { isAbortError } from '../common/errors';
import type { Logger } from '../common/logger';
import { Engine, type EngineOptions, type GenerateRequest, type ModelVariant, type ProviderSetting } from '../engine';
import type { Backend, BackendChatRequest, BackendChunk, BackendInfo, BackendRequest } from './backend';

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

export class LocalEngineBackend implements Backend {
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
      ...(m ? { modelType: m.config.modelType, contextLength: m.contextLength } : {}),
      ...(engine ? { forcedPrefix: engine.supportsForcedPrefix } : {}),
      device: m ? m.provider : 'not loaded',
      loaded: m !== undefined,
    };
  }

  generate(request: BackendRequest, signal: AbortSignal): AsyncIterable<BackendChunk> {
    return this.run(async () => request.prompt, request, signal);
  }

  chat(request: BackendChatRequest, signal: AbortSignal): AsyncIterable<BackendChunk> {
    return this.run(async (engine) => engine.renderChat(request.messages, { addGenerationPrompt: true }), request, signal);
  }

  async countTokens(text: string): Promise<number> {
    return (await this.engine()).countTokens(text);
  }

  /** The tokenizer's count once the model is loaded; undefined before (callers estimate). */
  countTokensIfLoaded(text: string): number | undefined {
    return this.loaded?.countTokens(text);
  }

  dispose(): void {
    this.disposed = true;
    void this.loaded?.dispose();
  }

  private async *run(prompt: (engine: Engine) => Promise<string>, request: Omit<BackendRequest, 'prompt'>, signal: AbortSignal): AsyncIterable<BackendChunk> {
    const engine = await this.engine();
    if (signal.aborted) {
      return;
    }
    const req: GenerateRequest = {
      prompt: await prompt(engine),
      maxTokens: request.maxTokens,
      priority: request.priority,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.topK !== undefined ? { topK: request.topK } : {}),
      ...(request.topP !== undefined ? { topP: request.topP } : {}),
      ...(request.repetitionPenalty !== undefined ? { repetitionPenalty: request.repetitionPenalty } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(request.stop !== undefined ? { stop: request.stop } : {}),
      ...(request.forcedPrefix !== undefined ? { forcedPrefix: request.forcedPrefix } : {}),
    };
    try {
      for await (const event of engine.generate(req, signal)) {
        if (event.type === 'delta') {
          if (event.text !== '') {
            yield { type: 'text', text: event.text };
          }
        } else {
          const s = event.stats;
          yield {
            type: 'done',
            stats: {
              promptTokens: s.promptTokens,
              reusedTokens: s.reusedTokens,
              generatedTokens: s.generatedTokens,
              timeToFirstTokenMs: s.timeToFirstTokenMs,
              tokensPerSecond: s.tokensPerSecond,
              stopReason: s.stopReason,
            },
          };
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
