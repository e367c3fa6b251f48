/**
 * MCP servers in a real VS Code: a trusted workspace's .autoglm/mcp.json naming the test server
 * over stdio is noticed by the file watcher, the user is asked before it starts (the answer is
 * given through the feature's `ask`, standing in for the modal), its tools reach the manager
 * the chat uses, a changed command asks again, and removing the file stops the server.
 */
import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { McpServerConfig } from '../../src/agent/mcp/config';
import { api, until } from './helpers';

const FIXTURE_SERVER = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'mcp', 'server.mjs');

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder.uri.fsPath;
}

async function writeConfig(root: string, args: string[]): Promise<void> {
  await fs.mkdir(path.join(root, '.autoglm'), { recursive: true });
  // The extension host may be Electron: as a Node process it needs ELECTRON_RUN_AS_NODE.
  const server = { command: process.execPath, args: [FIXTURE_SERVER, ...args], env: { ELECTRON_RUN_AS_NODE: '1' } };
  await fs.writeFile(path.join(root, '.autoglm', 'mcp.json'), JSON.stringify({ servers: { fixture: server } }, null, 2));
}

describe('MCP servers from the workspace file', () => {
  const file = (): string => path.join(workspaceRoot(), '.autoglm', 'mcp.json');

  after(() => fs.rm(file(), { force: true }));

  it('asks before starting a workspace server, offers its tools, asks again when its command changes, and stops it with the file', async () => {
    const { mcp } = await api();
    assert.equal(vscode.workspace.isTrusted, true);
    const asked: McpServerConfig[] = [];
    mcp.ask = (server) => {
      asked.push(server);
      return Promise.resolve(true);
    };
    await mcp.reload();
    assert.deepEqual(mcp.servers(), []);

    await writeConfig(workspaceRoot(), []);
    const ready = await until(() => mcp.servers().find((s) => s.name === 'fixture' && s.state === 'ready'), 'the workspace MCP server to be ready');
    assert.equal(ready.scope, 'workspace');
    assert.deepEqual(asked.map((s) => s.name), ['fixture']);
    const echo = mcp.source.tools().find((t) => t.definition.name === 'fixture__echo');
    assert.ok(echo, 'the echo tool is offered');
    assert.equal(echo.source, 'mcp:fixture');
    assert.deepEqual(await echo.run({ text: 'from VS Code' }, { signal: new AbortController().signal }), { text: 'from VS Code' });

    await writeConfig(workspaceRoot(), ['--changed']);
    await until(() => (asked.length === 2 ? true : undefined), 'a second question after the command changed');
    await until(() => mcp.servers().find((s) => s.state === 'ready' && s.target.endsWith('--changed')), 'the changed server to be ready');
    assert.equal(mcp.servers().length, 1);

    await vscode.commands.executeCommand('autoglm.mcp.restartServers');
    assert.equal(mcp.servers()[0]?.state, 'ready');
    assert.equal(asked.length, 2, 'an approved server is not asked about again on restart');

    await fs.rm(file());
    await until(() => (mcp.servers().length === 0 ? true : undefined), 'the server to stop once the file is gone');
    assert.deepEqual(mcp.source.tools(), []);
  });
});
