import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, until } from './helpers';
import type { EngineLiveStats } from '../../src/backends/backend';

describe('shared engine service from a real VS Code window', () => {
  it('runs the model in its own process, which reports this window and one model load', async () => {
    const { backends } = await api();
    await backends.forRole('chat').countTokens('load the model');
    const stats = (await vscode.commands.executeCommand<EngineLiveStats>('autoglm.showStats'))!;
    const pid = Number(/pid (\d+)/.exec(stats.where)?.[1]);
    assert.ok(pid > 0 && pid !== process.pid, `the engine runs in another process (${stats.where})`);
    assert.equal(stats.model, 'autoglm-coder');
    assert.ok((stats.connectedWindows ?? 0) >= 1);
    assert.equal(stats.modelLoads, 1);
  });

  it('serves the OpenAI-compatible API on loopback with a bearer token when turned on', async () => {
    const { backends } = await api();
    const config = vscode.workspace.getConfiguration('autoglm');
    await config.update('server.port', 0, vscode.ConfigurationTarget.Global);
    await config.update('server.enabled', true, vscode.ConfigurationTarget.Global);
    try {
      const url = await until(() => backends.httpUrl(), 'the local API');
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+/);
      assert.equal(await vscode.commands.executeCommand('autoglm.server.copyToken'), true);
      const token = await vscode.env.clipboard.readText();
      assert.ok(token.length >= 16);
      assert.equal((await fetch(`${url}/v1/models`)).status, 401);
      assert.equal((await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
      const models = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(models.status, 200);
      const body = (await models.json()) as { data: { id: string }[] };
      assert.deepEqual(body.data.map((m) => m.id), ['autoglm-coder']);
    } finally {
      await config.update('server.enabled', undefined, vscode.ConfigurationTarget.Global);
      await config.update('server.port', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
