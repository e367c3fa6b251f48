import * as vscode from 'vscode';
import type { CompletionSnapshot, NeighbourFile } from '../completion';

/** Most recently used documents, so that completions can borrow snippets from related files. */
export class RecentDocuments implements vscode.Disposable {
  private readonly recent: string[] = [];
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly limit = 20) {
    const touch = (doc: vscode.TextDocument | undefined): void => {
      if (!doc || doc.uri.scheme === 'output') {
        return;
      }
      const key = doc.uri.toString();
      const at = this.recent.indexOf(key);
      if (at >= 0) {
        this.recent.splice(at, 1);
      }
      this.recent.unshift(key);
      this.recent.length = Math.min(this.recent.length, this.limit);
    };
    for (const editor of vscode.window.visibleTextEditors) {
      touch(editor.document);
    }
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor((e) => touch(e?.document)),
      vscode.workspace.onDidChangeTextDocument((e) => touch(e.document)),
    ];
  }

  /** Open documents of the same language, most recent first, without `exclude`. */
  neighbours(exclude: vscode.TextDocument, maxFiles: number, maxChars: number): NeighbourFile[] {
    const open = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d]));
    const result: NeighbourFile[] = [];
    for (const key of this.recent) {
      const doc = open.get(key);
      if (!doc || doc === exclude || doc.languageId !== exclude.languageId) {
        continue;
      }
      result.push({ path: vscode.workspace.asRelativePath(doc.uri), languageId: doc.languageId, text: doc.getText().slice(0, maxChars) });
      if (result.length >= maxFiles) {
        break;
      }
    }
    return result;
  }

  dispose(): void {
    for (const s of this.subscriptions) {
      s.dispose();
    }
  }
}

/** The plain snapshot the completion pipeline works on. */
export function snapshotOf(
  document: vscode.TextDocument,
  position: vscode.Position,
  context: vscode.InlineCompletionContext,
  neighbours: readonly NeighbourFile[],
): CompletionSnapshot {
  const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
  const options = editor?.options;
  const selected = context.selectedCompletionInfo;
  return {
    path: vscode.workspace.asRelativePath(document.uri),
    languageId: document.languageId,
    text: document.getText(),
    offset: document.offsetAt(position),
    line: position.line,
    character: position.character,
    eol: document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n',
    indentation: {
      insertSpaces: options?.insertSpaces !== false,
      tabSize: typeof options?.tabSize === 'number' ? options.tabSize : 4,
    },
    selectionEmpty: !editor || editor.selections.every((s) => s.isEmpty),
    ...(selected
      ? { selectedCompletion: { text: selected.text, range: { start: document.offsetAt(selected.range.start), end: document.offsetAt(selected.range.end) } } }
      : {}),
    neighbours,
  };
}
