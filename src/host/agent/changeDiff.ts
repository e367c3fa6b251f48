/**
 * Shows a proposed change in VS Code's diff editor: the text before on the left, after on the
 * right, both served from memory by a content provider on the `autoglm-proposed` scheme. The
 * provider is registered while any shown change is alive; each show's owner disposes it.
 */
import * as vscode from 'vscode';
import type { FileChange } from '../../agent/types';

export const PROPOSED_SCHEME = 'autoglm-proposed';

const contents = new Map<string, string>();
let registration: vscode.Disposable | undefined;
let live = 0;
let nextId = 0;

const provider: vscode.TextDocumentContentProvider = {
  provideTextDocumentContent: (uri) => contents.get(uri.toString()) ?? '',
};

/** A URI under the change's path, so that the editor picks the file's language from its name. */
function contentUri(id: number, side: 'before' | 'after', path: string): vscode.Uri {
  return vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${id}/${side}/${path.replace(/^\/+/, '')}` });
}

function acquire(): void {
  if (live++ === 0) {
    registration = vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, provider);
  }
}

function release(uris: readonly vscode.Uri[]): void {
  for (const uri of uris) {
    contents.delete(uri.toString());
  }
  if (--live === 0) {
    registration?.dispose();
    registration = undefined;
  }
}

/** Opens the diff of `change`; disposing the result frees its texts (the editor tab shows them empty after). */
export async function showChangeDiff(change: FileChange): Promise<vscode.Disposable> {
  const id = nextId++;
  const before = contentUri(id, 'before', change.path);
  const after = contentUri(id, 'after', change.path);
  contents.set(before.toString(), change.before ?? '');
  contents.set(after.toString(), change.after);
  acquire();
  let disposed = false;
  const owned = new vscode.Disposable(() => {
    if (!disposed) {
      disposed = true;
      release([before, after]);
    }
  });
  try {
    const title = `${change.path} (${change.before === undefined ? 'new file' : 'proposed change'})`;
    await vscode.commands.executeCommand('vscode.diff', before, after, title, { preview: true });
  } catch (err) {
    owned.dispose();
    throw err;
  }
  return owned;
}
