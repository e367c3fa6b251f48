import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AutoGlmApi } from '../../src/extension';
import { api, until } from './helpers';

/** Documents whose end is a natural place for code to continue. */
const CANDIDATES = [
  'export function fibonacci(n: number): number {\n  if (n < 2) {\n    return n;\n  }\n  ',
  'import * as fs from "node:fs";\n\nexport function readJson(file: string): unknown {\n  const text = ',
  'export class Stack<T> {\n  private items: T[] = [];\n\n  push(item: T): void {\n    ',
];

/** Asks for ghost text explicitly and waits for what the provider shows for `doc` at `version`; undefined when nothing comes. */
async function triggerAndWait(provider: AutoGlmApi['completion']['provider'], doc: vscode.TextDocument, version: number, what: string) {
  await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
  return until(
    () => {
      const s = provider.lastShown;
      return s && s.uri === doc.uri.toString() && s.version === version ? s : undefined;
    },
    what,
    60_000,
  ).catch(() => undefined);
}

describe('inline completion in a real VS Code', () => {
  it('shows a completion from the bundled model after typing, and Tab-accept inserts exactly it', async () => {
    const { completion } = await api();
    let accepted = false;
    for (const content of CANDIDATES) {
      const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: content.slice(0, -1) });
      const editor = await vscode.window.showTextDocument(doc);
      const end = doc.positionAt(doc.getText().length);
      editor.selection = new vscode.Selection(end, end);
      // Type the last character as a user would, then ask for the ghost text.
      await vscode.commands.executeCommand('type', { text: content.slice(-1) });
      assert.equal(doc.getText(), content);
      const before = doc.getText();
      const version = doc.version;
      const shown = await triggerAndWait(completion.provider, doc, version, 'an inline completion');
      if (!shown) {
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        continue;
      }
      assert.ok(shown.result.text.length > 0, `the shown completion has text (source ${shown.result.stats.source})`);
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      const expected = before.slice(0, shown.result.range.start) + shown.result.text + before.slice(shown.result.range.end);
      await until(() => (doc.getText() === expected ? true : undefined), 'the accepted completion in the document', 10_000);
      assert.equal(doc.getText(), expected);
      // Typing the last character may start the generation that the explicit trigger then joins ('in-flight').
      assert.ok(['generated', 'cache', 'typed-ahead', 'in-flight'].includes(shown.result.stats.source), `a known source: ${shown.result.stats.source}`);
      accepted = true;
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      break;
    }
    assert.ok(accepted, 'one of the candidate documents got an inline completion');
    const counters = completion.pipeline().stats();
    assert.ok(counters.generationsStarted >= 1, `generations started: ${counters.generationsStarted}`);
  });

  it('offers the continuation of the second most likely first token as another item: Alt+] shows it, Tab inserts it', async () => {
    const { completion } = await api();
    let inserted = false;
    for (const content of CANDIDATES) {
      const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content });
      const editor = await vscode.window.showTextDocument(doc);
      const end = doc.positionAt(doc.getText().length);
      editor.selection = new vscode.Selection(end, end);
      const version = doc.version;
      const shown = await triggerAndWait(completion.provider, doc, version, 'an explicitly asked-for completion');
      const alternative = shown?.alternatives[0];
      if (!shown || !alternative) {
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        continue;
      }
      assert.notEqual(alternative.text, shown.result.text, 'the alternative differs from the first suggestion');
      await vscode.commands.executeCommand('editor.action.inlineSuggest.showNext');
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      const expected = content.slice(0, alternative.range.start) + alternative.text + content.slice(alternative.range.end);
      await until(() => (doc.getText() !== content ? true : undefined), 'an accepted suggestion', 10_000);
      assert.equal(doc.getText(), expected, 'Tab after Alt+] inserted the alternative');
      inserted = true;
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      break;
    }
    assert.ok(inserted, 'one of the candidate documents got an alternative suggestion');
  });

  it('replaces the pipeline when the backend settings change, and disposes the one it replaced', async () => {
    const { completion } = await api();
    const old = completion.pipeline();
    let disposed = false;
    const dispose = old.dispose.bind(old);
    old.dispose = () => {
      disposed = true;
      dispose();
    };
    const config = vscode.workspace.getConfiguration('autoglm');
    // A remote setting changes the backends without reloading the shared service's model.
    const before = config.inspect<number>('remote.timeoutMs')?.globalValue;
    await config.update('remote.timeoutMs', 12_345, vscode.ConfigurationTarget.Global);
    try {
      await until(() => (completion.pipeline() !== old ? true : undefined), 'a new completion pipeline', 10_000);
      assert.equal(disposed, true, 'the replaced pipeline was disposed');
    } finally {
      await config.update('remote.timeoutMs', before, vscode.ConfigurationTarget.Global);
    }
  });

  it('turns off and on from the toggle command, and the status bar says so', async () => {
    const { completion } = await api();
    const enabled = () => vscode.workspace.getConfiguration('autoglm').get<boolean>('inlineCompletion.enabled');
    await vscode.commands.executeCommand('autoglm.toggleInlineCompletions');
    try {
      await until(() => (completion.statusBar().state === 'off' ? true : undefined), 'status off', 10_000);
      const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: 'const value = ' });
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(0, 14, 0, 14);
      const forwardedBefore = completion.provider.forwarded;
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(completion.provider.forwarded, forwardedBefore, 'no request reaches the pipeline while off');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    } finally {
      if (enabled() === false) {
        await vscode.commands.executeCommand('autoglm.toggleInlineCompletions');
      }
    }
    await until(() => (completion.statusBar().state === 'ready' ? true : undefined), 'status ready', 10_000);
  });

  it('snoozes for the chosen minutes and resumes', async () => {
    const { completion } = await api();
    await vscode.commands.executeCommand('autoglm.snooze', 5);
    assert.equal(completion.statusBar().state, 'snoozed');
    assert.equal(completion.provider.snoozed, true);
    completion.provider.resume();
    assert.equal(completion.statusBar().state, 'ready');
  });
});
