import * as vscode from 'vscode';
import type { EngineStatusView } from '../protocol/webview';

/** Says what runs where: model, variant and device, before anything is loaded. */
export class EngineStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('autoglm.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Open AutoGLM';
    this.item.command = command;
  }

  update(status: EngineStatusView): void {
    this.item.text = `$(hubot) ${status.modelName}`;
    this.item.tooltip = new vscode.MarkdownString(
      [
        `**Open AutoGLM**: ${status.loaded ? 'model loaded' : 'model loads on first request'}`,
        '',
        `Model: \`${status.modelName}\`${status.bundled ? ' (bundled)' : ''}`,
        `Variant: ${status.variant}, execution provider: ${status.executionProvider}`,
      ].join('\n\n'),
    );
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
