import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AutoGlmApi } from '../../src/extension';

const EXTENSION_ID = 'open-autoglm.open-autoglm';

interface Manifest {
  contributes: {
    commands: { command: string }[];
    configuration: { properties: Record<string, { default: unknown }> };
  };
}

async function activated(): Promise<{ ext: vscode.Extension<AutoGlmApi>; api: AutoGlmApi }> {
  const ext = vscode.extensions.getExtension<AutoGlmApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  const api = ext.isActive ? ext.exports : await ext.activate();
  return { ext, api };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('extension in a real VS Code', () => {
  it('activates without loading a model and records its activation time', async () => {
    const { ext, api } = await activated();
    assert.equal(ext.isActive, true);
    assert.equal(api.isModelLoaded(), false);
    assert.equal(typeof api.activationMs, 'number');
    assert.ok(api.activationMs > 0, 'activation time was measured');
    const out = process.env.AUTOGLM_RESULT_DIR ?? path.join(ext.extensionPath, 'test-results');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'activation.json'), JSON.stringify({ activationMs: api.activationMs, vscode: vscode.version }, null, 2));
  });

  it('after a window reload, learns the model and variant the running service holds without starting anything @after-reload', async () => {
    const { api } = await activated();
    const local = api.backends.localBackend();
    await local.attachIfRunning();
    const info = local.info();
    assert.equal(info.loaded, true, 'the service from before the reload still holds the model');
    assert.match(info.variant ?? '', /^(fp32|fp16|q4|int8)$/, 'the variant that runs, not the setting auto');
  });

  it('registers every command its manifest contributes', async () => {
    const { ext } = await activated();
    const manifest = ext.packageJSON as Manifest;
    const all = new Set(await vscode.commands.getCommands(true));
    const missing = manifest.contributes.commands.map((c) => c.command).filter((c) => !all.has(c));
    assert.deepEqual(missing, []);
  });

  it('reads every setting with the default its manifest declares', async () => {
    const { ext } = await activated();
    const manifest = ext.packageJSON as Manifest;
    const config = vscode.workspace.getConfiguration();
    for (const [key, schema] of Object.entries(manifest.contributes.configuration.properties)) {
      assert.deepEqual(config.inspect(key)?.defaultValue, schema.default, key);
    }
  });

  it('opens the chat view, whose webview loads its script and reports ready', async () => {
    const { api } = await activated();
    await vscode.commands.executeCommand('autoglm.openChat');
    await waitFor(() => api.isChatViewReady(), 'the chat view to resolve');
    assert.equal(api.isChatViewReady(), true);
  });
});
