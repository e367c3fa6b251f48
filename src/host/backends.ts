import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Backend, BackendInfo, ChatGenerationRequest, EngineLiveStats, GenerationChunk, GenerationRequest, LocalBackend } from '../backends/backend';
import { LocalEngineBackend } from '../backends/localEngine';
import { RemoteBackend } from '../backends/remote';
import { ServiceClientBackend } from '../backends/serviceBackend';
import { errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import { estimateTokens, type TokenCounting } from '../common/tokens';
import type { ModelSpec } from '../protocol/service';
import type { AutoGlmConfig } from './configuration';
import { modelDisplayName, settingsModelDir, type LocalModelState } from './modelInfo';
import { LocalModelTracker } from './models/localModelTracker';

export const REMOTE_API_KEY_SECRET = 'autoglm.remote.apiKey';

export type Role = 'completion' | 'chat';

/** What a settings change means for the backends; computed here and nowhere else. */
export interface BackendChange {
  /** The local engine must be recreated (process mode or its logging changed). */
  recreateLocal: boolean;
  /** Another model, variant or execution provider: switched in place where the backend can. */
  model: boolean;
  /** The local OpenAI-compatible API was turned on or off, or moved. */
  http: boolean;
  remote: boolean;
  /** Anything that changes which backend or model answers a request. */
  any: boolean;
}

export function backendChange(prev: AutoGlmConfig, next: AutoGlmConfig): BackendChange {
  return {
    recreateLocal: next.engine.mode !== prev.engine.mode || next.log.level !== prev.log.level || next.log.prompts !== prev.log.prompts,
    model:
      next.model.path !== prev.model.path ||
      next.model.variant !== prev.model.variant ||
      next.engine.executionProvider !== prev.engine.executionProvider ||
      next.engine.threads !== prev.engine.threads,
    http: next.server.enabled !== prev.server.enabled || next.server.port !== prev.server.port,
    remote: JSON.stringify(next.remote) !== JSON.stringify(prev.remote),
    any: JSON.stringify([next.model, next.engine, next.backend, next.remote]) !== JSON.stringify([prev.model, prev.engine, prev.backend, prev.remote]),
  };
}

export interface LocalBackendHooks {
  logger: Logger;
  onStateChange(): void;
  onLoadError(err: unknown): void;
}

function modelSpec(config: AutoGlmConfig, extensionPath: string): ModelSpec {
  return { modelDir: settingsModelDir(config, extensionPath), variant: config.model.variant, provider: config.engine.executionProvider, threads: config.engine.threads };
}

/** Loads the backend's model now, as its first request would; throws what that request would see. */
async function loadNow(backend: LocalBackend): Promise<void> {
  await backend.countTokens('');
}

/** The one place that knows the concrete local backends: the shared service, or an engine in this window. */
export function createLocalBackend(config: AutoGlmConfig, extensionPath: string, hooks: LocalBackendHooks): LocalBackend {
  const model = modelSpec(config, extensionPath);
  if (config.engine.mode !== 'service') {
    return new LocalEngineBackend({ ...model, logger: hooks.logger, onStateChange: hooks.onStateChange, onLoadError: hooks.onLoadError });
  }
  return new ServiceClientBackend({
    nodePath: process.execPath,
    serviceArgs: [path.join(extensionPath, 'dist', 'service.js')],
    model,
    idleShutdownMs: config.engine.serviceIdleMinutes * 60_000,
    ...(config.server.enabled ? { httpPort: config.server.port } : {}),
    serviceLogLevel: config.log.level,
    forwardLogLevel: config.log.level,
    logPrompts: config.log.prompts,
    logger: hooks.logger,
    clientName: `VS Code ${vscode.env.appName} window ${process.pid}`,
    onStateChange: hooks.onStateChange,
  });
}

/** Counts with the tokenizer while one is at hand, else estimates; says which it does now. */
class CountingWith implements TokenCounting {
  constructor(private readonly countNow: (text: string) => number | undefined) {}

  readonly count = (text: string): number => this.countNow(text) ?? estimateTokens(text);

  get exact(): boolean {
    return this.countNow('') !== undefined;
  }
}

/**
 * Owns the backends: the local engine (a shared service process, or in this window) and a remote
 * OpenAI-compatible server, and says which one serves completion and which one chat.
 */
export class Backends implements vscode.Disposable {
  private local: LocalBackend | undefined;
  private remote: RemoteBackend | undefined;
  private loadErrorShown = false;
  /** Which local model answers, and a model asked for that has not replaced it (yet). */
  private readonly model: LocalModelTracker;
  /** Model switches run one after another, so that the last settings win. */
  private switching: Promise<void> = Promise.resolve();
  /** Token counts for synchronous callers: the local tokenizer when it is loaded, else the estimate. */
  readonly tokens: TokenCounting;

  constructor(
    private config: AutoGlmConfig,
    private readonly context: vscode.ExtensionContext,
    private readonly logger: Logger,
    private readonly onStateChange: () => void,
    private readonly showLog: () => void,
  ) {
    this.tokens = new CountingWith((text) => this.countTokensNow(text));
    this.model = new LocalModelTracker(settingsModelDir(config, context.extensionPath), () => this.onStateChange());
  }

  /** Which local model answers and which one is loading or failed to; the status shows both. */
  get localModel(): LocalModelState {
    return this.model.state;
  }

  /** The local engine, created on first use; nothing is loaded before a request needs it. */
  localBackend(): LocalBackend {
    this.local ??= this.newLocal(this.config, (err) => this.firstLoadFailed(this.config, err));
    return this.local;
  }

  private newLocal(config: AutoGlmConfig, onLoadError: (err: unknown) => void): LocalBackend {
    return createLocalBackend(config, this.context.extensionPath, {
      logger: this.logger.child({ component: 'backend' }),
      onStateChange: () => this.localStateChanged(),
      onLoadError,
    });
  }

  /** A folder that failed on a first load and has loaded since (a later request retried it) is no longer a failure. */
  private localStateChanged(): void {
    if (this.local?.info().loaded) {
      this.model.answeringLoaded();
    }
    this.onStateChange();
  }

  /** The remote server's backend, with the API key from VS Code's secret storage. */
  private async remoteBackend(): Promise<RemoteBackend> {
    if (!this.remote) {
      const r = this.config.remote;
      if (r.baseUrl === '') {
        throw new Error('autoglm.remote.baseUrl is empty: set the URL of the OpenAI-compatible server (for example http://gpu-box:8000/v1).');
      }
      const apiKey = await this.context.secrets.get(REMOTE_API_KEY_SECRET);
      this.remote = new RemoteBackend({
        baseUrl: r.baseUrl,
        model: r.model,
        ...(apiKey ? { apiKey } : {}),
        connectTimeoutMs: r.timeoutMs,
        ...(r.contextTokens > 0 ? { contextLength: r.contextTokens } : {}),
        logger: this.logger.child({ component: 'remote' }),
      });
    }
    return this.remote;
  }

  /** The backend a role uses; a remote one is resolved lazily so activation stays synchronous. */
  forRole(role: Role): Backend {
    const useRemote = (role === 'completion' ? this.config.backend.completion : this.config.backend.chat) === 'remote';
    return useRemote ? this.lazyRemote() : this.trackedLocal();
  }

  /** The local engine for a role: the same backend, with a request that must load the model first shown as loading it. */
  private trackedLocal(): Backend {
    const local = this.localBackend();
    return {
      info: () => local.info(),
      generate: (request, signal) => this.whileFirstLoad(local, () => local.generate(request, signal)),
      chat: (request, signal) => this.whileFirstLoad(local, () => local.chat(request, signal)),
      countTokens: (text) => local.countTokens(text),
      countTokensNow: (text) => local.countTokensNow(text),
      dispose: () => undefined,
    };
  }

  private async *whileFirstLoad(local: LocalBackend, open: () => AsyncIterable<GenerationChunk>): AsyncIterable<GenerationChunk> {
    const end = local.info().loaded ? () => undefined : this.model.firstLoad();
    try {
      for await (const chunk of open()) {
        // The first answer means the model has loaded.
        end();
        yield chunk;
      }
    } finally {
      end();
    }
  }

  private lazyRemote(): Backend {
    const remote = (): Promise<RemoteBackend> => this.remoteBackend();
    const config = this.config;
    return {
      info: (): BackendInfo => this.remote?.info() ?? { kind: 'remote', modelName: config.remote.model || 'remote model', device: config.remote.baseUrl, loaded: false, ...(config.remote.contextTokens > 0 ? { contextLength: config.remote.contextTokens } : {}) },
      generate: (request: GenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk> => ({
        async *[Symbol.asyncIterator]() {
          yield* (await remote()).generate(request, signal);
        },
      }),
      chat: (request: ChatGenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk> => ({
        async *[Symbol.asyncIterator]() {
          yield* (await remote()).chat(request, signal);
        },
      }),
      countTokens: async (text: string) => (await remote()).countTokens(text),
      countTokensNow: (text: string) => this.remote?.countTokensNow(text),
      dispose: () => undefined,
    };
  }

  /** Token count now, when the local engine has its tokenizer at hand; otherwise undefined. */
  countTokensNow(text: string): number | undefined {
    return this.local?.countTokensNow(text);
  }

  /** Applies new settings: switches the model in place where possible, recreates what must be. */
  async update(next: AutoGlmConfig): Promise<void> {
    const change = backendChange(this.config, next);
    this.config = next;
    if (change.recreateLocal) {
      this.dropLocal();
      this.model.reset(settingsModelDir(next, this.context.extensionPath));
    } else if (change.model) {
      this.loadErrorShown = false;
      this.switching = this.switching.then(() => this.switchModel(next));
      await this.switching;
    }
    if (change.http) {
      await this.local?.setHttp(next.server.enabled ? next.server.port : null);
    }
    if (change.remote) {
      this.resetRemote();
    }
    this.onStateChange();
  }

  /**
   * Loads the model `next` asks for while the current one keeps answering, and only then routes
   * requests to it; when it fails, the current model stays and the user is told what is wrong.
   * With no engine yet, nothing is loaded: the first request loads the new folder.
   */
  private async switchModel(next: AutoGlmConfig): Promise<void> {
    const spec = modelSpec(next, this.context.extensionPath);
    const local = this.local;
    if (!local) {
      this.model.reset(spec.modelDir);
      return;
    }
    this.model.switching(spec.modelDir);
    try {
      if (!(await local.switchModel(spec))) {
        await this.replaceLocal(local, next);
      }
      this.model.switched(spec.modelDir);
    } catch (err) {
      this.switchFailed(spec.modelDir, err);
    }
  }

  /**
   * For a backend that cannot switch in place: a loaded one stays until its successor has loaded;
   * one that never loaded has nothing to keep, and is replaced at once.
   */
  private async replaceLocal(old: LocalBackend, next: AutoGlmConfig): Promise<void> {
    if (!old.info().loaded) {
      this.dropLocal();
      return;
    }
    const successor = this.newLocal(next, () => undefined);
    try {
      await loadNow(successor);
    } catch (err) {
      successor.dispose();
      throw err;
    }
    if (this.local === old) {
      this.local = successor;
      old.dispose();
    } else {
      successor.dispose();
    }
  }

  private dropLocal(): void {
    this.local?.dispose();
    this.local = undefined;
  }

  /** Forgets the cached remote backend so that a new API key is used. */
  resetRemote(): void {
    this.remote?.dispose();
    this.remote = undefined;
  }

  liveStats(): Promise<EngineLiveStats> {
    return this.localBackend().liveStats();
  }

  /** The token file of the local OpenAI-compatible API, when it is on. */
  tokenFile(): string | undefined {
    return this.local?.http?.tokenFile;
  }

  httpUrl(): string | undefined {
    return this.local?.http?.url;
  }

  /** After repeated crashes the service stops being restarted; this lets the next request start it again. */
  async restartService(): Promise<void> {
    await this.local?.restart().catch((err: unknown) => this.logger.warn('Stopping the engine service failed', { error: err }));
  }

  /** A first load (by a request) failed: nothing answers until a load succeeds. */
  private firstLoadFailed(config: AutoGlmConfig, err: unknown): void {
    this.switchFailed(settingsModelDir(config, this.context.extensionPath), err);
  }

  private switchFailed(modelDir: string, err: unknown): void {
    this.logger.error('The model did not load', { modelDir, error: err });
    this.model.failed(modelDir, err);
    this.reportLoadError(modelDir, err);
  }

  private reportLoadError(modelDir: string, err: unknown): void {
    if (this.loadErrorShown) {
      return;
    }
    this.loadErrorShown = true;
    const still = this.local?.info().loaded ? ` ${modelDisplayName(this.model.state.answeringDir)} still answers.` : '';
    const message = `Open AutoGLM could not load the model in ${modelDir}: ${errorMessage(err).replace(/\.$/, '')}.${still}`;
    void vscode.window.showErrorMessage(message, 'Choose Model…', 'Open Log').then((pick) => {
      if (pick === 'Open Log') {
        this.showLog();
      } else if (pick) {
        void vscode.commands.executeCommand('autoglm.chooseModel');
      }
    });
  }

  dispose(): void {
    this.local?.dispose();
    this.remote?.dispose();
  }
}
