/** The SDK transport for one configured server: a child process over stdio, or streamable HTTP. */
import type { Readable } from 'node:stream';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { boundedFetch } from './boundedFetch';
import type { McpServerConfig } from './config';

/** Largest message a server may send (one HTTP response); beyond it the connection is dropped rather than memory grown. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export interface ServerTransport {
  readonly transport: Transport;
  /** The child's stderr, for stdio servers. */
  readonly stderr: Readable | undefined;
}

export function createServerTransport(config: McpServerConfig): ServerTransport {
  switch (config.transport) {
    case 'stdio': {
      const transport = new StdioClientTransport({
        command: config.command,
        args: [...config.args],
        env: { ...config.env },
        ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
        stderr: 'pipe',
        maxBufferSize: MAX_MESSAGE_BYTES,
      });
      return { transport, stderr: (transport.stderr as Readable | null) ?? undefined };
    }
    case 'http':
      return { transport: new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: { ...config.headers } }, fetch: boundedFetch(MAX_MESSAGE_BYTES) }), stderr: undefined };
    default: {
      const never: never = config;
      throw new Error(`Unknown MCP transport ${JSON.stringify(never)}`);
    }
  }
}

/** The command line or URL, as the user is asked about it and shown it. */
export function describeTarget(config: McpServerConfig): string {
  if (config.transport === 'http') return config.url;
  const quote = (part: string): string => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part));
  return [config.command, ...config.args].map(quote).join(' ');
}
