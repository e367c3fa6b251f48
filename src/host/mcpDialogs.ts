/**
 * What the user sees of MCP servers: the question before a workspace server starts, and the list
 * of servers with their state.
 */
import * as vscode from 'vscode';
import { approvalQuestion } from '../agent/mcp/approvalText';
import type { McpServerConfig } from '../agent/mcp/config';
import type { McpServerStatus } from '../agent/mcp/connection';
import { describeTarget } from '../agent/mcp/transports';

const START = 'Start Server';

/** A modal question naming what would run or be reached; only an explicit "Start Server" says yes. */
export async function askToStartServer(server: McpServerConfig): Promise<boolean> {
  const { message, detail } = approvalQuestion(server);
  return (await vscode.window.showWarningMessage(message, { modal: true, detail }, START)) === START;
}

export type ServerListEntry = { readonly kind: 'status'; readonly status: McpServerStatus } | { readonly kind: 'declined'; readonly server: McpServerConfig };

export type ServerListChoice = { readonly kind: 'restart' } | { readonly kind: 'log' } | { readonly kind: 'reconsider'; readonly server: McpServerConfig };

const STATE_ICONS: Record<McpServerStatus['state'], string> = { ready: '$(check)', starting: '$(loading~spin)', failed: '$(error)', stopped: '$(circle-slash)' };

interface ChoiceItem extends vscode.QuickPickItem {
  readonly choice: ServerListChoice;
}

function statusItem(status: McpServerStatus): ChoiceItem {
  return {
    label: `${STATE_ICONS[status.state]} ${status.name}`,
    description: `${status.state}, ${status.toolCount} tools, ${status.scope === 'user' ? 'user settings' : 'workspace'}`,
    detail: status.lastError ? `${status.target}: ${status.lastError}` : status.target,
    choice: { kind: 'log' },
  };
}

function declinedItem(server: McpServerConfig): ChoiceItem {
  return {
    label: `$(shield) ${server.name}`,
    description: 'not approved: choose to be asked again',
    detail: describeTarget(server),
    choice: { kind: 'reconsider', server },
  };
}

/** The servers and their state; what the user chose to do, if anything. */
export async function pickServer(entries: readonly ServerListEntry[]): Promise<ServerListChoice | undefined> {
  const items: ChoiceItem[] = [
    { label: '$(refresh) Restart MCP Servers', choice: { kind: 'restart' } },
    { label: '$(output) Show MCP Log', choice: { kind: 'log' } },
    ...entries.map((e) => (e.kind === 'status' ? statusItem(e.status) : declinedItem(e.server))),
  ];
  const placeHolder = entries.length === 0 ? 'No MCP servers: add them to the autoglm.mcp.servers setting or to .autoglm/mcp.json' : 'MCP servers of this window';
  const pick = await vscode.window.showQuickPick(items, { title: 'Open AutoGLM: MCP Servers', placeHolder, matchOnDescription: true, matchOnDetail: true });
  return pick?.choice;
}
