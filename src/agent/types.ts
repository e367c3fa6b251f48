/**
 * Agent mode's plain data: the tools a chat model may call, what they need from the user before
 * they run, and what they return. No editor types: the host implements tools over VS Code, MCP
 * servers add their own, and the loop (`loop.ts`) sees only this.
 */
import type { JsonSchema, ToolCall, ToolDefinition } from '../protocol/generation';

export type { JsonSchema, ToolCall, ToolDefinition };

/**
 * What running a tool may do, which decides whether it asks first: `read` runs without asking in a
 * trusted workspace; `edit` and `execute` ask every time unless allowed for the session; in an
 * untrusted workspace only `read` runs.
 */
export type PermissionClass = 'read' | 'edit' | 'execute';

export const PERMISSION_CLASSES: readonly PermissionClass[] = ['read', 'edit', 'execute'];

/** A proposed change to one file, for review before it is applied. */
export interface FileChange {
  /** Workspace-relative path. */
  path: string;
  /** Current text; undefined when the change creates the file. */
  before: string | undefined;
  after: string;
}

/** What the user is shown before approving a call: a summary line, and the edits to review. */
export interface ToolPreview {
  summary: string;
  changes?: readonly FileChange[];
}

/** What the model is told, and whether the call failed (shown as failed, told to the model as such). */
export interface ToolResult {
  text: string;
  isError?: boolean;
}

export interface ToolRunContext {
  signal: AbortSignal;
  /** For edits: the paths the user accepted in the review (all, when allowed for the session). */
  acceptedPaths?: readonly string[];
  /** Output as it arrives (a command's), for the chat to show while the tool runs. */
  onOutput?(text: string): void;
}

/** One callable tool: its definition for the model, its permission class, and how it runs. */
export interface AgentTool {
  readonly definition: ToolDefinition;
  readonly permission: PermissionClass;
  /** Where it comes from, as the chat shows it: `builtin`, or `mcp:<server name>`. */
  readonly source: string;
  /** Validates the arguments and says what the call would do; throws ToolInputError when they are wrong. */
  preview?(args: Record<string, unknown>, signal: AbortSignal): Promise<ToolPreview>;
  run(args: Record<string, unknown>, context: ToolRunContext): Promise<ToolResult>;
}

/** Arguments a tool cannot work with: told to the model, so that it may correct the call. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

/** A set of tools that may change while the chat runs (an MCP server connecting or going away). */
export interface ToolSource {
  tools(): readonly AgentTool[];
  /** Called with a listener for changes; returns the unsubscribe function. */
  onDidChange?(listener: () => void): () => void;
}

/** The user's answer to a call that asks first. */
export interface Approval {
  decision: 'allow' | 'allow-session' | 'deny';
  /** For edits: the paths accepted (the others rejected). Undefined: all. */
  acceptedPaths?: readonly string[];
}

/** State of one call as the chat shows it. */
export type ToolCallState = 'waiting-approval' | 'running' | 'done' | 'failed' | 'denied' | 'cancelled';

export const TOOL_CALL_STATES: readonly ToolCallState[] = ['waiting-approval', 'running', 'done', 'failed', 'denied', 'cancelled'];
