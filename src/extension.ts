import type * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import type { ChatController } from './chat/chatController';
import type { CompletionPipeline } from './completion';
import { disposeAll } from './common/disposable';
import { VERSION } from './common/version';
import type { Backends } from './host/backends';
import type { ChatViewProvider } from './host/chatView';
import type { CodeActions } from './host/codeActions';
import { LiveConfiguration } from './host/configuration';
import { AgentFeature } from './host/features/agentFeature';
import { ChatFeature } from './host/features/chatFeature';
import { CompletionFeature } from './host/features/completionFeature';
import { EngineFeature } from './host/features/engineFeature';
import { IndexFeature } from './host/features/indexFeature';
import { LogFeature } from './host/features/logFeature';
import { McpFeature } from './host/features/mcpFeature';
import { TemplatesFeature } from './host/features/templatesFeature';
import type { InlineCompletionProvider } from './host/inlineCompletion';

/** What the extension exposes to other extensions and to its own extension-host tests. */
export interface AutoGlmApi {
  readonly version: string;
  /** Milliseconds spent in `activate`; activation never loads a model. */
  readonly activationMs: number;
  isModelLoaded(): boolean;
  isChatViewReady(): boolean;
  readonly chat: {
    view: ChatViewProvider;
    controller(): ChatController;
    codeActions: CodeActions;
    whenReady(): Promise<void>;
  };
  readonly backends: Backends;
  readonly index: IndexFeature;
  /** MCP servers; `mcp.source` holds their tools for agent mode. */
  readonly mcp: McpFeature;
  /** Agent mode: the tools the chat's model may call and who may run them. */
  readonly agent: AgentFeature;
  readonly completion: {
    provider: InlineCompletionProvider;
    pipeline(): CompletionPipeline;
    statusBar(): { state: string; text: string };
    /** Suggestions accepted and rejected, as told to the confidence gate, since the pipeline was built. */
    feedback(): { accepted: number; rejected: number };
  };
}

/**
 * Composition root: builds every feature; they are disposed in reverse order with the extension.
 * Nothing here may block: the model loads on the first request that needs it.
 */
export function activate(context: vscode.ExtensionContext): AutoGlmApi {
  const started = performance.now();
  const features: vscode.Disposable[] = [];
  context.subscriptions.push({ dispose: () => disposeAll(features.splice(0).reverse()) });
  const own = <T extends vscode.Disposable>(feature: T): T => {
    features.push(feature);
    return feature;
  };
  const settings = own(new LiveConfiguration());
  const log = own(new LogFeature(settings));
  const { logger } = log;
  const showLog = (): void => log.show();
  const engine = own(new EngineFeature({ context, settings, logger, showLog }));
  const templates = own(new TemplatesFeature({ settings, logger, extensionPath: context.extensionPath, tokens: engine.tokens }));
  const index = own(new IndexFeature({ settings, extensionPath: context.extensionPath, storageUri: context.storageUri, logger }));
  const completion = own(new CompletionFeature({ settings, globalState: context.globalState, extensionPath: context.extensionPath, logger, engine, templates, index }));
  const mcp = own(new McpFeature({ settings, workspaceState: context.workspaceState }));
  const agent = own(new AgentFeature({ context, settings, templates, logger, mcp: () => mcp.source }));
  const chat = own(new ChatFeature({ context, settings, logger, engine, templates, showLog, codebase: () => index.search(), agent }));

  const activationMs = performance.now() - started;
  logger.info('Open AutoGLM activated', { version: VERSION, activationMs: Number(activationMs.toFixed(2)) });
  return {
    version: VERSION,
    activationMs,
    isModelLoaded: () => engine.chatInfo().loaded,
    isChatViewReady: () => chat.view.isReady,
    chat: { view: chat.view, controller: () => chat.controller(), codeActions: chat.codeActions, whenReady: () => chat.view.whenReady() },
    backends: engine.backends,
    index,
    mcp,
    agent,
    completion: { provider: completion.provider, pipeline: () => completion.pipeline(), statusBar: () => engine.statusBar.current, feedback: () => completion.feedback.counts },
  };
}

export function deactivate(): void {
  // Every feature is disposed through context.subscriptions.
}
