/**
 * propose_edits: `preview` shows the changes for review; `run` applies the files the user
 * accepted as one WorkspaceEdit (one undo puts them back) and saves them, so that a command run
 * next sees them on disk.
 */
import * as vscode from 'vscode';
import type { AgentTool, ToolResult } from '../../agent/types';
import { changeSummary, proposeChanges, type ProposedChange } from './proposedChanges';
import { changedSpan, readEdits } from './searchReplace';
import { toolDefinition, type ToolContext } from './toolContext';
import { openDocument } from './workspaceText';

function parameters(maxEdits: number): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      edits: {
        type: 'array',
        minItems: 1,
        maxItems: maxEdits,
        items: {
          type: 'object',
          properties: {
            path: { type: 'string', description: 'File path relative to the workspace folder; a new file is created.' },
            old_text: { type: 'string', description: 'Exact text to replace; it must occur exactly once. Leave out to give the whole file.' },
            new_text: { type: 'string', description: 'The replacement, or the whole new content of the file when old_text is left out.' },
          },
          required: ['path', 'new_text'],
          additionalProperties: false,
        },
      },
    },
    required: ['edits'],
    additionalProperties: false,
  };
}

async function addToEdit(edit: vscode.WorkspaceEdit, change: ProposedChange): Promise<vscode.TextDocument | undefined> {
  const uri = vscode.Uri.file(change.target.absolute);
  if (change.before === undefined) {
    edit.createFile(uri, { contents: Buffer.from(change.after, 'utf8') });
    return undefined;
  }
  const doc = openDocument(change.target.absolute) ?? (await vscode.workspace.openTextDocument(uri));
  // From the document's own text: opening a file with mixed line ends normalises them.
  const span = changedSpan(doc.getText(), change.after);
  edit.replace(uri, new vscode.Range(doc.positionAt(span.start), doc.positionAt(span.endBefore)), span.text);
  return doc;
}

async function apply(changes: readonly ProposedChange[], accepted: readonly string[] | undefined): Promise<ToolResult> {
  const applied = accepted === undefined ? changes : changes.filter((c) => accepted.includes(c.path));
  const rejected = changes.filter((c) => !applied.includes(c)).map((c) => c.path);
  const rejectedNote = rejected.length > 0 ? `\nRejected by the user, left unchanged: ${rejected.join(', ')}.` : '';
  if (applied.length === 0) {
    return { text: `No file was changed.${rejectedNote}` };
  }
  const edit = new vscode.WorkspaceEdit();
  const docs: { doc: vscode.TextDocument; path: string }[] = [];
  for (const change of applied) {
    const doc = await addToEdit(edit, change);
    if (doc) {
      docs.push({ doc, path: change.path });
    }
  }
  if (!(await vscode.workspace.applyEdit(edit))) {
    return { text: `VS Code could not apply the edits to ${applied.map((c) => c.path).join(', ')}; no file was changed.${rejectedNote}`, isError: true };
  }
  const unsaved: string[] = [];
  for (const { doc, path } of docs) {
    if (!(await doc.save())) {
      unsaved.push(path);
    }
  }
  const names = applied.map((c) => (c.before === undefined ? `${c.path} (created)` : c.path));
  const unsavedNote = unsaved.length > 0 ? `\nChanged in the editor but not saved to disk: ${unsaved.join(', ')}.` : '';
  return { text: `Applied the edits to: ${names.join(', ')}.${rejectedNote}${unsavedNote}` };
}

export function proposeEditsTool(context: ToolContext): AgentTool {
  const { limits } = context;
  return {
    definition: toolDefinition(context, 'propose_edits', parameters(limits.editMaxEdits)),
    permission: 'edit',
    source: 'builtin',
    async preview(args) {
      const changes = await proposeChanges(context.roots(), readEdits(args, limits.editMaxEdits), limits);
      return { summary: changeSummary(changes), changes: changes.map(({ path, before, after }) => ({ path, before, after })) };
    },
    async run(args, { acceptedPaths, signal }) {
      // Computed again from the files as they are now: the user may have typed since the preview.
      const changes = await proposeChanges(context.roots(), readEdits(args, limits.editMaxEdits), limits);
      signal.throwIfAborted();
      return apply(changes, acceptedPaths);
    },
  };
}
