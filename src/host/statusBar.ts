import * as vscode from 'vscode';
import type { EngineStatusView } from '../protocol/webview';
import { statusAccessibleLabel, statusBarText, statusTooltipMarkdown, type CompletionState } from './statusText';

export type { CompletionState } from './statusText';

const ICONS: Record<CompletionState, string> = {
  ready: '$(hubot)',
  generating: '$(loading~spin)',
  off: '$(circle-slash)',
  snoozed: '$(clock)',
  error: '$(error)',
};

function backgroundFor(e: EngineStatusView, state: CompletionState): vscode.ThemeColor | undefined {
  if (state === 'error') {
    return new vscode.ThemeColor('statusBarItem.errorBackground');
  }
  return e.pending?.state === 'failed' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
}

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
    this.item.text = statusBarText(e, ICONS[this.state]);
    this.item.backgroundColor = backgroundFor(e, this.state);
    this.item.tooltip = new vscode.MarkdownString(statusTooltipMarkdown(e, this.state, this.detail));
    // Screen readers read the label, not the tooltip: plain words, no Markdown syntax.
    this.item.accessibilityInformation = { label: statusAccessibleLabel(e, this.state, this.detail), role: 'button' };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
