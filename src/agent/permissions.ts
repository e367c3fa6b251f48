import type { AgentTool } from './types';

/** What happens to a call before it runs. */
export type CallGate = 'run' | 'ask' | 'refuse';

/**
 * Who may run what: reading runs in a trusted workspace, edits and commands ask each time unless
 * the user allowed that tool for the session, and an untrusted workspace runs reading only.
 * Allowances are per tool name, so allowing `run_command` allows no MCP tool.
 */
export class PermissionPolicy {
  private readonly allowed = new Set<string>();

  constructor(private readonly trusted: () => boolean) {}

  gate(tool: AgentTool): CallGate {
    if (tool.permission === 'read') {
      return 'run';
    }
    if (!this.trusted()) {
      return 'refuse';
    }
    return this.allowed.has(tool.definition.name) ? 'run' : 'ask';
  }

  allowForSession(tool: AgentTool): void {
    this.allowed.add(tool.definition.name);
  }

  /** Tools allowed for this session, for the chat to show. */
  get allowances(): readonly string[] {
    return [...this.allowed].sort();
  }

  reset(): void {
    this.allowed.clear();
  }
}
