import * as vscode from 'vscode';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Backend } from './backends/backend';
import { ChatController } from './chat/chatController';
import { CompletionPipeline, estimateTokens, FIM_FAMILIES, type FimTemplate } from './completion';
import { packFimTemplate } from './templates';
import { HistoryStore } from './chat/history';
import { VERSION } from './common/version';
import { Backends } from './host/backends';
import { ChatContextSource } from './host/chatContext';
import { registerChatCommands } from './host/chatCommands';
import { ChatViewProvider, CHAT_VIEW_ID, type SlashCommandSource } from './host/chatView';
import { CodeActions } from './host/codeActions';
import { onConfigurationChanged, readConfiguration } from './host/configuration';
import { createChannelLogger } from './host/logChannel';
import { BUNDLED_MODEL_DIR, describeEngine } from './host/modelInfo';
import { RecentDocuments } from './host/completionSnapshot';
import { registerServiceCommands } from './host/serviceCommands';
import { InlineCompletionProvider } from './host/inlineCompletion';
import { TemplateSlashCommands } from './host/slashCommands';
import { EngineStatusBar } from './host/statusBar';
import { registerTemplateFeatures } from './host/templates';
import { registerStatusMenu } from './host/statusMenu';

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
  readonly completion: {
    provider: InlineCompletionProvider;
    pipeline(): CompletionPipeline;
    statusBar(): { state: string; text: string };
  };
}

const DEFAULT_SYSTEM_PROMPT =
  'You are Open AutoGLM, a coding assistant that runs on the user\'s own machine. Answer precisely and concisely; put code in fenced Markdown blocks.';
const DEFAULT_CONTEXT_TOKENS = 2048;

/**
 * Composition root: builds every part, registers it for disposal, owns nothing else.
 * Nothing here may block: the model loads on the first request that needs it.
 */
export function activate(context: vscode.ExtensionContext): AutoGlmApi {
  const started = performance.now();
  const register = <T extends vscode.Disposable>(d: T): T => {
    context.subscriptions.push(d);
    return d;
  };

  let config = readConfiguration();
  const channel = register(vscode.window.createOutputChannel('Open AutoGLM', { log: true }));
  const logger = createChannelLogger(channel, () => config.log.level);

  // Backends are created on first use; the model loads on the first request that needs it.
  const backends = register(new Backends(config, context, logger, () => refreshStatus(), () => channel.show(true)));

  const status = (): ReturnType<typeof describeEngine> => {
    const info = backends.forRole('chat').info();
    const s = describeEngine(config, context.extensionPath, info?.loaded ?? false);
    if (info.kind === 'remote') {
      return { ...s, modelName: info.modelName, modelPath: info.device, bundled: false, executionProvider: 'remote server' };
    }
    return info.loaded ? { ...s, executionProvider: `${s.executionProvider} → ${info.device}` } : s;
  };

  const statusBar = register(new EngineStatusBar('autoglm.statusMenu'));

  const countTokens = (text: string): number => backends.countTokensNow(text) ?? estimateTokens(text);

  // Prompt packs: built-in < user < workspace (trusted workspaces only); reloaded on change.
  const templates = register(
    registerTemplateFeatures({
      logger,
      extensionPath: context.extensionPath,
      userPackFolders: config.templates.userPacks,
      countTokens,
      fileContentTokens: config.templates.fileContextTokens,
    }),
  );
  /** Fill-in-the-middle formats from the prompt packs, which win over the built-in ones. */
  const packFimTemplates = (): Record<string, FimTemplate> => {
    const catalog = templates.catalog;
    if (!catalog) {
      return {};
    }
    return Object.fromEntries(FIM_FAMILIES.flatMap((family) => {
      const template = packFimTemplate(catalog, family, countTokens);
      return template ? [[family, template] as const] : [];
    }));
  };

  // Inline completion: the pipeline talks to whichever backend is current.
  const recent = register(new RecentDocuments());
  let pipeline: CompletionPipeline | undefined;
  const getPipeline = (): CompletionPipeline => {
    pipeline ??= new CompletionPipeline({
      backend: {
        generate: (request, signal) => backends.forRole('completion').generate(request, signal),
        info: () => backends.forRole('completion').info(),
      },
      settings: config.completion,
      logger,
      countTokens,
      templates: packFimTemplates(),
    });
    return pipeline;
  };
  const completionProvider = new InlineCompletionProvider({
    pipeline: getPipeline,
    recent,
    logger: logger.child({ component: 'inline' }),
    enabled: () => config.completion.enabled,
    setState: (state, detail) => statusBar.setState(state, detail),
  });
  register(
    templates.onDidChange(() => {
      pipeline = undefined;
      chatView.postState();
    }),
  );
  register(vscode.languages.registerInlineCompletionItemProvider([{ scheme: 'file' }, { scheme: 'untitled' }], completionProvider));
  const contextSource = register(new ChatContextSource(() => config.chat.fileContextChars));
  const codeActions = register(new CodeActions(() => contextSource.editor));
  const slashSource: SlashCommandSource = new TemplateSlashCommands(() => templates.catalog, countTokens, () => contextSource.file());
  const systemPrompt = (): string => {
    const system = templates.catalog?.get('system');
    if (!system) {
      return DEFAULT_SYSTEM_PROMPT;
    }
    try {
      return system.render({ workspaceName: vscode.workspace.name ?? '' }, { countTokens }).text;
    } catch (err) {
      logger.warn('The system template did not render; using the default system prompt', { error: err });
      return DEFAULT_SYSTEM_PROMPT;
    }
  };

  /** The chat model's context window, once the backend knows it. */
  const chatContextTokens = (): number => backends.forRole('chat').info().contextLength ?? DEFAULT_CONTEXT_TOKENS;

  let controller: ChatController | undefined;
  const historyDir = (context.storageUri ?? context.globalStorageUri).fsPath;
  const chatView: ChatViewProvider = register(
    new ChatViewProvider({
      extensionUri: context.extensionUri,
      logger,
      status,
      openLog: () => channel.show(true),
      controller: () => {
        controller ??= new ChatController({
          backend: async (): Promise<Backend> => backends.forRole('chat'),
          store: new HistoryStore(path.join(historyDir, 'chat-history.json')),
          logger: logger.child({ component: 'chat' }),
          systemPrompt,
          contextTokens: chatContextTokens,
          // Getters, so that changed settings apply to the next answer.
          get answerTokens() {
            return config.chat.maxTokens;
          },
          get temperature() {
            return config.chat.temperature;
          },
          persistEveryMs: 1000,
          onEvent: (e) => chatView.onChatEvent(e),
        });
        return controller;
      },
      contextSource,
      codeActions,
      slash: () => slashSource,
      contextTokens: chatContextTokens,
    }),
  );
  register(vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chatView, { webviewOptions: { retainContextWhenHidden: true } }));

  const whenChatReady = (): Promise<void> => chatView.whenReady();

  function refreshStatus(): void {
    statusBar.update(status());
    chatView.postStatus();
  }

  register(
    onConfigurationChanged((next) => {
      const backendChanged = JSON.stringify([next.model, next.engine, next.backend, next.remote]) !== JSON.stringify([config.model, config.engine, config.backend, config.remote]);
      config = next;
      backends.update(next).catch((err: unknown) => logger.error('Applying the new engine settings failed', { error: err }));
      if (backendChanged) {
        pipeline = undefined;
      }
      pipeline?.updateSettings(next.completion);
      void templates.setUserPackFolders(next.templates.userPacks);
      completionProvider.refreshState();
      refreshStatus();
      logger.info('Settings changed', { model: next.model, engine: next.engine, backend: next.backend, logLevel: next.log.level });
    }),
  );

  register(vscode.commands.registerCommand('autoglm.openChat', () => chatView.reveal()));
  register(vscode.commands.registerCommand('autoglm.chat.new', () => controller?.newConversation()));
  register(vscode.commands.registerCommand('autoglm.showLog', () => channel.show(true)));
  register(
    vscode.commands.registerCommand('autoglm.showStatus', async () => {
      const s = status();
      const detail = `Model ${s.modelName}${s.bundled ? ' (bundled)' : ''} at ${s.modelPath}; variant ${s.variant}; execution provider ${s.executionProvider}; ${s.loaded ? 'loaded' : 'not loaded yet'}.`;
      const pick = await vscode.window.showInformationMessage(`Open AutoGLM ${VERSION}: ${detail}`, 'Open Log', 'Settings');
      if (pick === 'Open Log') {
        channel.show(true);
      } else if (pick === 'Settings') {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'autoglm');
      }
    }),
  );
  registerChatCommands({ register, view: chatView, contextSource });
  registerServiceCommands({ register, backends, secrets: context.secrets });
  registerStatusMenu({ register, provider: completionProvider, completionsEnabled: () => config.completion.enabled, bundledModelName: path.basename(BUNDLED_MODEL_DIR) });

  statusBar.update(status());
  completionProvider.refreshState();
  const activationMs = performance.now() - started;
  logger.info('Open AutoGLM activated', { version: VERSION, activationMs: Number(activationMs.toFixed(2)) });

  return {
    version: VERSION,
    activationMs,
    isModelLoaded: () => backends.forRole('chat').info().loaded,
    isChatViewReady: () => chatView.isReady,
    chat: { view: chatView, controller: () => chatView.controller(), codeActions, whenReady: whenChatReady },
    backends,
    completion: { provider: completionProvider, pipeline: getPipeline, statusBar: () => statusBar.current },
  };
}

export function deactivate(): void {
  // Every resource is disposed through context.subscriptions.
}
