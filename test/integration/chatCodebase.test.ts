import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { FolderCodebase } from './folderCodebase';
import { api, recordPosts, useSettings } from './helpers';

function folder(): vscode.WorkspaceFolder {
  const f = vscode.workspace.workspaceFolders?.[0];
  assert.ok(f, 'a workspace folder is open');
  return f;
}

describe('chat context beyond the open files, in a real VS Code', () => {
  afterEach(async () => {
    const { chat } = await api();
    chat.view.useCodebase('reset');
  });

  it('@codebase brings the chunks of the workspace as chips with their paths and lines, and sends them', async () => {
    const { chat } = await api();
    await chat.view.reveal();
    chat.view.useCodebase(new FolderCodebase(folder().uri.fsPath, 'src/shop'));
    chat.controller().newConversation();
    const question = '@codebase how is the shipping cost computed?';
    chat.view.preview(question);
    assert.deepEqual(
      chat.view.state().pending.map((c) => [c.kind, c.label, c.auto ?? false]),
      [['codebase', 'src/shop/shipping.ts:6-8', false], ['codebase', 'src/shop/shipping.ts:3-4', false]],
    );
    await chat.view.submit(question);
    const turns = chat.controller().current()!.turns;
    assert.deepEqual(turns[0]!.context?.map((c) => c.label), ['src/shop/shipping.ts:6-8', 'src/shop/shipping.ts:3-4']);
    assert.equal(turns[1]!.role, 'assistant');
    assert.equal(turns[1]!.error, undefined);
    const shown = chat.view.state().current!.turns[0]!.context!.map((c) => c.label);
    assert.deepEqual(shown, ['src/shop/shipping.ts:6-8', 'src/shop/shipping.ts:3-4'], "the answer's context list cites them");
    const prompt = await chat.controller().inspectPrompt();
    assert.ok(prompt.includes('src/shop/shipping.ts:6-8:\n```typescript\nexport function shippingCost'), prompt);
    assert.ok(prompt.trimEnd().endsWith('how is the shipping cost computed?'));
  });

  it('attaches the definition of a symbol the question names, marked as automatic', async () => {
    const { chat } = await api();
    chat.view.useCodebase(new FolderCodebase(folder().uri.fsPath, 'src/shop'));
    chat.controller().newConversation();
    chat.view.preview('Why does priceOf multiply?');
    assert.deepEqual(chat.view.state().pending.map((c) => [c.label, c.auto]), [['src/shop/cart.ts:7-9', true]]);
  });

  it('says that the index is off and sends @codebase questions without it', async () => {
    const { chat } = await api();
    chat.view.useCodebase(undefined);
    chat.controller().newConversation();
    const posts = recordPosts(chat.view);
    await chat.view.submit('@codebase where is the total?').finally(() => posts.dispose());
    assert.ok(posts.messages.some((m) => m.type === 'chat/notice' && m.message === 'The workspace index is off: sent without @codebase.'));
    assert.equal(chat.controller().current()!.turns[0]!.context, undefined);
  });

  it('summarises the exchanges a long conversation drops and keeps the file the user attached', async () => {
    const restore = await useSettings('autoglm', { 'chat.maxTokens': 128 });
    try {
      const { chat } = await api();
      await chat.view.reveal();
      chat.controller().newConversation();
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder().uri, 'src/shop/shipping.ts'));
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('autoglm.chat.askAboutSelection');
      assert.deepEqual(chat.view.state().pending.map((c) => [c.kind, c.label]), [['file', 'src/shop/shipping.ts']]);
      const posts = recordPosts(chat.view);
      try {
        await chat.view.submit('What does shippingCost return for an empty cart?');
        for (let i = 0; i < 8 && chat.controller().window.droppedTurnIds.length === 0; i++) {
          await chat.view.submit(`Question ${i + 2}: write a TypeScript function that doubles a number and explain it.`);
        }
      } finally {
        posts.dispose();
      }
      const first = chat.controller().current()!.turns[0]!;
      const state = chat.view.state();
      assert.ok(state.droppedTurnIds.includes(first.id), 'the first exchange no longer fits in the trained 512-token window');
      assert.equal(state.contextTokens, 512);
      assert.ok(state.summary, 'the view is told what stands for the dropped turns');
      assert.ok(state.summary.turnIds.includes(first.id));
      assert.equal(state.summary.byModel, false, 'the bundled model does not write summaries');
      assert.match(state.summary.text, /^The user asked:\n- What does shippingCost return for an empty cart\?/);
      const posted = posts.messages.filter((m) => m.type === 'chat/state').at(-1);
      assert.ok(posted?.type === 'chat/state' && posted.state.summary?.turnIds.includes(first.id), 'the summary marker reached the webview');
      const prompt = await chat.controller().inspectPrompt();
      assert.ok(prompt.includes('Earlier in this conversation (summarised):\nThe user asked:'), prompt);
      assert.ok(prompt.includes(`Context attached earlier in this conversation:\n\nsrc/shop/shipping.ts:\n\`\`\`typescript\n${doc.getText()}`), 'the attached file is still sent');
    } finally {
      await restore();
    }
  });
});
