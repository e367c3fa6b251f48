import { isHostToWebview, type EngineStatusView, type WebviewToHost } from '../protocol/webview';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

function row(list: HTMLElement, term: string, value: string): void {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  list.append(dt, dd);
}

function renderStatus(status: EngineStatusView): void {
  const root = document.getElementById('status');
  if (!root) {
    return;
  }
  const list = document.createElement('dl');
  row(list, 'Model', `${status.modelName}${status.bundled ? ' (bundled)' : ''}`);
  row(list, 'Folder', status.modelPath);
  row(list, 'Variant', status.variant);
  row(list, 'Execution provider', status.executionProvider);
  row(list, 'State', status.loaded ? 'loaded' : 'not loaded (loads on first request)');
  root.replaceChildren(list);
  root.setAttribute('data-state', 'ready');
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const msg = event.data;
  if (!isHostToWebview(msg)) {
    return;
  }
  switch (msg.type) {
    case 'host/status':
      renderStatus(msg.status);
      break;
    default: {
      const never: never = msg.type;
      throw new Error(`Unhandled message ${String(never)}`);
    }
  }
});

document.getElementById('open-log')?.addEventListener('click', () => vscode.postMessage({ type: 'webview/openLog' }));
vscode.postMessage({ type: 'webview/ready' });
