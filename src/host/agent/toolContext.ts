/**
 * What every built-in tool is built from: the workspace folders, the limits, and the
 * model-facing descriptions (the prompt pack's).
 */
import type { ToolDefinition, JsonSchema } from '../../agent/types';
import type { WorkspaceRoot } from './workspacePath';

export interface BuiltinToolLimits {
  /** Characters of any tool's result told to the model. Default 30 000. */
  readonly resultMaxChars: number;
  /** Bytes read_file reads from a file; the rest is left out with a note. Default 1 MiB. */
  readonly readMaxBytes: number;
  /** list_files' results when max_results is not given, and the most it may ask. Defaults 200 and 2 000. */
  readonly listDefaultResults: number;
  readonly listMaxResults: number;
  /** search_text's matches when max_results is not given, and the most it may ask. Defaults 50 and 500. */
  readonly searchDefaultResults: number;
  readonly searchMaxResults: number;
  /** Files search_text reads at most. Default 5 000. */
  readonly searchMaxFiles: number;
  /** Bytes of one file above which search_text skips it. Default 1 MiB. */
  readonly searchMaxFileBytes: number;
  /** Bytes search_text reads in all. Default 64 MiB. */
  readonly searchMaxTotalBytes: number;
  /** Milliseconds one search may take, the regular expression's matching included. Default 10 000. */
  readonly searchTimeMs: number;
  /** Characters of a matching line shown. Default 240. */
  readonly searchLineChars: number;
  /** Diagnostics get_problems lists at most. Default 200. */
  readonly problemsMaxResults: number;
  /** Locations find_definition / find_references list at most. Default 100. */
  readonly symbolMaxResults: number;
  /** Edits one propose_edits call may carry, and the largest file (bytes) it may edit. Defaults 50 and 1 MiB. */
  readonly editMaxEdits: number;
  readonly editMaxFileBytes: number;
  /** run_command's time limit in seconds when timeout_seconds is not given, and the most it may ask. Defaults 60 and 600. */
  readonly commandDefaultSeconds: number;
  readonly commandMaxSeconds: number;
}

export const DEFAULT_TOOL_LIMITS: BuiltinToolLimits = {
  resultMaxChars: 30_000,
  readMaxBytes: 1024 * 1024,
  listDefaultResults: 200,
  listMaxResults: 2_000,
  searchDefaultResults: 50,
  searchMaxResults: 500,
  searchMaxFiles: 5_000,
  searchMaxFileBytes: 1024 * 1024,
  searchMaxTotalBytes: 64 * 1024 * 1024,
  searchTimeMs: 10_000,
  searchLineChars: 240,
  problemsMaxResults: 200,
  symbolMaxResults: 100,
  editMaxEdits: 50,
  editMaxFileBytes: 1024 * 1024,
  commandDefaultSeconds: 60,
  commandMaxSeconds: 600,
};

export interface ToolContext {
  /** The workspace folders now (they may change while the chat runs). */
  roots(): readonly WorkspaceRoot[];
  readonly limits: BuiltinToolLimits;
  /** The model-facing description of a tool: the prompt pack's, or an empty string for the default. */
  describe(name: string): string;
}

export function toolDefinition(context: ToolContext, name: string, parameters: JsonSchema): ToolDefinition {
  // The descriptions live in the prompt pack (templates of kind `tool`); without one the name must do.
  const description = context.describe(name)?.trim() || name;
  return { name, description, parameters };
}
