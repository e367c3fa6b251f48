/**
 * Choosing a model in a real VS Code: a catalog entry that points at the Hub stand-in (which
 * serves the bundled model's files in the onnx-community layout, so the download is a real,
 * loadable model) is downloaded with progress, then answers completion and chat, and the status
 * bar and the chat header name it. A switch to a junk folder keeps it answering, and says so.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { collect } from '../../src/backends/backend';
import type { ChooseResult } from '../../src/host/models/chooseModel';
import type { EngineStatusView, HostToWebview } from '../../src/protocol/webview';
import { startHubStandIn, type HubStandIn, type StandInRepo } from '../harness/hubStandIn';
import { api, recordPosts, until, useSettings } from './helpers';

const REPO = 'onnx-community/Standin-Coder-Instruct';
const ENTRY_ID = 'standin-coder';
const LOAD_TIMEOUT_MS = 120_000;

/** The bundled model's files under the names an onnx-community export uses. */
function standInRepo(extensionPath: string): StandInRepo {
  const bundled = path.join(extensionPath, 'models', 'autoglm-coder');
  const files: Record<string, string> = {};
  for (const name of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    files[name] = path.join(bundled, name);
  }
  files['onnx/model_q4.onnx'] = path.join(bundled, 'onnx', 'model_q4.onnx');
  return { id: REPO, files };
}

/** The shipped catalog with one entry of its own shape pointing at the stand-in's repository. */
function testCatalog(extensionPath: string, dir: string): string {
  const shipped = JSON.parse(fs.readFileSync(path.join(extensionPath, 'models', 'catalog.json'), 'utf8')) as { entries: Record<string, unknown>[] };
  const template = shipped.entries.find((e) => e['kind'] === 'hub');
  assert.ok(template, 'the shipped catalog has a hub entry');
  const q4 = (template['variants'] as Record<string, unknown>[]).find((v) => v['name'] === 'q4');
  const entry = { ...template, id: ENTRY_ID, name: 'Stand-in Coder', repo: REPO, revision: null, roles: ['completion', 'chat'], defaultVariant: 'q4', variants: [q4] };
  const file = path.join(dir, 'catalog.json');
  fs.writeFileSync(file, JSON.stringify({ ...shipped, entries: [entry] }, null, 2));
  return file;
}

/** The service answers the request that stopped it before its connection closes; the request after that starts the new one. */
async function loadAfterRestart(load: () => Promise<unknown>, attempts = 50): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await load();
      return;
    } catch (err) {
      if (i >= attempts) {
        throw err;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function untilAsync<T>(read: () => Promise<T | undefined>, what: string, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    assert.ok(Date.now() < end, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const lastStatus = (messages: readonly HostToWebview[]): EngineStatusView | undefined => messages.filter((m) => m.type === 'host/status').map((m) => (m.type === 'host/status' ? m.status : undefined)).at(-1);

describe('choosing a model in a real VS Code (Hub stand-in, real engine)', function () {
  this.timeout(300_000);
  let hub: HubStandIn;
  let tmp: string;
  let restore: (() => Promise<void>) | undefined;
  let downloaded = '';

  before(async () => {
    const ext = vscode.extensions.getExtension('open-autoglm.open-autoglm');
    assert.ok(ext);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-models-it-'));
    hub = await startHubStandIn({ repos: [standInRepo(ext.extensionPath)] });
    // A slow link, so that the notification shows progress more than once.
    hub.setFault({ kind: 'throttle', bytesPerSecond: 8_000_000 });
    restore = await useSettings('autoglm', {
      'models.endpoint': hub.url,
      'models.folder': path.join(tmp, 'models'),
      'models.catalog': testCatalog(ext.extensionPath, tmp),
      'model.path': '',
      'backend.completion': 'local',
      'backend.chat': 'local',
    });
  });

  after(async () => {
    await restore?.();
    // Back on the bundled model in a fresh service that has loaded it once, as the suites after
    // this one (and the window reload) expect to find it.
    const { backends } = await api();
    await until(() => (backends.localModel.pending === undefined && path.basename(backends.localModel.answeringDir) === 'autoglm-coder' ? true : undefined), 'the switch back to the bundled model', LOAD_TIMEOUT_MS);
    await vscode.commands.executeCommand('autoglm.service.restart');
    await loadAfterRestart(() => backends.forRole('chat').countTokens('load the bundled model'));
    await hub?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('downloads a catalog entry with progress and then completes and chats with it', async () => {
    const { backends, chat, completion } = await api();
    await chat.view.reveal();
    const posts = recordPosts(chat.view);
    const result = (await vscode.commands.executeCommand('autoglm.chooseModel', { catalogId: ENTRY_ID, roles: 'both' })) as ChooseResult | undefined;
    assert.ok(result?.folder, 'a local model was chosen');
    downloaded = result.folder;
    assert.equal(path.basename(path.dirname(downloaded)), 'Standin-Coder-Instruct');
    assert.ok(result.progress.length >= 2, `progress was shown more than once (${result.progress.length})`);
    assert.match(result.progress.at(-1) ?? '', /^100% of \d+\.\d MB · \d+\.\d MB\/s · /);
    assert.ok(hub.requests.some((r) => r.path.includes('/cdn/')), 'the model bytes came from the stand-in');
    assert.equal(vscode.workspace.getConfiguration('autoglm').get('model.path'), downloaded);

    // The settings change reaches the shared service asynchronously: wait until it runs the download.
    await untilAsync(async () => ((await backends.liveStats()).model === path.basename(downloaded) ? true : undefined), 'the service to run the downloaded folder', LOAD_TIMEOUT_MS);
    const prompt = '<|fim_prefix|>function add(a, b) {\n  return <|fim_suffix|>\n}\n<|fim_middle|>';
    const code = await collect(backends.forRole('completion').generate({ prompt, maxTokens: 8, priority: 'interactive' }, new AbortController().signal));
    assert.ok(code.stats && code.stats.generatedTokens > 0, 'the downloaded model completed code');
    await vscode.commands.executeCommand('autoglm.chat.new');
    await chat.view.submit('Write a function that adds two numbers.');
    const answer = chat.controller().current()?.turns.at(-1);
    assert.equal(answer?.error, undefined);
    assert.ok(answer?.stats && answer.stats.generatedTokens > 0, 'the downloaded model answered in chat');
    assert.equal((await backends.liveStats()).model, path.basename(downloaded), 'the engine runs the downloaded folder');

    await until(() => (completion.statusBar().text.endsWith(' Standin-Coder-Instruct') ? true : undefined), 'the status bar to name the downloaded model', LOAD_TIMEOUT_MS);
    const header = await until(() => {
      const s = lastStatus(posts.messages);
      return s?.loaded && s.modelName === 'Standin-Coder-Instruct' ? s : undefined;
    }, 'the chat header to name the downloaded model', LOAD_TIMEOUT_MS);
    posts.dispose();
    assert.deepEqual([header.modelPath, header.bundled, header.pending], [downloaded, false, undefined]);
  });

  it('keeps the downloaded model answering after a switch to a junk folder, and says what is wrong', async () => {
    assert.ok(downloaded, 'the download test ran first');
    const { backends, chat, completion } = await api();
    const junk = path.join(tmp, 'junk-model');
    fs.mkdirSync(junk);
    fs.writeFileSync(path.join(junk, 'config.json'), '{ this is not json');
    const posts = recordPosts(chat.view);
    await vscode.commands.executeCommand('autoglm.chooseModel', junk);
    const failed = await until(() => (backends.localModel.pending?.state === 'failed' ? backends.localModel.pending : undefined), 'the switch to fail', LOAD_TIMEOUT_MS);
    assert.equal(failed.modelPath, junk);
    assert.ok((failed.error ?? '').length > 0);
    assert.equal(backends.localModel.answeringDir, downloaded, 'the downloaded model still answers');
    assert.equal(completion.statusBar().text, '$(warning) Standin-Coder-Instruct');
    const header = await until(() => (lastStatus(posts.messages)?.pending?.state === 'failed' ? lastStatus(posts.messages) : undefined), 'the chat header to show the failure');
    posts.dispose();
    assert.deepEqual([header.modelName, header.loaded, header.pending?.modelPath], ['Standin-Coder-Instruct', true, junk]);
    const code = await collect(backends.forRole('completion').generate({ prompt: 'const x = ', maxTokens: 4, priority: 'interactive' }, new AbortController().signal));
    assert.ok(code.stats, 'a request is still answered');
    assert.equal((await backends.liveStats()).model, path.basename(downloaded), 'by the downloaded model, not the junk folder');
  });
});
