/**
 * The chat agent's built-in tools over VS Code, built from the workspace folders, the
 * model-facing descriptions and the limits. The composition root owns what they need that lives
 * on (the agent terminal) and disposes it.
 */
import * as vscode from 'vscode';
import type { AgentTool } from '../../agent/types';
import type { CommandEcho } from './agentTerminal';
import { getProblemsTool } from './getProblemsTool';
import { listFilesTool } from './listFilesTool';
import { proposeEditsTool } from './proposeEditsTool';
import { readFileTool } from './readFileTool';
import { runCommandTool } from './runCommandTool';
import { searchTextTool } from './searchTextTool';
import { findDefinitionTool, findReferencesTool } from './symbolTools';
import { DEFAULT_TOOL_LIMITS, type BuiltinToolLimits, type ToolContext } from './toolContext';
import type { WorkspaceRoot } from './workspacePath';

export interface BuiltinToolDeps {
  /** The workspace folders the tools may touch, read at each call. */
  roots(): readonly WorkspaceRoot[];
  /** The model-facing description of a tool by name; an empty string uses the built-in wording. */
  describe(name: string): string;
  limits?: Partial<BuiltinToolLimits>;
  /** Shows the user each command run_command runs (an AgentTerminal); none: not shown. */
  commandEcho?: CommandEcho;
}

/** The open workspace's folders on disk, for `BuiltinToolDeps.roots`. */
export function workspaceRoots(): WorkspaceRoot[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => ({ name: f.name, path: f.uri.fsPath }));
}

export function createBuiltinTools(deps: BuiltinToolDeps): AgentTool[] {
  const context: ToolContext = {
    roots: deps.roots,
    describe: deps.describe,
    limits: { ...DEFAULT_TOOL_LIMITS, ...deps.limits },
  };
  return [
    readFileTool(context),
    listFilesTool(context),
    searchTextTool(context),
    getProblemsTool(context),
    findDefinitionTool(context),
    findReferencesTool(context),
    proposeEditsTool(context),
    runCommandTool(context, deps.commandEcho),
  ];
}
