/**
 * Every configured server of a window: the user's setting, then each workspace folder's
 * `.autoglm/mcp.json` when the workspace is trusted (an untrusted one never gets to name a
 * program to run).
 */
import { parseMcpConfig, type McpConfigDiagnostic, type McpServerConfig } from './config';
import { readWorkspaceMcpConfig } from './configFile';

export const USER_SETTING_LABEL = 'autoglm.mcp.servers';

export interface McpConfigSources {
  /** The setting's value as the user wrote it. */
  readonly userServers: unknown;
  /** Workspace folders on disk whose file is read. */
  readonly workspaceRoots: readonly string[];
  readonly workspaceTrusted: boolean;
}

export interface LoadedMcpConfig {
  readonly servers: readonly McpServerConfig[];
  readonly diagnostics: readonly McpConfigDiagnostic[];
}

/**
 * The setting is itself named `servers`, so its value is usually the map of servers by name;
 * the file's shape (`{"servers": {...}}` or `{"mcpServers": {...}}`) is read too.
 */
function userConfig(value: unknown): unknown {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  return isObject && !('servers' in value) && !('mcpServers' in value) ? { servers: value } : value;
}

export async function loadMcpConfig(sources: McpConfigSources): Promise<LoadedMcpConfig> {
  const user = parseMcpConfig(userConfig(sources.userServers), { scope: 'user', label: USER_SETTING_LABEL });
  const workspace = sources.workspaceTrusted ? await Promise.all(sources.workspaceRoots.map((root) => readWorkspaceMcpConfig(root))) : [];
  return {
    servers: [...user.servers, ...workspace.flatMap((w) => w.servers)],
    diagnostics: [...user.diagnostics, ...workspace.flatMap((w) => w.diagnostics)],
  };
}
