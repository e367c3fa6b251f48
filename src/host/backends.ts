import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Backend, BackendChatRequest, BackendChunk, BackendInfo, BackendRequest } from '../backends/backend';
import { LocalEngineBackend } from '../backends/localEngine';
import { RemoteBackend } from '../backends/remote';
import { ServiceClientBackend } from '../backends/serviceBackend';
import { errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import type { AutoGlmConfig } from './configuration';
import { BUNDLED_MODEL_DIR } from './modelInfo';

export const REMOTE_API_KEY_SECRET = 'autoglm.remote.apiKey';

export type Role = 'completion' | 'chat';

/** Live numbers for the stats command, from whichever local engine runs. */
export interface LiveStats {
  where: string;
  model: string;
  device: string;
  queueDepth: number;
  activeRequests: number;
  tokensPerSecond?: number;
  prefixCacheHitRate: number;
  connectedWindows?: number;
  modelLoads?: number;
  residentMemoryBytes?: number;
  logFile?: string;
}

/**
 * Owns the backends: the local engine (a shared service process, or in this window) and a remote
 * OpenAI-compatible server, and says which one serves completion and which one chat.
 */
export class Backends implements vscode.Disposable {
  private local: LocalEngineBackend | ServiceClientBackend | undefined;
  private remote: RemoteBackend | undefined;
  private loadErrorShown = false;

  constructor(
    private config: AutoGlmConfig,
    private readonly context: vscode.ExtensionContext,
    private readonly logger: Logger,
    private readonly onStateChange: () => void,
    private readonly showLog: () => void,
  ) {}

  modelDir(config = this.config): string {
    return config.model.path === '' ? path.join(this.context.extensionPath, BUNDLED_MODEL_DIR) : config.model.path;
  }

  /** The local engine, created on first use; nothing is loaded before a request needs it. */
  localBackend(): LocalEngineBackend | ServiceClientBackend {
    if (!this.local) {
      const logger = this.logger.child({ component: 'backend' });
      const model = { modelDir: this.modelDir(), variant: this.config.model.variant, provider: this.config.engine.executionProvider, threads: this.config.engine.threads };
      this.local =
        this.config.engine.mode === 'service'
          ? new ServiceClientBackend({
              nodePath: process.execPath,
              serviceArgs: [path.join(this.context.extensionPath, 'dist', 'service.js')],
              model,
              idleShutdownMs: this.config.engine.serviceIdleMinutes * 60_000,
              ...(this.config.server.enabled ? { httpPort: this.config.server.port } : {}),
              serviceLogLevel: this.config.log.level,
              forwardLogLevel: this.config.log.level,
              logPrompts: this.config.log.prompts,
              logger,
              clientName: `VS Code ${vscode.env.appName} window ${process.pid}`,
              onStateChange: this.onStateChange,
            })
          : new LocalEngineBackend({ ...model, logger, onStateChange: this.onStateChange, onLoadError: (err) => this.reportLoadError(err) });
    }
    return this.local;
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
        logger: this.logger.child({ component: 'remote' }),
      });
    }
    return this.remote;
  }

  /** The backend a role uses; a remote one is resolved lazily so activation stays synchronous. */
  forRole(role: Role): Backend {
    const useRemote = (role === 'completion' ? this.config.backend.completion : this.config.backend.chat) === 'remote';
    if (!useRemote) {
      return this.localBackend();
    }
    const remote = (): Promise<RemoteBackend> => this.remoteBackend();
    const config = this.config;
    return {
      info: (): BackendInfo => this.remote?.info() ?? { kind: 'remote', modelName: config.remote.model || 'remote model', device: config.remote.baseUrl, loaded: false },
      generate: (request: BackendRequest, signal: AbortSignal): AsyncIterable<BackendChunk> => ({
        async *[Symbol.asyncIterator]() {
          yield* (await remote()).generate(request, signal);
        },
      }),
      chat: (request: BackendChatRequest, signal: AbortSignal): AsyncIterable<BackendChunk> => ({
        async *[Symbol.asyncIterator]() {
          yield* (await remote()).chat(request, signal);
        },
      }),
      countTokens: async (text: string) => (await remote()).countTokens(text),
      dispose: () => undefined,
    };
  }

  /** Token count now, when the in-window engine has its tokenizer; otherwise undefined. */
  countTokensNow(text: string): number | undefined {
    return this.local instanceof LocalEngineBackend ? this.local.countTokensIfLoaded(text) : undefined;
  }

  /** Applies new settings: switches the model in place where possible, recreates what must be. */
  async update(next: AutoGlmConfig): Promise<void> {
    const prev = this.config;
    this.config = next;
    const modelChanged =
      next.model.path !== prev.model.path ||
      next.model.variant !== prev.model.variant ||
      next.engine.executionProvider !== prev.engine.executionProvider ||
      next.engine.threads !== prev.engine.threads;
    if (next.engine.mode !== prev.engine.mode || next.log.level !== prev.log.level || next.log.prompts !== prev.log.prompts) {
      this.local?.dispose();
      this.local = undefined;
    } else if (modelChanged && this.local instanceof ServiceClientBackend) {
      this.loadErrorShown = false;
      const spec = { modelDir: this.modelDir(next), variant: next.model.variant, provider: next.engine.executionProvider, threads: next.engine.threads };
      await this.local.switchModel(spec).catch((err: unknown) => this.reportLoadError(err));
    } else if (modelChanged) {
      this.loadErrorShown = false;
      this.local?.dispose();
      this.local = undefined;
    }
    if (this.local instanceof ServiceClientBackend && (next.server.enabled !== prev.server.enabled || next.server.port !== prev.server.port)) {
      await this.local.setHttp(next.server.enabled ? next.server.port : null);
    }
    if (JSON.stringify(next.remote) !== JSON.stringify(prev.remote)) {
      this.remote?.dispose();
      this.remote = undefined;
    }
    this.onStateChange();
  }

  /** Forgets the cached remote backend so that a new API key is used. */
  resetRemote(): void {
    this.remote?.dispose();
    this.remote = undefined;
  }

  async liveStats(): Promise<LiveStats> {
    const local = this.localBackend();
    if (local instanceof ServiceClientBackend) {
      const s = await local.stats();
      return {
        where: `shared service, pid ${s.pid}`,
        model: s.model.name,
        device: local.info().device,
        queueDepth: s.queueDepth,
        activeRequests: s.activeRequests,
        tokensPerSecond: s.tokensPerSecond,
        prefixCacheHitRate: s.prefixCacheHitRate,
        connectedWindows: s.connectedClients,
        modelLoads: s.modelLoads,
        residentMemoryBytes: s.residentMemoryBytes,
        logFile: s.logFile,
      };
    }
    const engine = await local.engine();
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

  /** The token file of the local OpenAI-compatible API, when it is on. */
  tokenFile(): string | undefined {
    return this.local instanceof ServiceClientBackend ? this.local.http?.tokenFile : undefined;
  }

  httpUrl(): string | undefined {
    return this.local instanceof ServiceClientBackend ? this.local.http?.url : undefined;
  }

  /** After repeated crashes the service client stops trying; this lets the next request start it again. */
  async restartService(): Promise<void> {
    if (this.local instanceof ServiceClientBackend) {
      this.local.resetCrashes();
      await this.local.shutdownService().catch(() => undefined);
    }
  }

  private reportLoadError(err: unknown): void {
    if (this.loadErrorShown) {
      return;
    }
    this.loadErrorShown = true;
    void vscode.window.showErrorMessage(`Open AutoGLM could not load the model: ${errorMessage(err)}`, 'Open Log').then((pick) => pick && this.showLog());
  }

  dispose(): void {
    this.local?.dispose();
    this.remote?.dispose();
  }
}
