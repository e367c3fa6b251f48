import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, until, useSettings } from './helpers';
import { prefixEndsWith, ScriptedModelServer } from './scriptedModelServer';

/** A Qwen2.5-Coder name: its repository-level format carries other files' definitions. */
const MODEL = 'qwen2.5-coder-scripted';
const INDEX_TIMEOUT_MS = 60_000;

function folder(): string {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assert.ok(root, 'the tests run in a workspace folder');
  return root;
}

async function readyIndex() {
  const { index } = await api();
  return until(() => {
    const search = index.search();
    return search && search.status().status === 'ready' && search.status().files > 0 ? search : undefined;
  }, 'the workspace index to be built', INDEX_TIMEOUT_MS);
}

async function type(text: string): Promise<void> {
  for (const ch of text) await vscode.commands.executeCommand('type', { text: ch });
}

describe('workspace index in a real VS Code', () => {
  it('indexes the workspace folder in the background along the code\'s syntax, honouring .gitignore', async () => {
    const search = await readyIndex();
    const [priceOf] = search.definitions('priceOf');
    assert.ok(priceOf, 'priceOf is defined in src/shop/cart.ts');
    assert.equal(priceOf.path, 'src/shop/cart.ts');
    assert.equal(priceOf.kind, 'function');
    assert.equal(priceOf.startLine, 6);
    assert.match(priceOf.text, /^export function priceOf\(item: CartItem\): number/);
    assert.deepEqual(search.definitions('CartItem').map((d) => [d.path, d.kind]), [['src/shop/cart.ts', 'interface']]);
    assert.deepEqual(search.definitions('ignoredByGit'), [], 'generated/ is in .gitignore');
    const hits = search.search('how is the price of a cart item computed', 3);
    assert.equal(hits[0]?.path, 'src/shop/cart.ts');
  });

  it('takes a file created on disk into the index, and forgets it when deleted, without a rebuild', async () => {
    const search = await readyIndex();
    const { index } = await api();
    const file = path.join(folder(), 'src', 'shop', 'tax.ts');
    fs.writeFileSync(file, 'export function salesTax(amount: number, rate: number): number {\n  return amount * rate;\n}\n');
    try {
      await until(() => (search.definitions('salesTax').length === 1 ? true : undefined), 'the new file in the index', INDEX_TIMEOUT_MS);
      assert.equal(index.search(), search, 'the same index, updated');
    } finally {
      fs.rmSync(file, { force: true });
    }
    await until(() => (search.definitions('salesTax').length === 0 ? true : undefined), 'the deleted file to leave the index', INDEX_TIMEOUT_MS);
  });

  it('answers @codebase and the names a chat question mentions from the real index', async () => {
    await readyIndex();
    const { chat } = await api();
    await chat.view.reveal();
    chat.view.useCodebase('reset');
    chat.controller().newConversation();
    chat.view.preview('@codebase how is the price of a cart item computed?');
    const chips = chat.view.state().pending;
    assert.ok(chips.length > 0 && chips.every((c) => c.kind === 'codebase'), JSON.stringify(chips));
    assert.match(chips[0]!.label, /^src\/shop\/cart\.ts:\d+-\d+$/);
    chat.view.preview('Why does priceOf multiply?');
    assert.deepEqual(chat.view.state().pending.map((c) => [c.label, c.auto]), [['src/shop/cart.ts:7-9', true]]);
    chat.controller().newConversation();
  });

  describe('completion with a scripted model', () => {
    let server: ScriptedModelServer | undefined;
    const restore: Array<() => Promise<void>> = [];

    before(async () => {
      server = await ScriptedModelServer.start(MODEL);
      restore.push(await useSettings('editor', { quickSuggestions: { other: 'off', comments: 'off', strings: 'off' }, suggestOnTriggerCharacters: false }));
      restore.push(await useSettings('autoglm', { 'backend.completion': 'remote', 'remote.baseUrl': server.baseUrl, 'remote.model': MODEL }));
      const { backends } = await api();
      await until(() => (backends.forRole('completion').info().device === server!.baseUrl ? true : undefined), 'completions from the scripted server', 10_000);
    });

    after(async () => {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      for (const undo of restore.reverse()) await undo();
      await server?.close();
    });

    it('puts the definition of a function from a file that is not open into the prompt', async () => {
      await readyIndex();
      assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.fsPath.endsWith('cart.ts')), 'cart.ts is not open');
      const file = path.join(folder(), 'src', 'checkout.ts');
      fs.writeFileSync(file, "import { priceOf, type CartItem } from './shop/cart';\n\nexport function lineCost(line: CartItem): number {\n  return ");
      try {
        const doc = await vscode.workspace.openTextDocument(file);
        const editor = await vscode.window.showTextDocument(doc);
        const end = doc.positionAt(doc.getText().length);
        editor.selection = new vscode.Selection(end, end);
        const match = prefixEndsWith('return priceOf(');
        server!.answer(match, 'line);');
        await type('priceOf(');
        await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
        const [served] = await until(() => (server!.served(match).length > 0 ? server!.served(match) : undefined), 'the model to be asked', 30_000);
        assert.ok(served!.prompt.startsWith('<|repo_name|>'), served!.prompt.slice(0, 200));
        assert.ok(served!.prompt.includes('<|file_sep|>src/shop/cart.ts\nexport function priceOf(item: CartItem): number'), served!.prompt);
        assert.ok(served!.prompt.includes('<|file_sep|>src/checkout.ts\n<|fim_prefix|>'), 'the file being edited comes last');
      } finally {
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
        fs.rmSync(file, { force: true });
      }
    });
  });

  it('after a window reload, restores the index from its saved copy without cutting a file again @after-reload', async () => {
    const search = await readyIndex();
    const { index } = await api();
    const report = await until(() => index.report, 'the build report');
    // Other suites may leave a file changed before the reload; the rest must come from the saved copy.
    assert.ok(report.restored > 0 && report.restored >= report.files - 2, `restored ${report.restored} of ${report.files} files`);
    assert.ok(report.cut <= 2, `cut again: ${report.cut}`);
    assert.equal(search.definitions('priceOf')[0]?.path, 'src/shop/cart.ts');
  });
});
