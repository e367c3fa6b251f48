import * as vscode from 'vscode';
import type { ChatAgent } from '../../chat/agentTurn';
import { PermissionPolicy } from '../../agent/permissions';
import type { AgentTool, FileChange, ToolSource } from '../../agent/types';
import { Disposable } from '../../common/disposable';
import type { Logger } from '../../common/logger';
import type { AgentView } from '../../protocol/webview';
import { AgentTerminal } from '../agent/agentTerminal';
import { createBuiltinTools, workspaceRoots } from '../agent/builtinTools';
import { showChangeDiff } from '../agent/changeDiff';
import type { ChatAgentHost } from '../chatView';
import type { LiveConfiguration } from '../configuration';
import type { TemplatesFeature } from './templatesFeature';

/** The switch is remembered per workspace. */
const ENABLED_KEY = 'autoglm.agent.enabled';

/** Said to the model when the pack has no `agent-system` template or it fails to render. */
const FALLBACK_SYSTEM_PROMPT =
  "You are Open AutoGLM, a coding assistant in the user's editor, in agent mode: call the tools to look at and change the workspace, then answer concisely.";

export interface AgentFeatureDeps {
  context: vscode.ExtensionContext;
  settings: LiveConfiguration;
  templates: TemplatesFeature;
  logger: Logger;
  /** Tools of the MCP servers, once they connect. */
  mcp?: () => ToolSource | undefined;
}

/**
 * Agent mode: which tools the chat's model may call (the built-in ones over VS Code, then those of
 * MCP servers), who may run them (workspace trust, the session's allowances), the agent's system
 * prompt and tool descriptions from the prompt pack, and the switch in the chat view.
 */
export class AgentFeature extends Disposable {
  readonly permissions = new PermissionPolicy(() => vscode.workspace.isTrusted);
  private builtin: { catalog: unknown; tools: readonly AgentTool[] } | undefined;
  /** Where run_command shows what it runs. */
  private readonly terminal = this.register(new AgentTerminal());

  constructor(private readonly deps: AgentFeatureDeps) {
    super();
  }

  get enabled(): boolean {
    return this.deps.context.workspaceState.get<boolean>(ENABLED_KEY, false);
  }

  setEnabled(enabled: boolean): void {
    void this.deps.context.workspaceState.update(ENABLED_KEY, enabled);
    this.deps.logger.info('Agent mode', { enabled });
  }

  tools(): readonly AgentTool[] {
    return [...this.builtinTools(), ...(this.deps.mcp?.()?.tools() ?? [])];
  }

  /** Built again when the pack changes, so that edited descriptions reach the next answer. */
  private builtinTools(): readonly AgentTool[] {
    const catalog = this.deps.templates.catalog;
    if (this.builtin === undefined || this.builtin.catalog !== catalog) {
      this.builtin = { catalog, tools: createBuiltinTools({ roots: workspaceRoots, describe: (name) => this.describe(name) ?? '', commandEcho: this.terminal }) };
    }
    return this.builtin.tools;
  }

  private describe(name: string): string | undefined {
    const template = this.deps.templates.catalog?.get(name);
    if (template?.meta.kind !== 'tool') {
      return undefined;
    }
    try {
      return template.render({}).text.trim();
    } catch (err) {
      this.deps.logger.warn('A tool description template did not render; the built-in text stands in', { tool: name, error: err });
      return undefined;
    }
  }

  systemPrompt(): string {
    const template = this.deps.templates.catalog?.get('agent-system');
    try {
      return template?.render({ workspaceName: vscode.workspace.name ?? '', trusted: vscode.workspace.isTrusted }).text ?? FALLBACK_SYSTEM_PROMPT;
    } catch (err) {
      this.deps.logger.warn('The agent-system template did not render; using the built-in agent prompt', { error: err });
      return FALLBACK_SYSTEM_PROMPT;
    }
  }

  /** What the chat controller runs answers with. */
  chatAgent(): ChatAgent {
    const settings = this.deps.settings;
    return {
      enabled: () => this.enabled,
      tools: () => this.tools(),
      permissions: this.permissions,
      systemPrompt: () => this.systemPrompt(),
      // A getter, so that a changed setting applies to the next answer.
      get maxSteps() {
        return settings.current.agent.maxSteps;
      },
    };
  }

  /** The diff's texts stay while the window lives (a user may come back to the tab). */
  private async showDiff(change: FileChange): Promise<void> {
    this.register(await showChangeDiff(change));
  }

  /** What the chat view shows and asks of agent mode. */
  viewHost(): ChatAgentHost {
    return {
      view: (): AgentView => ({ enabled: this.enabled, toolCount: this.tools().length, allowances: [...this.permissions.allowances], restricted: !vscode.workspace.isTrusted }),
      setEnabled: (enabled) => this.setEnabled(enabled),
      showDiff: (change) => this.showDiff(change),
    };
  }
}
