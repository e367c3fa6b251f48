import * as vscode from 'vscode';
import * as path from 'node:path';
import { snippetDefaultPath } from '../chat/snippetPath';
import type { CodeAction } from '../protocol/webview';

const PROPOSAL_SCHEME = 'autoglm-proposal';

interface Proposal {
  target: vscode.Uri;
  range: vscode.Range;
  code: string;
  proposalUri: vscode.Uri;
}

/** Code-block actions of the chat: copy, insert at cursor, apply through a diff, save as a file. */
export class CodeActions implements vscode.Disposable {
  private readonly proposals = new Map<string, string>();
  private pending: Proposal | undefined;
  private counter = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly editor: () => vscode.TextEditor | undefined) {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, { provideTextDocumentContent: (uri) => this.proposals.get(uri.toString()) ?? '' }),
      vscode.commands.registerCommand('autoglm.proposal.accept', () => this.accept()),
      vscode.commands.registerCommand('autoglm.proposal.reject', () => this.reject()),
    );
  }

  async run(action: CodeAction, code: string, language: string): Promise<void> {
    switch (action) {
      case 'copy':
        await vscode.env.clipboard.writeText(code);
        return;
      case 'insert':
        return this.insert(code);
      case 'apply':
        return this.propose(code);
      case 'saveAs':
        return this.saveAs(code, language);
      default: {
        const never: never = action;
        throw new Error(`Unknown code action ${String(never)}`);
      }
    }
  }

  private requireEditor(): vscode.TextEditor {
    const editor = this.editor();
    if (!editor) {
      throw new Error('Open a file in the editor first: there is no editor to put the code into.');
    }
    return editor;
  }

  /** Inserts at the cursor, replacing the selection if there is one. */
  private async insert(code: string): Promise<void> {
    const editor = this.requireEditor();
    const ok = await editor.edit((b) => {
      for (const s of editor.selections) {
        b.replace(s, code);
      }
    });
    if (!ok) {
      throw new Error(`Could not insert into ${editor.document.uri.fsPath}`);
    }
  }

  /** Shows the change as a diff; nothing is written until the user accepts it. */
  private async propose(code: string): Promise<void> {
    const editor = this.requireEditor();
    const doc = editor.document;
    const range = editor.selection.isEmpty ? new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)) : editor.selection;
    const proposed = doc.getText(new vscode.Range(doc.positionAt(0), range.start)) + code + doc.getText(new vscode.Range(range.end, doc.positionAt(doc.getText().length)));
    const proposalUri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${++this.counter}/${path.basename(doc.uri.path)}` });
    this.proposals.set(proposalUri.toString(), proposed);
    this.pending = { target: doc.uri, range, code, proposalUri };
    await vscode.commands.executeCommand('vscode.diff', doc.uri, proposalUri, `${path.basename(doc.uri.path)} ↔ proposed change`);
    void vscode.window
      .showInformationMessage(`Apply the proposed change to ${vscode.workspace.asRelativePath(doc.uri)}?`, 'Accept', 'Reject')
      .then((choice) => (choice === 'Accept' ? this.accept() : choice === 'Reject' ? this.reject() : undefined));
  }

  /** Applies the pending proposal; returns false when there is none. */
  async accept(): Promise<boolean> {
    const p = this.pending;
    if (!p) {
      return false;
    }
    this.pending = undefined;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(p.target, p.range, p.code);
    const ok = await vscode.workspace.applyEdit(edit);
    await this.closeDiff(p);
    if (ok) {
      await vscode.window.showTextDocument(p.target);
    }
    return ok;
  }

  async reject(): Promise<boolean> {
    const p = this.pending;
    if (!p) {
      return false;
    }
    this.pending = undefined;
    await this.closeDiff(p);
    return true;
  }

  private async closeDiff(p: Proposal): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === p.proposalUri.toString());
    await vscode.window.tabGroups.close(tabs);
    this.proposals.delete(p.proposalUri.toString());
  }

  private async saveAs(code: string, language: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const defaultUri = folder ? folder.with({ path: snippetDefaultPath(folder.path, language) }) : undefined;
    const target = await vscode.window.showSaveDialog({ ...(defaultUri ? { defaultUri } : {}), saveLabel: 'Save code' });
    if (!target) {
      return;
    }
    await vscode.workspace.fs.writeFile(target, Buffer.from(code, 'utf8'));
    await vscode.window.showTextDocument(target);
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
