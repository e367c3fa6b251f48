import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../common/logger';
import { isWebviewToHost, type EngineStatusView, type HostToWebview } from '../protocol/webview';

export const CHAT_VIEW_ID = 'autoglm.chatView';

/** The sidebar view. Content comes only from the extension's own dist/ and media/ folders. */
export class ChatViewProvider implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private readonly resolvedEmitter = new vscode.EventEmitter<void>();
  /** Fires once the webview has loaded its script and asked for state. */
  readonly onDidBecomeReady = this.resolvedEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly logger: Logger,
    private readonly status: () => EngineStatusView,
    private readonly openLog: () => void,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    view.webview.html = this.html(view.webview);
    view.webview.onDidReceiveMessage((msg: unknown) => {
      if (!isWebviewToHost(msg)) {
        this.logger.warn('Ignored an invalid message from the chat view', { received: typeof msg });
        return;
      }
      switch (msg.type) {
        case 'webview/ready':
          this.ready = true;
          this.postStatus();
          this.resolvedEmitter.fire();
          break;
        case 'webview/openLog':
          this.openLog();
          break;
        default: {
          const never: never = msg;
          throw new Error(`Unhandled webview message ${JSON.stringify(never)}`);
        }
      }
    });
    view.onDidDispose(() => {
      this.view = undefined;
      this.ready = false;
    });
  }

  /** True once the webview's script has run and asked for state. */
  get isReady(): boolean {
    return this.ready;
  }

  postStatus(): void {
    const message: HostToWebview = { type: 'host/status', status: this.status() };
    void this.view?.webview.postMessage(message);
  }

  dispose(): void {
    this.resolvedEmitter.dispose();
  }

  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js'));
    const css = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'chat.css'));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css.toString()}">
<title>Open AutoGLM</title>
</head>
<body>
<h3>Open AutoGLM</h3>
<section class="status" id="status" data-state="loading" aria-live="polite">Reading engine status...</section>
<button id="open-log" type="button">Open log</button>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }
}
