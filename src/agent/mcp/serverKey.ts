/**
 * A stable digest of everything that decides what a server runs or where it connects: an approval
 * given for one configuration does not carry over to a changed command, argument or URL.
 */
import { createHash } from 'node:crypto';
import type { McpServerConfig } from './config';

function sorted(map: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function canonical(config: McpServerConfig): unknown[] {
  return config.transport === 'stdio'
    ? [config.scope, config.name, 'stdio', config.command, config.args, sorted(config.env), config.cwd ?? null]
    : [config.scope, config.name, 'http', config.url, sorted(config.headers)];
}

export function serverConfigKey(config: McpServerConfig): string {
  return createHash('sha256').update(JSON.stringify(canonical(config))).digest('hex');
}
