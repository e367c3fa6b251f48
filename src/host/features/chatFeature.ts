import * as path from 'node:path';
import * as vscode from 'vscode';
import { ChatController } from '../../chat/chatController';
import { HistoryStore } from '../../chat/history';
import { chatBudget, type ChatBudget } from '../../chat/modelWindow';
import { DEFAULT_SUMMARY_PROMPT } from '../../chat/summary';
import { renderSystemPrompt } from '../../chat/systemPrompt';
import { Disposable, toDisposable } from '../../common/disposable';
import type { CodebaseSearch } from '../../codeIndex/types';
import type { Logger } from '../../common/logger';
import { chatCommands } from '../chatCommands';
import { ChatContextSource } from '../chatContext';
import { CHAT_VIEW_ID, ChatViewProvider } from '../chatView';
import { CodeActions } from '../codeActions';
import { registerCommands } from '../commands';
import type { LiveConfiguration } from '../configuration';
import { TemplateSlashCommands } from '../slashCommands';
import type { AgentFeature } from './agentFeature';
import type { EngineFeature } from './engineFeature';
import type { TemplatesFeature } from './templatesFeature';

export interface ChatFeatureDeps {
  context: vscode.ExtensionContext;
  settings: LiveConfiguration;
  logger: Logger;
  engine: EngineFeature;
  templates: TemplatesFeature;
  showLog(): void;
  /** The workspace index, once there is one: `@codebase` and the names a question mentions search it. */
  codebase?: () => CodebaseSearch | undefined;
  /** Agent mode: tools the chat's model may call. */
  agent?: AgentFeature;
}

/**
 * The chat: its sidebar view, the conversations (created when the view first needs them, with
 * the history loaded from this workspace's storage), editor context and code actions, and the
 * chat commands.
 */
export class ChatFeature extends Disposable {
  readonly view: ChatViewProvider;
  readonly codeActions: CodeActions;
  private controllerInstance: ChatController | undefined;

  constructor(private readonly deps: ChatFeatureDeps) {
    super();
    const contextSource = this.register(new ChatContextSource(() => deps.settings.current.chat.fileContextChars));
    this.codeActions = this.register(new CodeActions(() => contextSource.editor));
    const slash = new TemplateSlashCommands(() => deps.templates.catalog, deps.engine.tokens, () => contextSource.file());
    this.view = this.register(
      new ChatViewProvider({
        extensionUri: deps.context.extensionUri,
        logger: deps.logger,
        status: () => deps.engine.status(),
        openLog: deps.showLog,
        controller: () => this.controller(),
        contextSource,
        codeActions: this.codeActions,
        slash: () => slash,
        contextTokens: () => this.contextTokens(),
        answerTokens: () => this.budget().answerTokens,
        codebase: () => deps.codebase?.(),
        countTokens: (text) => deps.engine.tokens.count(text),
        ...(deps.agent ? { agent: deps.agent.viewHost() } : {}),
      }),
    );
    this.register(vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, this.view, { webviewOptions: { retainContextWhenHidden: true } }));
    this.register(deps.templates.onDidChange(() => this.view.postState()));
    this.register(deps.engine.onDidChangeStatus(() => this.view.postStatus()));
    this.register(registerCommands(chatCommands({ view: this.view, contextSource, newConversation: () => this.controllerInstance?.newConversation() })));
    // Registered last so that it goes first: the answer in flight stops and the history is saved while the view still exists.
    this.register(toDisposable(() => this.controllerInstance?.dispose()));
  }

  controller(): ChatController {
    this.controllerInstance ??= this.createController();
    return this.controllerInstance;
  }

  private createController(): ChatController {
    const { context, settings, logger, engine } = this.deps;
    const budget = () => this.budget();
    // Windows without a folder share the global file: HistoryStore merges their saves by conversation.
    const historyDir = (context.storageUri ?? context.globalStorageUri).fsPath;
    return new ChatController({
      backend: async () => engine.backends.forRole('chat'),
      store: new HistoryStore(path.join(historyDir, 'chat-history.json')),
      logger: logger.child({ component: 'chat' }),
      systemPrompt: () => this.systemPrompt(),
      contextTokens: () => this.contextTokens(),
      // Getters, so that changed settings and another model apply to the next answer.
      get answerTokens() {
        return budget().answerTokens;
      },
      get temperature() {
        return settings.current.chat.temperature;
      },
      persistEveryMs: 1000,
      // The bundled model is too small to summarise; the status knows whether it is the one answering.
      canSummarise: () => !engine.status().bundled,
      summaryPrompt: () => this.summaryPrompt(),
      ...(this.deps.agent ? { agent: this.deps.agent.chatAgent() } : {}),
      onEvent: (e) => this.view.onChatEvent(e),
    });
  }

  private systemPrompt(): string {
    return renderSystemPrompt({
      catalog: this.deps.templates.catalog,
      workspaceName: vscode.workspace.name ?? '',
      countTokens: this.deps.engine.tokens.count,
      onRenderError: (err) => this.deps.logger.warn('The system template did not render; using the default system prompt', { error: err }),
    });
  }

  /** The pack's `chat-summary` instruction, or the built-in one. */
  private summaryPrompt(): string {
    const template = this.deps.templates.catalog?.get('chat-summary');
    try {
      return template?.render({}, { countTokens: this.deps.engine.tokens.count }).text ?? DEFAULT_SUMMARY_PROMPT;
    } catch (err) {
      this.deps.logger.warn('The chat-summary template did not render; using the built-in instruction', { error: err });
      return DEFAULT_SUMMARY_PROMPT;
    }
  }

  /** The chat model's window (its trained one where that is shorter) and the answer's share of it. */
  private budget(): ChatBudget {
    return chatBudget(this.deps.engine.chatInfo(), this.deps.settings.current.chat.maxTokens);
  }

  private contextTokens(): number {
    return this.budget().contextTokens;
  }
}
