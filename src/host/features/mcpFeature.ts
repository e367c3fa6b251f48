import * as vscode from 'vscode';
import { keyListMemory, ServerApproval, type AskToStart } from '../../agent/mcp/approval';
import type { McpConfigDiagnostic, McpServerConfig } from '../../agent/mcp/config';
import { WORKSPACE_CONFIG_PATH } from '../../agent/mcp/configFile';
import { loadMcpConfig } from '../../agent/mcp/load';
import type { McpServerStatus } from '../../agent/mcp/connection';
import { McpManager } from '../../agent/mcp/manager';
import type { ToolSource } from '../../agent/types';
import { Disposable, toDisposable } from '../../common/disposable';
import type { Logger } from '../../common/logger';
import { registerCommands } from '../commands';
import type { ConfigurationChange, LiveConfiguration } from '../configuration';
import { createChannelLogger } from '../logChannel';
import { askToStartServer, pickServer, type ServerListEntry } from '../mcpDialogs';

export interface McpFeatureDeps {
  settings: LiveConfiguration;
  workspaceState: vscode.Memento;
}

export const SHOW_MCP_SERVERS_COMMAND = 'autoglm.mcp.showServers';
export const RESTART_MCP_SERVERS_COMMAND = 'autoglm.mcp.restartServers';

const APPROVALS_KEY = 'autoglm.mcp.approvedServers';
/** Quiet time after activation, so that starting server processes does not compete with the window's start. */
const START_DELAY_MS = 1500;
/** Editors save a file in several events; one reload follows them. */
const RELOAD_DEBOUNCE_MS = 300;

/**
 * MCP servers for the chat's agent mode: those of the user's `autoglm.mcp.servers` start without
 * asking; those of a trusted workspace's `.autoglm/mcp.json` once the user approved each. Kept
 * current with the setting, the file, the folders and the workspace's trust; lifecycle and server
 * stderr go to the "Open AutoGLM MCP" log; failures are shown once each. `source` is what the
 * chat offers the model.
 */
export class McpFeature extends Disposable {
  readonly logger: Logger;
  /** How a workspace server is approved; replaceable so that extension-host tests can answer. */
  ask: AskToStart = askToStartServer;
  private readonly channel = this.register(vscode.window.createOutputChannel('Open AutoGLM MCP', { log: true }));
  private readonly manager: McpManager;
  private readonly approval: ServerApproval;
  private declined: readonly McpServerConfig[] = [];
  private reloading: Promise<void> | undefined;
  private reloadAgain = false;
  private reloadTimer: NodeJS.Timeout | undefined;
  private watchers: vscode.Disposable[] = [];
  private shownProblems = '';
  private readonly shownFailures = new Map<string, string>();

  constructor(private readonly deps: McpFeatureDeps) {
    super();
    this.logger = createChannelLogger(this.channel, () => deps.settings.current.log.level);
    this.manager = new McpManager({ logger: this.logger });
    this.approval = new ServerApproval(
      keyListMemory(() => deps.workspaceState.get<string[]>(APPROVALS_KEY, []), (keys) => deps.workspaceState.update(APPROVALS_KEY, keys)),
      () => this.ask,
    );
    this.register(toDisposable(this.manager.onDidChange(() => this.reportFailures())));
    this.register(deps.settings.onDidChange((change) => this.onConfigChanged(change)));
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduleReload()));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleReload()));
    this.register(
      registerCommands([
        { id: SHOW_MCP_SERVERS_COMMAND, execute: () => this.showServers() },
        { id: RESTART_MCP_SERVERS_COMMAND, execute: () => this.restart() },
      ]),
    );
    this.register(toDisposable(() => this.stop()));
    this.scheduleReload(START_DELAY_MS);
  }

  /** The tools of every ready server, for the chat's agent mode. */
  get source(): ToolSource {
    return this.manager;
  }

  /** Servers started, with their state (tests, the server list). */
  servers(): McpServerStatus[] {
    return this.manager.servers();
  }

  /** Reads the configuration again and starts, stops or asks about servers to match it; resolves when they have settled. */
  async reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = this.reloadOnce().catch((err: unknown) => this.logger.error('Reading the MCP configuration failed', { error: err }));
    try {
      await this.reloading;
    } finally {
      this.reloading = undefined;
    }
    if (this.reloadAgain && !this.isDisposed) {
      this.reloadAgain = false;
      await this.reload();
    }
  }

  /** Reads the configuration again and starts every server anew (the restart command). */
  async restart(): Promise<void> {
    this.shownFailures.clear();
    await this.reload();
    await this.manager.restart();
  }

  private async reloadOnce(): Promise<void> {
    const roots = this.workspaceRoots();
    this.watch(roots);
    const trusted = vscode.workspace.isTrusted;
    const loaded = await loadMcpConfig({ userServers: this.deps.settings.current.mcp.servers, workspaceRoots: roots, workspaceTrusted: trusted });
    this.reportDiagnostics(loaded.diagnostics);
    if (!trusted && roots.length > 0) this.logger.debug(`The workspace is not trusted: ${WORKSPACE_CONFIG_PATH} is not read`);
    // What needs no question starts at once, rather than waiting for the user to answer about the rest.
    const unasked = this.manager.setServers(this.approval.allowedWithoutAsking(loaded.servers));
    const { allowed, declined } = await this.approval.decide(loaded.servers);
    this.declined = declined;
    for (const server of declined) this.logger.info(`MCP server "${server.name}" of the workspace is not started: not approved`);
    await Promise.all([unasked, this.manager.setServers(allowed)]);
  }

  private onConfigChanged({ next, prev }: ConfigurationChange): void {
    if (JSON.stringify(next.mcp.servers) !== JSON.stringify(prev.mcp.servers)) this.scheduleReload();
  }

  private scheduleReload(delayMs = RELOAD_DEBOUNCE_MS): void {
    if (this.isDisposed) return;
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.reload(), delayMs);
  }

  private workspaceRoots(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  }

  /** One watcher per folder on its `.autoglm/mcp.json`, replaced when the folders change. */
  private watch(roots: readonly string[]): void {
    for (const w of this.watchers.splice(0)) w.dispose();
    for (const root of roots) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(root), WORKSPACE_CONFIG_PATH.split('\\').join('/')));
      const onEvent = (): void => this.scheduleReload();
      this.watchers.push(watcher, watcher.onDidCreate(onEvent), watcher.onDidChange(onEvent), watcher.onDidDelete(onEvent));
    }
  }

  private reportDiagnostics(diagnostics: readonly McpConfigDiagnostic[]): void {
    for (const d of diagnostics) {
      if (d.severity === 'error') this.logger.error(d.message);
      else this.logger.warn(d.message);
    }
    const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    const text = errors.join('\n');
    if (text === this.shownProblems) return;
    this.shownProblems = text;
    if (errors.length > 0) {
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more problems)` : '';
      void this.offerLog(`Open AutoGLM: MCP configuration: ${errors[0]}${more}`);
    }
  }

  /** Each server's failure once, until it starts again. */
  private reportFailures(): void {
    for (const status of this.manager.servers()) {
      const key = `${status.scope}:${status.name}`;
      if (status.state === 'ready') this.shownFailures.delete(key);
      if (status.state !== 'failed' || !status.lastError || this.shownFailures.get(key) === status.lastError) continue;
      this.shownFailures.set(key, status.lastError);
      void this.offerLog(`Open AutoGLM: MCP server "${status.name}" failed: ${status.lastError}`);
    }
  }

  private async offerLog(message: string): Promise<void> {
    if ((await vscode.window.showWarningMessage(message, 'Show Log')) === 'Show Log') this.channel.show(true);
  }

  private async showServers(): Promise<void> {
    const entries: ServerListEntry[] = [...this.manager.servers().map((status) => ({ kind: 'status', status }) as const), ...this.declined.map((server) => ({ kind: 'declined', server }) as const)];
    const choice = await pickServer(entries);
    switch (choice?.kind) {
      case undefined:
        return;
      case 'restart':
        return this.restart();
      case 'log':
        this.channel.show(true);
        return;
      case 'reconsider':
        this.approval.reconsider(choice.server);
        return this.reload();
      default: {
        const never: never = choice;
        throw new Error(`Unknown choice ${JSON.stringify(never)}`);
      }
    }
  }

  private stop(): void {
    clearTimeout(this.reloadTimer);
    for (const w of this.watchers.splice(0)) w.dispose();
    void this.manager.dispose();
  }
}
