import * as vscode from 'vscode';
import type { EngineStatusView } from '../protocol/webview';

export type CompletionState = 'ready' | 'generating' | 'off' | 'snoozed' | 'error';

const ICONS: Record<CompletionState, string> = {
  ready: '$(hubot)',
  generating: '$(loading~spin)',
  off: '$(circle-slash)',
  snoozed: '$(clock)',
  error: '$(error)',
};

/** Says what runs where and what inline completion is doing: model, device and state. */
export class EngineStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private engine: EngineStatusView | undefined;
  private state: CompletionState = 'ready';
  private detail = '';

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('autoglm.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Open AutoGLM';
    this.item.command = command;
  }

  get current(): { state: CompletionState; text: string } {
    return { state: this.state, text: this.item.text };
  }

  update(engine: EngineStatusView): void {
    this.engine = engine;
    this.render();
  }

  /** `detail` says why (the error, or until when completions are snoozed). */
  setState(state: CompletionState, detail = ''): void {
    if (state !== this.state || detail !== this.detail) {
      this.state = state;
      this.detail = detail;
      this.render();
    }
  }

  private render(): void {
    const e = this.engine;
    if (!e) {
      return;
    }
    this.item.text = `${ICONS[this.state]} ${e.modelName}`;
    this.item.backgroundColor = this.state === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const stateLine = {
      ready: 'Inline completions are on.',
      generating: 'Generating a completion...',
      off: 'Inline completions are off.',
      snoozed: `Inline completions are snoozed${this.detail ? ` until ${this.detail}` : ''}.`,
      error: `Last request failed: ${this.detail}`,
    }[this.state];
    this.item.tooltip = new vscode.MarkdownString(
      [
        `**Open AutoGLM**: ${stateLine}`,
        `Model: \`${e.modelName}\`${e.bundled ? ' (bundled)' : ''}, ${e.loaded ? 'loaded' : 'loads on first request'}`,
        `Variant: ${e.variant}, execution provider: ${e.executionProvider}`,
        'Click for options.',
      ].join('\n\n'),
    );
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
