/**
 * A server's whole tool list: every page of `tools/list`, bounded in pages and tools, each tool
 * checked before the model is offered it (a name, an object schema of bounded size).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Logger } from '../../common/logger';
import type { McpToolInfo } from './adapter';

export interface ToolListLimits {
  readonly maxTools: number;
  readonly timeoutMs: number;
}

const MAX_PAGES = 100;
const MAX_TOOL_NAME_CHARS = 128;
/** A schema bigger than this would crowd the model's context out anyway. */
const MAX_SCHEMA_CHARS = 64 * 1024;

type RawTool = Awaited<ReturnType<Client['listTools']>>['tools'][number];

/** Why the tool is not offered, or undefined when it is fine. */
function problemOf(tool: RawTool, seen: ReadonlySet<string>): string | undefined {
  if (tool.name.length === 0 || tool.name.length > MAX_TOOL_NAME_CHARS) return `its name is not 1-${MAX_TOOL_NAME_CHARS} characters`;
  if (seen.has(tool.name)) return 'the server lists it twice';
  let schema: string;
  try {
    schema = JSON.stringify(tool.inputSchema);
  } catch {
    return 'its input schema is not JSON';
  }
  return schema.length > MAX_SCHEMA_CHARS ? `its input schema is larger than ${MAX_SCHEMA_CHARS} characters` : undefined;
}

function toInfo(tool: RawTool): McpToolInfo {
  return {
    name: tool.name,
    ...(tool.title === undefined ? {} : { title: tool.title }),
    ...(tool.description === undefined ? {} : { description: tool.description }),
    inputSchema: tool.inputSchema as Record<string, unknown>,
    ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
  };
}

export async function listAllTools(client: Client, limits: ToolListLimits, logger: Logger, signal?: AbortSignal): Promise<McpToolInfo[]> {
  const tools: McpToolInfo[] = [];
  const names = new Set<string>();
  const cursors = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: limits.timeoutMs, ...(signal ? { signal } : {}) });
    for (const tool of result.tools) {
      const problem = problemOf(tool, names);
      if (problem !== undefined) {
        logger.warn(`Tool "${tool.name.slice(0, MAX_TOOL_NAME_CHARS)}" is left out: ${problem}`);
        continue;
      }
      if (tools.length >= limits.maxTools) {
        logger.warn(`The server lists more than ${limits.maxTools} tools; the rest are left out`);
        return tools;
      }
      names.add(tool.name);
      tools.push(toInfo(tool));
    }
    cursor = result.nextCursor;
    if (cursor === undefined) return tools;
    if (cursors.has(cursor)) {
      logger.warn('The server repeated a tool list cursor; the list is taken as it stands');
      return tools;
    }
    cursors.add(cursor);
  }
  logger.warn(`The server's tool list has more than ${MAX_PAGES} pages; the rest are left out`);
  return tools;
}
