import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { api, recordPosts, until } from './helpers';

const resultsDir = process.env.AUTOGLM_RESULT_DIR ?? path.resolve(__dirname, '../../../test-results');
const savedFile = path.join(resultsDir, 'chat-before-reload.json');

function workspaceFile(rel: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, rel);
}

describe('chat in a real VS Code', () => {
  it('streams a reply from the bundled model into the chat view and saves the conversation', async () => {
    const { chat } = await api();
    await chat.view.reveal();
    const posts = recordPosts(chat.view);
    await chat.view.submit('Write a TypeScript function that adds two numbers.').finally(() => posts.dispose());
    const conversation = chat.controller().current();
    assert.ok(conversation, 'a conversation was created');
    const [question, answer] = conversation.turns;
    assert.equal(question?.content, 'Write a TypeScript function that adds two numbers.');
    assert.equal(answer?.role, 'assistant');
    assert.equal(answer.error, undefined);
    assert.ok(answer.stats && answer.stats.generatedTokens > 0, 'the model generated tokens');
    const deltas = posts.messages.filter((m) => m.type === 'chat/delta');
    assert.ok(deltas.length > 0, 'the answer was streamed to the webview');
    assert.equal(deltas.map((d) => (d.type === 'chat/delta' ? d.text : '')).join(''), answer.content);
    assert.ok(chat.view.state().promptTokens > 0);
    const states = posts.messages.filter((m) => m.type === 'chat/state').length;
    assert.equal(states, 2, `one whole-state post when the answer starts and one when it is done (saw ${states})`);
    fs.writeFileSync(savedFile, JSON.stringify({ id: conversation.id, title: conversation.title, answer: answer.content }));
  });

  it('attaches the selection as context and sends it to the model', async () => {
    const { chat } = await api();
    const doc = await vscode.workspace.openTextDocument(workspaceFile('src/sample.ts'));
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 2, 1);
    await vscode.commands.executeCommand('autoglm.chat.askAboutSelection');
    const pending = chat.view.state().pending;
    assert.deepEqual(pending.map((p) => [p.kind, p.label]), [['selection', 'src/sample.ts:1-3']]);
    await chat.view.submit('What does this do?');
    const turns = chat.controller().current()!.turns;
    const asked = turns[turns.length - 2]!;
    assert.equal(asked.context?.[0]?.text, doc.getText(new vscode.Range(0, 0, 2, 1)));
    assert.deepEqual(chat.view.state().pending, [], 'context is used by one message');
  });

  it('runs /explain from the prompt pack with the selection, and lists the pack commands', async () => {
    const { chat } = await api();
    await until(() => (chat.view.state().slashCommands.length > 0 ? true : undefined), 'the prompt pack commands');
    const names = chat.view.state().slashCommands.map((c) => c.name);
    for (const name of ['explain', 'tests', 'doc', 'fix', 'refactor', 'review']) {
      assert.ok(names.includes(name), `/${name} is offered`);
    }
    const doc = await vscode.workspace.openTextDocument(workspaceFile('src/sample.ts'));
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 2, 1);
    await vscode.commands.executeCommand('autoglm.chat.explain');
    const turns = chat.controller().current()!.turns;
    const asked = turns[turns.length - 2]!;
    assert.equal(asked.content, '/explain');
    assert.equal(asked.templateId, 'explain');
    assert.ok(asked.prompt?.includes(doc.getText(new vscode.Range(0, 0, 2, 1))), 'the selection is rendered into the prompt');
    assert.match(asked.prompt ?? '', /Explain what the following code does/);
    assert.equal(turns[turns.length - 1]!.role, 'assistant');
    const sent = (await chat.controller().inspectPrompt()).split('### user\n').at(-1)!;
    assert.equal(sent.split(doc.getText(new vscode.Range(0, 0, 2, 1))).length - 1, 1, 'the selection is sent once, in the rendered prompt');
  });

  it('reports an unknown slash command without sending anything', async () => {
    const { chat } = await api();
    const turnsBefore = chat.controller().current()?.turns.length ?? 0;
    const posts = recordPosts(chat.view);
    await chat.view.submit('/nosuchcommand now').finally(() => posts.dispose());
    assert.equal(chat.controller().current()?.turns.length ?? 0, turnsBefore);
    const notice = posts.messages.filter((m) => m.type === 'chat/notice').at(-1);
    assert.match(notice?.type === 'chat/notice' ? notice.message : '', /Unknown command \/nosuchcommand\. Available: .*\/explain/);
  });

  it('inserts a code block at the cursor and applies one through an accepted diff', async () => {
    const { chat } = await api();
    const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: 'const a = 1;\n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(1, 0, 1, 0);
    await chat.codeActions.run('insert', 'const b = 2;\n', 'typescript');
    assert.equal(doc.getText(), 'const a = 1;\nconst b = 2;\n');
    editor.selection = new vscode.Selection(0, 6, 0, 7);
    await chat.codeActions.run('apply', 'z', 'typescript');
    assert.equal(doc.getText(), 'const a = 1;\nconst b = 2;\n', 'nothing changes before the diff is accepted');
    assert.equal(await vscode.commands.executeCommand('autoglm.proposal.accept'), true);
    assert.equal(doc.getText(), 'const z = 1;\nconst b = 2;\n');
  });

  it('keeps the conversation after the window reloads @after-reload', async () => {
    const { chat } = await api();
    await chat.whenReady();
    const saved = JSON.parse(fs.readFileSync(savedFile, 'utf8')) as { id: string; title: string; answer: string };
    const summary = chat.controller().list().find((c) => c.id === saved.id);
    assert.ok(summary, 'the conversation is listed after the reload');
    assert.equal(summary.title, saved.title);
    await chat.controller().select(saved.id);
    assert.equal(chat.controller().current()!.turns[1]!.content, saved.answer);
    assert.ok(chat.controller().window.promptTokens > 0, 'the token counter of the restored conversation is not 0');
  });
});
