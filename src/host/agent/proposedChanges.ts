/**
 * propose_edits' edits turned into the changes the user reviews: each file's text now (an
 * editor's unsaved text first) and after the edits, every path checked to stay in the workspace.
 */
import { ToolInputError, type FileChange } from '../../agent/types';
import { applyTextEdit, editsByFile, type TextEdit } from './searchReplace';
import type { BuiltinToolLimits } from './toolContext';
import { resolveWorkspacePath, type WorkspacePath, type WorkspaceRoot } from './workspacePath';
import { readWorkspaceText } from './workspaceText';

export interface ProposedChange extends FileChange {
  readonly target: WorkspacePath;
}

type EditLimits = Pick<BuiltinToolLimits, 'editMaxFileBytes'>;

async function currentText(target: WorkspacePath, limits: EditLimits): Promise<string | undefined> {
  const read = await readWorkspaceText(target, limits.editMaxFileBytes);
  switch (read.kind) {
    case 'missing':
      return undefined;
    case 'binary':
      throw new ToolInputError(`${target.display} is a binary file; it cannot be edited as text.`);
    case 'text':
      if (read.partial) {
        throw new ToolInputError(`${target.display} is larger than ${limits.editMaxFileBytes} bytes; it is too large to edit here.`);
      }
      return read.text;
    default: {
      const never: never = read;
      throw new Error(`unexpected read ${JSON.stringify(never)}`);
    }
  }
}

/** One entry per file that the edits change, in the order the files first appear. */
export async function proposeChanges(roots: readonly WorkspaceRoot[], edits: readonly TextEdit[], limits: EditLimits): Promise<ProposedChange[]> {
  const targets = new Map(edits.map((e) => [e, resolveWorkspacePath(roots, e.path)]));
  const changes: ProposedChange[] = [];
  for (const group of editsByFile(edits, (e) => targets.get(e)!.absolute).values()) {
    const target = targets.get(group[0]!)!;
    if (target.display === '.' || target.absolute === target.root.path) {
      throw new ToolInputError('An edit must name a file, not the workspace folder.');
    }
    const before = await currentText(target, limits);
    let after = before;
    for (const edit of group) {
      after = applyTextEdit(after, { ...edit, path: target.display });
    }
    if (after !== undefined && after !== before) {
      changes.push({ target, path: target.display, before, after });
    }
  }
  if (changes.length === 0) {
    throw new ToolInputError('The edits change nothing: every file would stay as it is.');
  }
  return changes;
}

export function changeSummary(changes: readonly FileChange[]): string {
  const names = changes.map((c) => (c.before === undefined ? `${c.path} (new)` : c.path));
  return `Edit ${changes.length} file${changes.length === 1 ? '' : 's'}: ${names.join(', ')}`;
}
