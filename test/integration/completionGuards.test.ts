import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CompletionResult } from '../../src/completion';
import { api, applyCompletion, editorAtEnd, until, useSettings } from './helpers';
import { prefixEndsWith, ScriptedModelServer, type PromptMatch } from './scriptedModelServer';

/** A Qwen2.5-Coder name, so that the prompt has the FIM format `prefixEndsWith` reads. */
const MODEL = 'qwen2.5-coder-scripted';
/** From the trigger to the ghost text; the scripted server answers at once. */
const SHOWN_TIMEOUT_MS = 20_000;
/** How long a ghost text that ought to be dropped is waited for once the model has answered. */
const DROPPED_GRACE_MS = 3_000;
/** Per accept attempt: the ghost text may still be on its way to the editor when the first one runs. */
const ACCEPT_WAIT_MS = 2_000;
const ACCEPT_ATTEMPTS = 5;

/** Types `text` a character at a time, as keys are pressed: only then does the editor auto-close brackets. */
async function type(text: string): Promise<void> {
  for (const ch of text) {
    await vscode.commands.executeCommand('type', { text: ch });
  }
}

/** The completion last shown for `doc` as it is now, if any. */
async function shownNow(doc: vscode.TextDocument, version: number): Promise<CompletionResult | undefined> {
  const shown = (await api()).completion.provider.lastShown;
  return shown && shown.uri === doc.uri.toString() && shown.version === version ? shown.result : undefined;
}

async function poll<T>(read: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined || Date.now() > end) {
      return value;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Tab: accepts the ghost text, retrying while it has not reached the editor yet. */
async function acceptAsTab(doc: vscode.TextDocument, before: string): Promise<void> {
  for (let attempt = 0; attempt < ACCEPT_ATTEMPTS && doc.getText() === before; attempt++) {
    await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
    await poll(async () => (doc.getText() !== before ? true : undefined), ACCEPT_WAIT_MS);
  }
}

describe('ghost text from a scripted model, accepted in a real VS Code, keeps the code intact', () => {
  let server: ScriptedModelServer | undefined;
  let restoreSettings: (() => Promise<void>) | undefined;
  let restoreEditor: (() => Promise<void>) | undefined;

  /** The server, started by `before`. */
  const model = (): ScriptedModelServer => {
    assert.ok(server, 'the scripted model server is running');
    return server;
  };

  /**
   * Asks for ghost text at the cursor (the model's answer is scripted beforehand, so that the
   * request typing started gets it too) and accepts it as Tab does. With `required`, ghost text
   * must appear; otherwise dropping it is an outcome too, checked once the model has answered.
   */
  async function triggerAndAccept(editor: vscode.TextEditor, match: PromptMatch, required: boolean): Promise<{ before: string; shown: CompletionResult | undefined }> {
    const doc = editor.document;
    const before = doc.getText();
    const version = doc.version;
    await vscode.commands.executeCommand('hideSuggestWidget');
    await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    let shown: CompletionResult | undefined;
    if (required) {
      shown = await poll(() => shownNow(doc, version), SHOWN_TIMEOUT_MS);
      assert.ok(shown, `ghost text is shown (model asked ${model().served(match).length} time(s))`);
    } else {
      await until(() => (model().served(match).length > 0 ? true : undefined), 'the model to be asked', SHOWN_TIMEOUT_MS);
      shown = await poll(() => shownNow(doc, version), DROPPED_GRACE_MS);
    }
    if (shown) {
      await acceptAsTab(doc, before);
    }
    return { before, shown };
  }

  /** What accepting `shown` must leave when the editor inserts it as it is. */
  function assertInsertedAsShown(doc: vscode.TextDocument, before: string, shown: CompletionResult | undefined): void {
    assert.equal(doc.getText(), shown ? applyCompletion(before, shown) : before, 'the document holds exactly the accepted ghost text');
  }

  before(async () => {
    const started = await ScriptedModelServer.start(MODEL);
    server = started;
    // The suggest widget would accept its item on `(` or `.` while the test types: these tests are about ghost text only.
    restoreEditor = await useSettings('editor', { quickSuggestions: { other: 'off', comments: 'off', strings: 'off' }, suggestOnTriggerCharacters: false });
    restoreSettings = await useSettings('autoglm', { 'backend.completion': 'remote', 'remote.baseUrl': started.baseUrl, 'remote.model': MODEL });
    const { backends } = await api();
    await until(
      () => {
        const info = backends.forRole('completion').info();
        return info.kind === 'remote' && info.device === started.baseUrl ? true : undefined;
      },
      'completions from the scripted server',
      10_000,
    );
  });

  after(async () => {
    await restoreSettings?.();
    await restoreEditor?.();
    await server?.close();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('on the blank line after `{`, an answer that repeats the indentation is accepted with one indentation', async () => {
    const editor = await editorAtEnd('function f() {', 'typescript');
    const match = prefixEndsWith('function f() {\n  ');
    model().answer(match, '  return 1;');
    await type('\n');
    assert.equal(editor.document.getText(), 'function f() {\n  ', 'Enter indents the new line by two spaces');
    const { before, shown } = await triggerAndAccept(editor, match, true);
    assert.equal(editor.document.lineAt(1).text, '  return 1;');
    assertInsertedAsShown(editor.document, before, shown);
  });

  it('an answer that repeats one item over and over is cut before it fills the line', async () => {
    const editor = await editorAtEnd('const xs = ', 'typescript');
    const match = prefixEndsWith('const xs = [');
    model().answer(match, Array.from({ length: 10 }, () => 'data').join(', '));
    await type('[');
    assert.equal(editor.document.getText(), 'const xs = []', 'the editor closes the bracket');
    const { before, shown } = await triggerAndAccept(editor, match, false);
    const line = editor.document.lineAt(0).text;
    const repeats = line.match(/\bdata\b/g)?.length ?? 0;
    assert.ok(repeats <= 3, `at most 3 \`data\` after accepting, found ${repeats} in ${JSON.stringify(line)}`);
    assertInsertedAsShown(editor.document, before, shown);
  });

  it('inside brackets the editor closed itself, the answer does not close them again nor open a line', async () => {
    const head = 'declare function listFiles(dir: string, name: string): string[];\n\nfunction collect(dir: string, names: string[], out: string[]): void {\n  for (const name of names) {\n    ';
    const tail = '\n  }\n}\n';
    const editor = await editorAtEnd(head + tail, 'typescript');
    editor.selection = new vscode.Selection(editor.document.positionAt(head.length), editor.document.positionAt(head.length));
    const match = prefixEndsWith('out.push(...listFiles(');
    model().answer(match, 'dir, name)\n}');
    await type('out.push(...listFiles(');
    assert.equal(editor.document.lineAt(4).text, '    out.push(...listFiles())', 'the editor closes both brackets');
    const { before, shown } = await triggerAndAccept(editor, match, true);
    assert.equal(editor.document.getText(), `${head}out.push(...listFiles(dir, name))${tail}`);
    assertInsertedAsShown(editor.document, before, shown);
  });

  it('at the end of a statement, an answer that is only the brace on the next line shows nothing', async () => {
    const head = 'class Stack {\n  items: number[] = [];\n\n  size(): number {\n    return this.items.length';
    const tail = '\n  }\n}\n';
    const editor = await editorAtEnd(head + tail, 'typescript');
    editor.selection = new vscode.Selection(editor.document.positionAt(head.length), editor.document.positionAt(head.length));
    const match = prefixEndsWith('return this.items.length ');
    model().answer(match, ' }');
    await type(' ');
    const { before, shown } = await triggerAndAccept(editor, match, false);
    assert.equal(editor.document.getText(), before, 'accepting leaves the document as it was (no second `}`)');
    assertInsertedAsShown(editor.document, before, shown);
  });

  it('after `=`, an answer that starts with `=` again does not double it', async () => {
    const editor = await editorAtEnd('const n =', 'typescript');
    const match = prefixEndsWith('const n = ');
    model().answer(match, '= 5;');
    await type(' ');
    const { before, shown } = await triggerAndAccept(editor, match, false);
    const line = editor.document.lineAt(0).text;
    assert.ok(line === 'const n = 5;' || line === 'const n = ', `the line reads \`const n = 5;\` or is left as it was, not ${JSON.stringify(line)}`);
    assertInsertedAsShown(editor.document, before, shown);
  });
});
