/**
 * Messages between the extension host and the chat webview. One discriminated union per
 * direction; both sides validate what they receive with the guards below.
 */
export interface EngineStatusView {
  modelName: string;
  modelPath: string;
  bundled: boolean;
  variant: string;
  executionProvider: string;
  loaded: boolean;
}

export type HostToWebview = { type: 'host/status'; status: EngineStatusView };

export type WebviewToHost = { type: 'webview/ready' } | { type: 'webview/openLog' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function isWebviewToHost(value: unknown): value is WebviewToHost {
  if (!isRecord(value)) {
    return false;
  }
  return value['type'] === 'webview/ready' || value['type'] === 'webview/openLog';
}

export function isHostToWebview(value: unknown): value is HostToWebview {
  if (!isRecord(value) || value['type'] !== 'host/status' || !isRecord(value['status'])) {
    return false;
  }
  const s = value['status'];
  return (
    typeof s['modelName'] === 'string' &&
    typeof s['modelPath'] === 'string' &&
    typeof s['bundled'] === 'boolean' &&
    typeof s['variant'] === 'string' &&
    typeof s['executionProvider'] === 'string' &&
    typeof s['loaded'] === 'boolean'
  );
}
