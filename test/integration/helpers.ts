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

/**
 * Sets `values` (keys under `section`) in the user settings; the returned function puts back what
 * the user settings held before, so that later suites see their own configuration.
 */
export async function useSettings(section: string, values: Record<string, unknown>): Promise<() => Promise<void>> {
  const config = vscode.workspace.getConfiguration(section);
  const previous = Object.keys(values).map((key) => [key, config.inspect(key)?.globalValue] as const);
  const restore = async (): Promise<void> => {
    for (const [key, value] of previous) {
      await config.update(key, value, vscode.ConfigurationTarget.Global);
    }
  };
  try {
    for (const [key, value] of Object.entries(values)) {
      await config.update(key, value, vscode.ConfigurationTarget.Global);
    }
  } catch (err) {
    await restore();
    throw err;
  }
  return restore;
}

/** A new untitled document shown in an editor with `indent`-space indentation, the cursor at its end. */
export async function editorAtEnd(content: string, languageId: string, indent = 2): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ language: languageId, content });
  const editor = await vscode.window.showTextDocument(doc);
  editor.options = { insertSpaces: true, tabSize: indent, indentSize: indent };
  const end = doc.positionAt(doc.getText().length);
  editor.selection = new vscode.Selection(end, end);
  return editor;
}

/** `text` with a completion's range replaced by its text: what accepting it should leave. */
export function applyCompletion(text: string, completion: { text: string; range: { start: number; end: number } }): string {
  return text.slice(0, completion.range.start) + completion.text + text.slice(completion.range.end);
}
