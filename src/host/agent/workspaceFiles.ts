/** Workspace files matching a glob in every folder, through VS Code's file search (files.exclude honoured). */
import * as vscode from 'vscode';
import { ToolInputError } from '../../agent/types';
import { withToken } from './cancellation';
import { displayPath, type WorkspaceRoot } from './workspacePath';

export interface FoundFile {
  readonly absolute: string;
  readonly display: string;
}

/** At most `max` files, sorted by path; `more` when others match too. */
export async function findWorkspaceFiles(roots: readonly WorkspaceRoot[], glob: string, max: number, signal: AbortSignal): Promise<{ files: FoundFile[]; more: boolean }> {
  if (roots.length === 0) {
    throw new ToolInputError('No folder is open in the editor, so there are no workspace files.');
  }
  const found: FoundFile[] = [];
  for (const root of roots) {
    // One more than asked tells whether there are more.
    const uris = await withToken(signal, (token) => vscode.workspace.findFiles(new vscode.RelativePattern(vscode.Uri.file(root.path), glob), undefined, max + 1, token));
    for (const uri of uris) {
      const display = displayPath(roots, uri.fsPath);
      if (display !== undefined) {
        found.push({ absolute: uri.fsPath, display });
      }
    }
  }
  found.sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
  return { files: found.slice(0, max), more: found.length > max };
}
