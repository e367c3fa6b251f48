/**
 * One MCP tool as an `AgentTool`: its name made safe for every backend, the server's description
 * and input schema, and a permission class that trusts only an explicit read-only claim.
 */
import type { AgentTool, JsonSchema, PermissionClass, ToolPreview, ToolResult, ToolRunContext } from '../types';
import { capText } from './content';

/** What a server says about one tool, after the client has checked its shape. */
export interface McpToolInfo {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly inputSchema: JsonSchema;
  readonly annotations?: { readonly readOnlyHint?: boolean; readonly destructiveHint?: boolean; readonly title?: string };
}

/** Calls one tool on its server by the server's own name for it. */
export type McpToolCall = (tool: string, args: Record<string, unknown>, context: ToolRunContext) => Promise<ToolResult>;

export const MAX_DESCRIPTION_CHARS = 2000;
const PREVIEW_ARGS_CHARS = 300;

/** `read` only when the server says so; anything else may change the world. */
export function mcpPermission(tool: McpToolInfo): PermissionClass {
  return tool.annotations?.readOnlyHint === true ? 'read' : 'execute';
}

function description(server: string, tool: McpToolInfo): string {
  const text = tool.description?.trim() || tool.title?.trim() || tool.annotations?.title?.trim() || `Tool "${tool.name}" of the MCP server "${server}".`;
  return capText(text, MAX_DESCRIPTION_CHARS);
}

function argumentsSummary(args: Record<string, unknown>): string {
  let text: string;
  try {
    text = JSON.stringify(args);
  } catch {
    text = '(arguments that cannot be shown)';
  }
  return text.length > PREVIEW_ARGS_CHARS ? `${text.slice(0, PREVIEW_ARGS_CHARS)}...` : text;
}

/** The agent's view of `tool` on `server`, offered to the model as `name`. */
export function toAgentTool(server: string, tool: McpToolInfo, name: string, call: McpToolCall): AgentTool {
  return {
    definition: { name, description: description(server, tool), parameters: tool.inputSchema },
    permission: mcpPermission(tool),
    source: `mcp:${server}`,
    preview: (args): Promise<ToolPreview> => Promise.resolve({ summary: `${tool.name} on MCP server "${server}" with ${argumentsSummary(args)}` }),
    run: (args, context) => call(tool.name, args, context),
  };
}
