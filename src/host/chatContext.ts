import * as vscode from 'vscode';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContextItem } from '../chat/types';

/** Turns the editor's state into context items for the chat: selection, file, problems, @-mentions. */
export class ChatContextSource implements vscode.Disposable {
  private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly maxFileChars: () => number) {
    // The webview takes focus when it is used, so remember the editor the user came from.
    this.subscription = vscode.window.onDidChangeActiveTextEditor((editor) => {
      if (editor) {
        this.lastEditor = editor;
      }
    });
  }

  /** The active text editor, or the last one before the chat view took focus. */
  get editor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active) {
      return active;
    }
    return this.lastEditor && vscode.window.visibleTextEditors.includes(this.lastEditor) ? this.lastEditor : undefined;
  }

  selection(editor = this.editor): ContextItem | undefined {
    if (!editor || editor.selection.isEmpty) {
      return undefined;
    }
    const s = editor.selection;
    const name = vscode.workspace.asRelativePath(editor.document.uri);
    return {
      id: randomUUID(),
      kind: 'selection',
      label: `${name}:${s.start.line + 1}-${s.end.line + 1}`,
      path: editor.document.uri.fsPath,
      languageId: editor.document.languageId,
      text: editor.document.getText(s),
    };
  }

  file(editor = this.editor): ContextItem | undefined {
    if (!editor) {
      return undefined;
    }
    return this.document(editor.document, 'file');
  }

  diagnostics(editor = this.editor): ContextItem | undefined {
    if (!editor) {
      return undefined;
    }
    const doc = editor.document;
    const problems = vscode.languages.getDiagnostics(doc.uri);
    if (problems.length === 0) {
      return undefined;
    }
    const severity = ['error', 'warning', 'info', 'hint'];
    const text = problems
      .map((d) => {
        const line = doc.lineAt(Math.min(d.range.start.line, doc.lineCount - 1)).text.trim();
        return `${d.range.start.line + 1}:${d.range.start.character + 1} ${severity[d.severity] ?? 'problem'}: ${d.message}${d.source ? ` (${d.source})` : ''}\n    ${line}`;
      })
      .join('\n');
    return { id: randomUUID(), kind: 'diagnostics', label: vscode.workspace.asRelativePath(doc.uri), path: doc.uri.fsPath, text };
  }

  /**
   * The @-mention picker: `@codebase` (the question searches the workspace index), then the
   * workspace files. Undefined when the user closes it.
   */
  async mention(): Promise<ContextItem | 'codebase' | undefined> {
    const files = await vscode.workspace.findFiles('**/*', '**/{node_modules,.git,dist,out}/**', 2000);
    const codebase = { label: '@codebase', description: 'the parts of the workspace most relevant to the question', uri: undefined };
    const pick = await vscode.window.showQuickPick(
      [codebase, ...files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), description: undefined, uri })).sort((a, b) => a.label.localeCompare(b.label))],
      { placeHolder: 'Attach a workspace file to the chat, or @codebase', matchOnDescription: true },
    );
    if (!pick) {
      return undefined;
    }
    if (!pick.uri) {
      return 'codebase';
    }
    const doc = await vscode.workspace.openTextDocument(pick.uri);
    return this.document(doc, 'mention');
  }

  /**
   * Opens an item's file at its lines: an index chunk by its workspace-relative path, which must
   * stay inside a workspace folder (no `..`, no symlink out of it); an attached file by its path.
   * False when there is nothing to open.
   */
  async open(item: ContextItem): Promise<boolean> {
    const target = item.location ? insideWorkspace(item.location.path) : item.path;
    if (target === undefined) {
      return false;
    }
    const range = item.location ?? lineRange(item.label);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(target));
    const selection = range ? new vscode.Range(range.startLine, 0, range.endLine, doc.lineAt(Math.min(range.endLine, doc.lineCount - 1)).text.length) : undefined;
    await vscode.window.showTextDocument(doc, { preview: true, ...(selection ? { selection } : {}) });
    return true;
  }

  private document(doc: vscode.TextDocument, kind: 'file' | 'mention'): ContextItem {
    const max = this.maxFileChars();
    const full = doc.getText();
    const text = full.length > max ? `${full.slice(0, max)}\n[... ${full.length - max} more characters left out to fit the context window]` : full;
    return { id: randomUUID(), kind, label: vscode.workspace.asRelativePath(doc.uri), path: doc.uri.fsPath, languageId: doc.languageId, text };
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

/** A selection chip's lines from its label (`a.ts:3-7`, one-based), zero-based. */
function lineRange(label: string): { startLine: number; endLine: number } | undefined {
  const m = /:(\d+)-(\d+)$/.exec(label);
  return m ? { startLine: Number(m[1]) - 1, endLine: Number(m[2]) - 1 } : undefined;
}

/** The real path of `relative` in the first workspace folder that holds it, never outside that folder. */
function insideWorkspace(relative: string): string | undefined {
  if (path.isAbsolute(relative) || relative.split(/[\\/]/).includes('..')) {
    return undefined;
  }
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    try {
      const root = fs.realpathSync(folder.uri.fsPath);
      const real = fs.realpathSync(path.join(root, relative));
      const rel = path.relative(root, real);
      if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) {
        return real;
      }
    } catch {
      // Not in this folder; the next one may hold it.
    }
  }
  return undefined;
}
