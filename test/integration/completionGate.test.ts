import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CompletionResult } from '../../src/completion';
import { api, editorAtEnd, until, useSettings } from './helpers';
import { prefixEndsWith, ScriptedModelServer } from './scriptedModelServer';

/** A Qwen2.5-Coder name, so that the prompt has the FIM format `prefixEndsWith` reads. */
const MODEL = 'qwen2.5-coder-scripted';
const SHOWN_TIMEOUT_MS = 20_000;

async function type(text: string): Promise<void> {
  for (const ch of text) {
    await vscode.commands.executeCommand('type', { text: ch });
  }
}

async function shownFor(doc: vscode.TextDocument, timeoutMs = SHOWN_TIMEOUT_MS): Promise<CompletionResult> {
  const version = doc.version;
  const { provider } = (await api()).completion;
  return until(
    () => {
      const shown = provider.lastShown;
      return shown && shown.uri === doc.uri.toString() && shown.version === version ? shown.result : undefined;
    },
    'the ghost text',
    timeoutMs,
  );
}

/** Runs `command` until the document changes (the ghost text may still be on its way to the editor). */
async function untilEdited(doc: vscode.TextDocument, command: string): Promise<void> {
  const before = doc.getText();
  const end = Date.now() + 15_000;
  while (doc.getText() === before) {
    assert.ok(Date.now() < end, `${command} changed the document`);
    await vscode.commands.executeCommand(command);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('confidence gate and acceptance feedback in a real VS Code (scripted model with log-probabilities)', () => {
  let server: ScriptedModelServer | undefined;
  const restore: Array<() => Promise<void>> = [];
  const model = (): ScriptedModelServer => server!;

  before(async () => {
    server = await ScriptedModelServer.start(MODEL);
    restore.push(await useSettings('editor', { quickSuggestions: { other: 'off', comments: 'off', strings: 'off' }, suggestOnTriggerCharacters: false }));
    restore.push(await useSettings('autoglm', { 'backend.completion': 'remote', 'remote.baseUrl': server.baseUrl, 'remote.model': MODEL, 'inlineCompletion.eagerness': 'fewer' }));
    const { backends } = await api();
    await until(() => (backends.forRole('completion').info().device === server!.baseUrl ? true : undefined), 'completions from the scripted server', 10_000);
    await warmUp();
  });

  /** Types into a first editor until the editor asks for ghost text on its own: the window is ready for typing tests. */
  async function warmUp(): Promise<void> {
    const { provider } = (await api()).completion;
    const forwarded = provider.forwarded;
    await editorAtEnd('let warm = ', 'typescript');
    const end = Date.now() + 30_000;
    while (provider.forwarded === forwarded) {
      assert.ok(Date.now() < end, 'the editor asks for ghost text while typing');
      await type('w');
      await new Promise((r) => setTimeout(r, 500));
    }
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }

  after(async () => {
    for (const undo of restore.reverse()) await undo();
    await server?.close();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('holds back an unsure suggestion while typing, and shows it when asked for explicitly', async () => {
    const editor = await editorAtEnd('const total = ', 'typescript');
    const match = prefixEndsWith('const total = s');
    model().answer(match, 'um(values);', { probability: 0.05 });
    const { completion } = await api();
    const gatedBefore = completion.pipeline().stats().gated;
    const forwarded = completion.provider.forwarded;
    await type('s');
    await until(() => (completion.provider.forwarded > forwarded ? true : undefined), 'the editor to ask for a suggestion while typing', SHOWN_TIMEOUT_MS);
    await until(() => (model().served(match).length > 0 ? true : undefined), 'the model to be asked while typing', SHOWN_TIMEOUT_MS);
    await until(() => (completion.pipeline().stats().gated > gatedBefore ? true : undefined), 'the gate to hold the suggestion back', SHOWN_TIMEOUT_MS);
    const shown = completion.provider.lastShown;
    assert.ok(!(shown && shown.uri === editor.document.uri.toString() && shown.version === editor.document.version), 'nothing was shown while typing');
    await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    const asked = await shownFor(editor.document);
    assert.equal(asked.text, 'um(values);');
    assert.ok(asked.stats.confidence !== undefined && asked.stats.confidence < 0.1, `confidence ${asked.stats.confidence}`);
  });

  it('counts Tab as accepted, word-by-word accept as accepted, and a suggestion replaced as rejected', async () => {
    const { completion } = await api();
    const start = completion.feedback();
    const editor = await editorAtEnd('const n = ', 'typescript');
    model().answer(prefixEndsWith('const n = i'), 'tems.length;', { probability: 0.95 });
    await type('i');
    await shownFor(editor.document);
    await untilEdited(editor.document, 'editor.action.inlineSuggest.commit');
    assert.equal(editor.document.getText(), 'const n = items.length;');
    await until(() => (completion.feedback().accepted === start.accepted + 1 ? true : undefined), 'Tab to count as accepted', 5_000);

    await type('\nconst m = ');
    model().answer(prefixEndsWith('const m = v'), 'alues.map((v) => v * 2);', { probability: 0.95 });
    await type('v');
    await shownFor(editor.document);
    await untilEdited(editor.document, 'editor.action.inlineSuggest.acceptNextWord');
    assert.match(editor.document.lineAt(1).text, /^const m = values/);
    await until(() => (completion.feedback().accepted === start.accepted + 2 ? true : undefined), 'a word-by-word accept to count as accepted', 5_000);

    await type('\nlet a = ');
    model().answer(prefixEndsWith('let a = q'), 'ueue.shift();', { probability: 0.95 });
    await type('q');
    await shownFor(editor.document);
    const rejected = completion.feedback().rejected;
    await type('\nlet b = ');
    model().answer(prefixEndsWith('let b = r'), 'ows.pop();', { probability: 0.95 });
    await type('r');
    await shownFor(editor.document);
    assert.equal(completion.feedback().rejected, rejected + 1, 'the suggestion typed over was rejected');
  });
});
