/**
 * The current text of a workspace file, as the agent's tools read it: an open editor's text
 * (unsaved changes included) before the file on disk, and only after the path is known to stay
 * inside the workspace, links followed.
 */
import * as vscode from 'vscode';
import { ToolInputError } from '../../agent/types';
import { readFileStart } from './boundedRead';
import { realPathInside, type WorkspacePath } from './workspacePath';

export type WorkspaceText =
  /** `partial`: cut at the byte limit; `size` is the whole file's, in bytes (characters for an editor's text). */
  | { readonly kind: 'text'; readonly text: string; readonly partial: boolean; readonly size: number }
  | { readonly kind: 'missing' }
  | { readonly kind: 'binary'; readonly size: number };

/** The open document of a file, if an editor has it (the text model may outlive the editor tab). */
export function openDocument(absolute: string): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === absolute);
}

/** Reads `target` within `maxBytes`; a folder, pipe or device, or a link out of the workspace, is a ToolInputError. */
export async function readWorkspaceText(target: WorkspacePath, maxBytes: number): Promise<WorkspaceText> {
  const { real, exists } = await realPathInside(target);
  const doc = openDocument(target.absolute);
  if (doc) {
    const text = doc.getText();
    return { kind: 'text', text: text.length > maxBytes ? text.slice(0, maxBytes) : text, partial: text.length > maxBytes, size: text.length };
  }
  if (!exists) {
    return { kind: 'missing' };
  }
  const start = await readFileStart(real, maxBytes);
  switch (start.kind) {
    case 'text':
      return { kind: 'text', text: start.text, partial: start.truncated, size: start.size };
    case 'binary':
    case 'missing':
      return start;
    case 'not-a-file':
      throw new ToolInputError(`${target.display} is ${start.what}, not a file.`);
    default: {
      const never: never = start;
      throw new Error(`unexpected read outcome ${JSON.stringify(never)}`);
    }
  }
}
