import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AutoGlmApi } from '../../src/extension';
import type { ChatViewProvider } from '../../src/host/chatView';
import type { HostToWebview } from '../../src/protocol/webview';

/** The extension's API, activating it if needed. */
export async function api(): Promise<AutoGlmApi> {
  const ext = vscode.extensions.getExtension<AutoGlmApi>('open-autoglm.open-autoglm');
  assert.ok(ext, 'the extension is installed');
  return ext.isActive ? ext.exports : ext.activate();
}

/** Polls `read` until it gives a value, or fails naming `what`. */
export async function until<T>(read: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the chat view posts to its webview from now on; dispose stops recording. */
export function recordPosts(view: ChatViewProvider): { readonly messages: HostToWebview[]; dispose(): void } {
  const messages: HostToWebview[] = [];
  const subscription = view.onDidPost((m) => messages.push(m));
  return { messages, dispose: () => subscription.dispose() };
}
