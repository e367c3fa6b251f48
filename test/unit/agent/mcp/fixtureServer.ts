/** Starts the test MCP server of test/fixtures/mcp over stdio or streamable HTTP, as server configurations. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import type { McpHttpServer, McpStdioServer } from '../../../../src/agent/mcp/config';

export const FIXTURE_SERVER = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'mcp', 'server.mjs');

export function stdioFixture(name: string): McpStdioServer {
  return { name, scope: 'user', transport: 'stdio', command: process.execPath, args: [FIXTURE_SERVER], env: {}, cwd: undefined };
}

export interface HttpFixture {
  readonly config: McpHttpServer;
  readonly child: ChildProcess;
  stop(): void;
}

/** The fixture serving HTTP on a loopback port it chose and printed. */
export async function httpFixture(name: string): Promise<HttpFixture> {
  const child = spawn(process.execPath, [FIXTURE_SERVER, '--http'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the fixture exited with ${code} before listening`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  lines.close();
  return {
    config: { name, scope: 'user', transport: 'http', url: `http://127.0.0.1:${port}/mcp`, headers: {} },
    child,
    stop: () => {
      if (child.exitCode === null) child.kill();
    },
  };
}
