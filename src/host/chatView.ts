import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { ChatController, ChatEvent } from '../chat/chatController';
import { CODEBASE_MENTION, mentionsCodebase, retrievalBudget, retrieveContext, withoutCodebaseMention, type Retrieval } from '../chat/codebaseContext';
import { toolCallView } from '../chat/toolCallView';
import type { ContextItem } from '../chat/types';
import type { FileChange } from '../agent/types';
import type { CodebaseSearch } from '../codeIndex/types';
import { Disposable, disposeAll } from '../common/disposable';
import { errorMessage } from '../common/errors';
import type { Logger } from '../common/logger';
import { estimateTokens } from '../common/tokens';
import { isWebviewToHost, type AgentView, type ChatStateView, type EngineStatusView, type HostToWebview, type SlashCommandView, type WebviewToHost } from '../protocol/webview';
import type { ChatContextSource } from './chatContext';
import type { CodeActions } from './codeActions';

export const CHAT_VIEW_ID = 'autoglm.chatView';

export interface RenderedSlashCommand {
  prompt: string;
  templateId: string;
  /** Ids of the attached items the prompt already holds (the selection a template rendered). */
  contextInPrompt?: string[];
}

/** Slash commands come from the prompt template packs. */
export interface SlashCommandSource {
  list(): SlashCommandView[];
  /** Renders `/name input` with the attached context; undefined for an unknown command or when the user cancels a question. */
  render(name: string, input: string, context: readonly ContextItem[]): Promise<RenderedSlashCommand | undefined>;
}

export interface ChatViewDeps {
  extensionUri: vscode.Uri;
  logger: Logger;
  status(): EngineStatusView;
  openLog(): void;
  controller(): ChatController;
  contextSource: ChatContextSource;
  codeActions: CodeActions;
  slash(): SlashCommandSource | undefined;
  contextTokens(): number;
  /** Tokens kept for the answer; with the window, what retrieved chunks may take. */
  answerTokens(): number;
  /** The workspace index for `@codebase` and the names a question mentions; none: the chat goes without. */
  codebase?(): CodebaseSearch | undefined;
  /** Token counts for the retrieval budget; estimated when not given. */
  countTokens?(text: string): number;
  /** Agent mode, where the chat has it. */
  agent?: ChatAgentHost;
}

/** Agent mode's side of the view: its switch, and the editor's diff of a proposed file. */
export interface ChatAgentHost {
  view(): AgentView;
  setEnabled(enabled: boolean): void;
  showDiff(change: FileChange): Promise<void>;
}

const NO_RETRIEVAL: Retrieval = { items: [] };

/** The chat sidebar: routes webview messages to the chat controller and editor actions. */
export class ChatViewProvider extends Disposable implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  /** Listeners on the current webview; they end with it. */
  private viewSubscriptions: vscode.Disposable[] = [];
  private ready = false;
  private pending: ContextItem[] = [];
  /** What the index found for the draft as it stands, and the ids of those chunks the user removed. */
  private retrieval: Retrieval = NO_RETRIEVAL;
  private excluded = new Set<string>();
  /** An index given to the view itself, in place of the one its dependencies supply. */
  private codebaseOverride: { index: CodebaseSearch | undefined } | undefined;
  private readonly readyEmitter = this.register(new vscode.EventEmitter<void>());
  /** Fires once the webview has loaded its script and asked for state. */
  readonly onDidBecomeReady = this.readyEmitter.event;
  private readonly postEmitter = this.register(new vscode.EventEmitter<HostToWebview>());
  /** Fires with every message posted to the webview; the extension-host tests listen to it. */
  readonly onDidPost = this.postEmitter.event;

  private initialized: Promise<void> | undefined;

  constructor(private readonly deps: ChatViewDeps) {
    super();
  }

  /** Loads the chat history once; an unreadable history file is reported, backed up and reset. */
  whenReady(): Promise<void> {
    this.initialized ??= this.deps
      .controller()
      .init()
      .then((problem) => {
        if (problem) {
          this.post({ type: 'chat/notice', level: 'error', message: problem });
          void vscode.window.showWarningMessage(`Open AutoGLM: ${problem}`);
        }
      });
    return this.initialized;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.releaseView();
    this.view = view;
    const dist = vscode.Uri.joinPath(this.deps.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.deps.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    view.webview.html = this.html(view.webview);
    this.viewSubscriptions = [view.webview.onDidReceiveMessage((msg: unknown) => this.receive(msg)), view.onDidDispose(() => this.releaseView())];
  }

  private receive(msg: unknown): void {
    if (!isWebviewToHost(msg)) {
      this.deps.logger.warn('Ignored an invalid message from the chat view', { received: typeof msg });
      return;
    }
    this.handle(msg).catch((err: unknown) => this.fail(err));
  }

  private releaseView(): void {
    disposeAll(this.viewSubscriptions.splice(0));
    this.view = undefined;
    this.ready = false;
  }

  /** True once the webview's script has run and asked for state. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Chat events from the controller, forwarded to the webview. */
  onChatEvent(event: ChatEvent): void {
    switch (event.type) {
      case 'state':
      case 'done':
        this.postState();
        break;
      case 'delta':
        this.post({ type: 'chat/delta', turnId: event.turnId, text: event.text });
        break;
      case 'error':
        this.post({ type: 'chat/notice', level: 'error', message: event.message });
        break;
      default: {
        const never: never = event;
        throw new Error(`Unhandled chat event ${JSON.stringify(never)}`);
      }
    }
  }

  /** Shows the view and waits until its script is running. */
  async reveal(): Promise<void> {
    if (!this.ready) {
      const ready = new Promise<void>((resolve) => {
        const sub = this.onDidBecomeReady(() => {
          sub.dispose();
          resolve();
        });
      });
      await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
      await ready;
    } else {
      this.view?.show(true);
    }
  }

  attach(item: ContextItem | undefined): void {
    if (item) {
      this.pending = [...this.pending.filter((p) => !(p.kind === item.kind && p.label === item.label)), item];
      this.postState();
    }
  }

  /** Sends a message as if typed in the view, with the attached context. */
  async submit(text: string): Promise<void> {
    await this.whenReady();
    const retrieval = this.retrieve(text);
    if (retrieval.note !== undefined) {
      this.post({ type: 'chat/notice', level: 'info', message: retrieval.note });
    }
    const context = [...this.pending, ...retrieval.items];
    const question = withoutCodebaseMention(text);
    const slash = /^\/(\S+)\s*([\s\S]*)$/.exec(question);
    if (slash) {
      const source = this.deps.slash();
      const rendered = await source?.render(slash[1]!, slash[2]!, context);
      if (!rendered) {
        const commands = source?.list() ?? [];
        if (commands.some((c) => c.name === slash[1])) {
          // A known command whose question the user cancelled: keep the draft, send nothing.
          this.post({ type: 'chat/draft', text });
          return;
        }
        const names = commands.map((c) => `/${c.name}`).join(', ');
        this.post({ type: 'chat/notice', level: 'error', message: `Unknown command /${slash[1]}. ${names ? `Available: ${names}.` : 'No prompt templates are loaded.'}` });
        this.post({ type: 'chat/draft', text });
        return;
      }
      this.clearDraftContext();
      const inPrompt = rendered.contextInPrompt ?? [];
      await this.deps.controller().send({ content: text.trim(), context, prompt: rendered.prompt, templateId: rendered.templateId, contextInPrompt: inPrompt });
      return;
    }
    this.clearDraftContext();
    const asked = mentionsCodebase(text) ? { prompt: question } : {};
    await this.deps.controller().send({ content: text.trim(), context, ...asked });
  }

  /**
   * Searches `index` from now on instead of the index of the dependencies (undefined: none); the
   * extension-host tests give it one over a fixture folder. `reset` goes back to the dependencies.
   */
  useCodebase(index: CodebaseSearch | undefined | 'reset'): void {
    this.codebaseOverride = index === 'reset' ? undefined : { index };
  }

  /** The chunks the index finds for `draft` (those the user removed left out); none without an index. */
  private retrieve(draft: string): Retrieval {
    const index = this.codebaseOverride ? this.codebaseOverride.index : this.deps.codebase?.();
    const mentions = mentionsCodebase(draft);
    if (!index && !mentions) {
      return NO_RETRIEVAL;
    }
    try {
      return retrieveContext({
        question: draft,
        index,
        attached: this.pending,
        excluded: this.excluded,
        budgetTokens: retrievalBudget(this.deps.contextTokens(), this.deps.answerTokens()),
        countTokens: this.deps.countTokens ?? estimateTokens,
      });
    } catch (err) {
      // The index is another part's: a failure there costs this question its chunks, nothing more.
      this.deps.logger.warn('The workspace index could not be searched for the chat', { error: err });
      return mentions ? { items: [], note: `The workspace index could not be searched (${errorMessage(err)}): sent without @codebase.` } : NO_RETRIEVAL;
    }
  }

  /** Shows as chips what the draft would bring from the index; posts only when that changed. */
  preview(draft: string): void {
    const next = this.retrieve(draft);
    const key = (r: Retrieval) => `${r.items.map((i) => i.id).join('|')}#${r.note ?? ''}`;
    if (key(next) !== key(this.retrieval)) {
      this.retrieval = next;
      this.postState();
    }
  }

  private clearDraftContext(): void {
    this.pending = [];
    this.retrieval = NO_RETRIEVAL;
    this.excluded = new Set();
  }

  state(): ChatStateView {
    const controller = this.deps.controller();
    const current = controller.current();
    const streaming = controller.busy ? current?.turns.at(-1)?.id : undefined;
    const chip = (c: ContextItem) => ({ id: c.id, kind: c.kind, label: c.label, ...(c.auto ? { auto: true } : {}), ...(c.location || c.path ? { canOpen: true } : {}) });
    return {
      conversations: controller.list(),
      current: current && {
        id: current.id,
        title: current.title,
        turns: current.turns.map(({ toolCalls, ...t }) => ({ ...t, context: t.context?.map(chip), ...(toolCalls ? { toolCalls: toolCalls.map(toolCallView) } : {}) })),
      },
      busy: controller.busy,
      streamingTurnId: streaming,
      promptTokens: controller.window.promptTokens,
      promptTokensEstimated: controller.window.estimated,
      contextTokens: this.deps.contextTokens(),
      droppedTurnIds: controller.window.droppedTurnIds,
      ...(controller.window.summary ? { summary: controller.window.summary } : {}),
      pending: [...this.pending, ...this.retrieval.items].map(chip),
      ...(this.retrieval.note !== undefined ? { codebaseNote: this.retrieval.note } : {}),
      slashCommands: this.deps.slash()?.list() ?? [],
      ...(this.deps.agent ? { agent: this.deps.agent.view() } : {}),
    };
  }

  postState(): void {
    this.post({ type: 'chat/state', state: this.state() });
  }

  postStatus(): void {
    this.post({ type: 'host/status', status: this.deps.status() });
  }

  private post(message: HostToWebview): void {
    void this.view?.webview.postMessage(message);
    this.postEmitter.fire(message);
  }

  private fail(err: unknown): void {
    const message = errorMessage(err);
    this.deps.logger.error('Chat action failed', { error: err });
    this.post({ type: 'chat/notice', level: 'error', message });
    void vscode.window.showErrorMessage(`Open AutoGLM: ${message}`);
  }

  private async handle(msg: WebviewToHost): Promise<void> {
    const controller = this.deps.controller();
    switch (msg.type) {
      case 'webview/ready':
        await this.whenReady();
        this.ready = true;
        this.postStatus();
        this.postState();
        this.readyEmitter.fire();
        return;
      case 'webview/openLog':
        this.deps.openLog();
        return;
      case 'chat/send':
        return this.submit(msg.text);
      case 'chat/cancel':
        return controller.cancel();
      case 'chat/new':
        this.clearDraftContext();
        controller.newConversation();
        return;
      case 'chat/select':
        return controller.select(msg.id);
      case 'chat/delete':
        return controller.delete(msg.id);
      case 'chat/regenerate':
        return controller.regenerate();
      case 'chat/editLast':
        return controller.editLast(msg.text);
      case 'chat/inspectPrompt':
        return this.inspect(msg.text);
      case 'context/add':
        return this.addContext(msg.kind);
      case 'context/preview':
        this.preview(msg.text);
        return;
      case 'context/remove':
        this.remove(msg.id);
        return;
      case 'context/open':
        return this.open(msg.id);
      case 'code/action':
        return this.deps.codeActions.run(msg.action, msg.code, msg.language);
      case 'agent/toggle':
        this.deps.agent?.setEnabled(msg.enabled);
        this.postState();
        return;
      case 'agent/approve':
        if (!controller.answerApproval(msg.callId, { decision: msg.decision, ...(msg.acceptedPaths ? { acceptedPaths: msg.acceptedPaths } : {}) })) {
          this.post({ type: 'chat/notice', level: 'info', message: 'That tool call no longer waits for an answer.' });
        }
        return;
      case 'agent/diff':
        return this.showDiff(msg.callId, msg.path);
      default: {
        const never: never = msg;
        throw new Error(`Unhandled webview message ${JSON.stringify(never)}`);
      }
    }
  }

  /** Opens a chip's file at its lines: one attached to the draft, or one an answer was given. */
  private async open(id: string): Promise<void> {
    const sent = this.deps.controller().current()?.turns.flatMap((t) => t.context ?? []) ?? [];
    const item = [...this.pending, ...this.retrieval.items, ...sent].find((c) => c.id === id);
    if (!item || !(await this.deps.contextSource.open(item))) {
      this.post({ type: 'chat/notice', level: 'info', message: 'That context has no file to open in this workspace.' });
    }
  }

  /** Opens the editor's diff of one proposed file of a call in the conversation shown. */
  private async showDiff(callId: string, path: string): Promise<void> {
    const calls = this.deps.controller().current()?.turns.flatMap((t) => t.toolCalls ?? []) ?? [];
    const change = calls.find((c) => c.id === callId)?.changes?.find((c) => c.path === path);
    if (!change || !this.deps.agent) {
      this.post({ type: 'chat/notice', level: 'info', message: 'That proposed change is no longer there.' });
      return;
    }
    await this.deps.agent.showDiff(change);
  }

  /** A removed chunk of the index stays out of this draft even as the question changes. */
  private remove(id: string): void {
    if (this.retrieval.items.some((i) => i.id === id)) {
      this.excluded.add(id);
      this.retrieval = { ...this.retrieval, items: this.retrieval.items.filter((i) => i.id !== id) };
    }
    this.pending = this.pending.filter((p) => p.id !== id);
    this.postState();
  }

  private async addContext(kind: 'selection' | 'file' | 'diagnostics' | 'mention'): Promise<void> {
    const source = this.deps.contextSource;
    const item = kind === 'selection' ? source.selection() : kind === 'file' ? source.file() : kind === 'diagnostics' ? source.diagnostics() : await source.mention();
    if (item === 'codebase') {
      this.post({ type: 'chat/insert', text: `${CODEBASE_MENTION} ` });
      return;
    }
    if (!item && kind !== 'mention') {
      const why = { selection: 'Nothing is selected in the editor.', file: 'No file is open in the editor.', diagnostics: 'The current file has no problems.' }[kind];
      this.post({ type: 'chat/notice', level: 'info', message: why });
    }
    this.attach(item);
  }

  /** Shows the exact prompt: the draft rendered by its template, or the conversation as sent. */
  private async inspect(draft: string): Promise<void> {
    const slash = /^\/(\S+)\s*([\s\S]*)$/.exec(withoutCodebaseMention(draft));
    if (slash) {
      const rendered = await this.deps.slash()?.render(slash[1]!, slash[2]!, [...this.pending, ...this.retrieval.items]);
      this.post({ type: 'chat/prompt', text: rendered ? rendered.prompt : `Unknown command /${slash[1]}` });
      return;
    }
    this.post({ type: 'chat/prompt', text: await this.deps.controller().inspectPrompt() });
  }

  override dispose(): void {
    this.releaseView();
    super.dispose();
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const uri = (...segments: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.deps.extensionUri, ...segments)).toString();
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    const button = (id: string, icon: string, label: string, extra = '') =>
      `<button type="button" id="${id}" class="icon-button" title="${label}" aria-label="${label}" ${extra}><span class="codicon codicon-${icon}" aria-hidden="true"></span></button>`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('dist', 'codicons', 'codicon.css')}">
<link rel="stylesheet" href="${uri('media', 'chat.css')}">
<title>Open AutoGLM Chat</title>
</head>
<body>
<header class="toolbar" role="toolbar" aria-label="Chat">
  ${button('new-chat', 'add', 'New chat')}
  ${button('toggle-history', 'history', 'Conversations')}
  ${button('regenerate', 'refresh', 'Regenerate the last answer')}
  ${button('edit-last', 'edit', 'Edit and resend the last message')}
  ${button('inspect', 'eye', 'Inspect the prompt')}
  ${button('open-log', 'output', 'Open the log')}
</header>
<div id="status-line" class="status-line" data-state="loading" aria-live="polite"></div>
<nav id="history" class="history" hidden aria-label="Conversations"></nav>
<div id="notice" class="notice" hidden role="status"></div>
<main id="messages" class="messages" aria-live="polite"></main>
<pre id="prompt-view" class="prompt-view" hidden title="Click to close"></pre>
<footer class="composer">
  <div class="context-bar">
    <div id="chips" class="chips" aria-label="Attached context"></div>
    <div class="context-buttons" role="toolbar" aria-label="Attach context">
      ${button('add-selection', 'selection', 'Attach the selection')}
      ${button('add-file', 'file', 'Attach the current file')}
      ${button('add-diagnostics', 'warning', "Attach the current file's problems")}
      ${button('add-mention', 'mention', 'Attach a workspace file or @codebase (@)')}
    </div>
  </div>
  <ul id="suggestions" class="suggestions" role="listbox" hidden></ul>
  <textarea id="input" rows="3" placeholder="Ask about your code, or type / for commands (Enter sends, Shift+Enter new line)" aria-label="Message"></textarea>
  <div class="send-row">
    <button type="button" id="agent-toggle" class="agent-toggle" aria-pressed="false" hidden><span class="codicon codicon-tools" aria-hidden="true"></span> Agent</button>
    <span id="tokens" class="tokens"></span>
    <button type="button" id="stop" class="stop" hidden>Stop</button>
    <button type="button" id="send" class="send">Send</button>
  </div>
</footer>
<script nonce="${nonce}" src="${uri('dist', 'webview.js')}"></script>
</body>
</html>`;
  }
}
