/**
 * Every configured MCP server as one `ToolSource`: servers are started and stopped as the
 * configuration changes (one whose configuration is unchanged keeps its connection), the tools
 * of the ready ones are offered under unique names, and listeners hear of every change. A server
 * that fails takes only its own tools away.
 */
import type { Logger } from '../../common/logger';
import type { AgentTool, ToolSource } from '../types';
import { toAgentTool } from './adapter';
import type { McpServerConfig } from './config';
import { McpServerConnection, type McpConnectionOptions, type McpServerStatus } from './connection';
import { DEFAULT_MAX_RESULT_CHARS } from './content';
import { mcpToolName } from './names';
import { serverConfigKey } from './serverKey';

export interface McpManagerOptions {
  readonly logger: Logger;
  /** Default 30 s. */
  readonly connectTimeoutMs?: number;
  /** Default 120 s. */
  readonly callTimeoutMs?: number;
  /** Default 128. */
  readonly maxToolsPerServer?: number;
  readonly maxResultChars?: number;
  readonly createTransport?: McpConnectionOptions['createTransport'];
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
export const DEFAULT_CALL_TIMEOUT_MS = 120_000;
export const DEFAULT_MAX_TOOLS_PER_SERVER = 128;

export class McpManager implements ToolSource {
  /** By configuration key, in configuration order. */
  private connections = new Map<string, McpServerConnection>();
  private agentTools: readonly AgentTool[] = [];
  private readonly listeners = new Set<() => void>();
  private readonly connectionOptions: McpConnectionOptions;
  private disposed = false;

  constructor(private readonly options: McpManagerOptions) {
    this.connectionOptions = {
      logger: options.logger,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      callTimeoutMs: options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      maxTools: options.maxToolsPerServer ?? DEFAULT_MAX_TOOLS_PER_SERVER,
      maxResultChars: options.maxResultChars ?? DEFAULT_MAX_RESULT_CHARS,
      onChange: () => this.changed(),
      ...(options.createTransport ? { createTransport: options.createTransport } : {}),
    };
  }

  tools(): readonly AgentTool[] {
    return this.agentTools;
  }

  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Each server's state, in configuration order. */
  servers(): McpServerStatus[] {
    return [...this.connections.values()].map((c) => c.status);
  }

  /**
   * Makes `configs` the running set: new or changed servers start, removed ones stop, unchanged
   * ones are left alone. Resolves when every start has settled (ready or failed).
   */
  async setServers(configs: readonly McpServerConfig[]): Promise<void> {
    if (this.disposed) return;
    const next = new Map<string, McpServerConnection>();
    const starting: McpServerConnection[] = [];
    for (const config of configs) {
      const key = serverConfigKey(config);
      if (next.has(key)) continue;
      const existing = this.connections.get(key);
      const connection = existing ?? new McpServerConnection(config, this.connectionOptions);
      if (!existing) starting.push(connection);
      next.set(key, connection);
    }
    const removed = [...this.connections].filter(([key]) => !next.has(key)).map(([, c]) => c);
    this.connections = next;
    this.changed();
    await Promise.all([...removed.map((c) => c.stop()), ...starting.map((c) => c.start())]);
  }

  /** Starts again the servers named (all when none is named), whatever their state. */
  async restart(names?: readonly string[]): Promise<void> {
    const chosen = [...this.connections.values()].filter((c) => names === undefined || names.includes(c.config.name));
    await Promise.all(chosen.map((c) => c.start()));
  }

  /** Stops every server; the manager offers no tools afterwards. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const all = [...this.connections.values()];
    this.connections = new Map();
    this.changed();
    this.listeners.clear();
    await Promise.all(all.map((c) => c.stop()));
  }

  private changed(): void {
    this.agentTools = this.buildTools();
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (err) {
        this.options.logger.error('An MCP tool listener failed', { error: err });
      }
    }
  }

  private buildTools(): AgentTool[] {
    const taken = new Set<string>();
    const tools: AgentTool[] = [];
    for (const connection of this.connections.values()) {
      for (const info of connection.tools) {
        const name = mcpToolName(connection.config.name, info.name, taken);
        taken.add(name);
        tools.push(toAgentTool(connection.config.name, info, name, (tool, args, context) => connection.call(tool, args, context)));
      }
    }
    return tools;
  }
}
