import type { FileChange } from '../agent/types';
import type { FileChangeView, ToolCallView } from '../protocol/webview';
import type { ToolCallEntry } from './types';

/** A file's lines; its final newline ends the last line rather than starting another. */
function lines(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** Lines of the changed region: what lies between the lines both versions share at the start and the end. */
export function changedLines(before: string, after: string): { added: number; removed: number } {
  const a = lines(before);
  const b = lines(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && end < b.length - start && a[a.length - 1 - end] === b[b.length - 1 - end]) end++;
  return { added: b.length - start - end, removed: a.length - start - end };
}

function changeView(change: FileChange): FileChangeView {
  const { added, removed } = changedLines(change.before ?? '', change.after);
  return { path: change.path, created: change.before === undefined, addedLines: added, removedLines: removed };
}

/** A call as the view shows it: the changes as counts (the texts stay in the host). */
export function toolCallView(call: ToolCallEntry): ToolCallView {
  const { changes, acceptedPaths, ...rest } = call;
  return {
    ...rest,
    ...(changes ? { changes: changes.map(changeView) } : {}),
    ...(acceptedPaths ? { acceptedPaths: [...acceptedPaths] } : {}),
  };
}
