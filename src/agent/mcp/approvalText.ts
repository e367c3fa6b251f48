/**
 * The question asked before a workspace's server starts. It names everything that decides what
 * runs: the command line, the folder, and the environment (a variable such as NODE_OPTIONS or
 * LD_PRELOAD changes what a harmless-looking command does), or the URL and the headers sent.
 */
import type { McpServerConfig } from './config';
import { describeTarget } from './transports';

const MAX_SHOWN_CHARS = 200;

const cut = (text: string): string => (text.length > MAX_SHOWN_CHARS ? `${text.slice(0, MAX_SHOWN_CHARS)}...` : text);

function whatItDoes(server: McpServerConfig): string[] {
  if (server.transport === 'http') {
    const headers = Object.keys(server.headers);
    return [`connect to ${cut(server.url)}`, ...(headers.length > 0 ? [`sending the headers ${headers.join(', ')}`] : [])];
  }
  const env = Object.entries(server.env).map(([name, value]) => `  ${name}=${cut(value)}`);
  return [
    `run ${cut(describeTarget(server))}`,
    ...(server.cwd ? [`in ${server.cwd}`] : []),
    ...(env.length > 0 ? ['with the environment', ...env] : []),
  ];
}

export function approvalQuestion(server: McpServerConfig): { message: string; detail: string } {
  return {
    message: `Start the MCP server "${server.name}" from this workspace?`,
    detail: [
      'The workspace file .autoglm/mcp.json asks to',
      ...whatItDoes(server),
      '',
      "Its tools become available to the chat's agent mode. Start it only if you trust this workspace's authors; you are asked again if its configuration changes.",
    ].join('\n'),
  };
}
