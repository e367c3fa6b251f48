/**
 * search_text's walk: the files VS Code's file search finds, each read (an editor's unsaved text
 * first) and matched, within bounds on files, bytes, time and matches. A file that is too large,
 * binary, or a link out of the workspace is skipped and counted.
 */
import { ToolInputError } from '../../agent/types';
import type { BuiltinToolLimits } from './toolContext';
import { MatchTimeout, type TextMatcher } from './textMatcher';
import { findWorkspaceFiles } from './workspaceFiles';
import { resolveWorkspacePath, type WorkspaceRoot } from './workspacePath';
import { readWorkspaceText } from './workspaceText';

export interface SearchRequest {
  readonly matcher: TextMatcher;
  readonly glob: string;
  readonly maxResults: number;
}

/** Why a search ended before it had looked at every file. */
export type SearchStop = 'results' | 'files' | 'bytes' | 'time';

export interface SearchOutcome {
  /** `path:line: text`, in path order. */
  readonly lines: string[];
  readonly filesSearched: number;
  readonly filesMatched: number;
  readonly skipped: { readonly large: number; readonly binary: number; readonly outside: number };
  readonly stop: SearchStop | undefined;
}

type SearchBudget = Pick<BuiltinToolLimits, 'searchMaxFiles' | 'searchMaxFileBytes' | 'searchMaxTotalBytes' | 'searchTimeMs' | 'searchLineChars'>;

export async function searchWorkspace(roots: readonly WorkspaceRoot[], request: SearchRequest, budget: SearchBudget, signal: AbortSignal): Promise<SearchOutcome> {
  const deadline = Date.now() + budget.searchTimeMs;
  const { files, more } = await findWorkspaceFiles(roots, request.glob, budget.searchMaxFiles, signal);
  const lines: string[] = [];
  const skipped = { large: 0, binary: 0, outside: 0 };
  let filesSearched = 0;
  let filesMatched = 0;
  let bytes = 0;
  let stop: SearchStop | undefined = more ? 'files' : undefined;
  for (const file of files) {
    signal.throwIfAborted();
    if (Date.now() >= deadline) {
      stop = 'time';
      break;
    }
    let read;
    try {
      read = await readWorkspaceText(resolveWorkspacePath(roots, file.absolute), budget.searchMaxFileBytes);
    } catch (err) {
      if (err instanceof ToolInputError) {
        skipped.outside++;
        continue;
      }
      throw err;
    }
    if (read.kind === 'missing') {
      continue;
    }
    if (read.kind === 'binary' || (read.kind === 'text' && read.partial)) {
      skipped[read.kind === 'binary' ? 'binary' : 'large']++;
      continue;
    }
    if (bytes + read.text.length > budget.searchMaxTotalBytes) {
      stop = 'bytes';
      break;
    }
    bytes += read.text.length;
    filesSearched++;
    let matches;
    try {
      matches = request.matcher.matchLines(read.text, request.maxResults - lines.length, budget.searchLineChars, deadline - Date.now());
    } catch (err) {
      if (err instanceof MatchTimeout) {
        stop = 'time';
        break;
      }
      throw err;
    }
    if (matches.length > 0) {
      filesMatched++;
      lines.push(...matches.map((m) => `${file.display}:${m.line}: ${m.text}`));
    }
    if (lines.length >= request.maxResults) {
      stop = 'results';
      break;
    }
  }
  return { lines, filesSearched, filesMatched, skipped, stop };
}
