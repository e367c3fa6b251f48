/**
 * GUI: the first-run walkthrough and "Choose Model…" in a real workbench, with screenshots: the
 * picker lists the bundled demo, the catalog with its fit for this machine and the stand-in's
 * entry; choosing that entry shows the download's progress notification, and the status bar
 * then names the downloaded model. The extension runs from this checkout's build (dist/), as in
 * the extension-host suite, and downloads from the Hub stand-in on loopback.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../harness/browser';
import { startCodeServer, type CodeServer } from '../harness/codeServer';
import { startHubStandIn, type HubStandIn, type StandInRepo } from '../harness/hubStandIn';
import { RESULTS_DIR, ROOT } from '../harness/paths';
import { runCommand } from '../harness/workbench';

const REPO = 'onnx-community/Standin-Coder-Instruct';
const BUNDLED = path.join(ROOT, 'models', 'autoglm-coder');
const SHOTS = path.join(RESULTS_DIR, 'screenshots');

function standInRepo(): StandInRepo {
  const files: Record<string, string> = {};
  for (const name of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    files[name] = path.join(BUNDLED, name);
  }
  files['onnx/model_q4.onnx'] = path.join(BUNDLED, 'onnx', 'model_q4.onnx');
  return { id: REPO, files };
}

/** The shipped catalog plus an entry for the stand-in's repository. */
function catalogWithStandIn(dir: string): string {
  const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'catalog.json'), 'utf8')) as { entries: Record<string, unknown>[] };
  const template = shipped.entries.find((e) => e['kind'] === 'hub')!;
  const q4 = (template['variants'] as Record<string, unknown>[]).find((v) => v['name'] === 'q4');
  const entry = { ...template, id: 'standin-coder', name: 'Stand-in Coder', repo: REPO, revision: null, roles: ['completion', 'chat'], defaultVariant: 'q4', variants: [q4] };
  const file = path.join(dir, 'catalog.json');
  fs.writeFileSync(file, JSON.stringify({ ...shipped, entries: [...shipped.entries, entry] }, null, 2));
  return file;
}

describe('GUI: the walkthrough and Choose Model, with a download from the Hub stand-in', function () {
  this.timeout(300_000);
  let hub: HubStandIn;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;
  let tmp: string;
  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

  before(async () => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) {
      throw new Error('dist/extension.js is missing: run `node esbuild.mjs` first');
    }
    fs.mkdirSync(SHOTS, { recursive: true });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-models-e2e-'));
    hub = await startHubStandIn({ repos: [standInRepo()] });
    // Slow enough that the progress notification stays up for a screenshot.
    hub.setFault({ kind: 'throttle', bytesPerSecond: 1_000_000 });
    server = await startCodeServer({
      settings: { 'autoglm.models.endpoint': hub.url, 'autoglm.models.folder': path.join(tmp, 'models'), 'autoglm.models.catalog': catalogWithStandIn(tmp) },
    });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const workspace = fs.mkdtempSync(path.join(tmp, 'ws-'));
    fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
    await page.goto(server.workbenchUrl(workspace, [['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${server.port}${ROOT}`]]));
    await page.locator('.statusbar-item', { hasText: 'autoglm-coder' }).waitFor({ timeout: 90_000 });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await hub?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await shot(`failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(() => undefined);
    }
  });

  it('opens the walkthrough, which says the bundled model is a demo and offers Choose Model', async () => {
    await runCommand(page, 'Welcome: Open Walkthrough...');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get started with Open AutoGLM' }).first().click();
    const bundledStep = page.locator('.getting-started-step', { hasText: 'The bundled model is a small offline demo' });
    await bundledStep.waitFor({ timeout: 30_000 });
    await shot('walkthrough');
    const choose = page.locator('.getting-started-step', { hasText: 'Choose a real model for this machine' });
    await choose.click();
    const button = choose.locator('.button-link, a.monaco-button', { hasText: 'Choose Model…' });
    await button.first().waitFor({ timeout: 10_000 });
    await shot('walkthrough-choose-model');
    assert.equal(await button.count(), 1);
    // Closed, as a user would before going on: an open walkthrough takes the focus back as its
    // step's media loads, which can close the command palette before it runs a command.
    await page.locator('.tab', { hasText: 'Walkthrough' }).locator('.codicon-close').first().click();
    await page.locator('.tab', { hasText: 'Walkthrough' }).waitFor({ state: 'detached', timeout: 10_000 });
  });

  /** Runs Choose Model and waits for its list to name the stand-in; once more if the palette closed without running it. */
  async function openChooseModel(): Promise<ReturnType<Page['locator']>> {
    const rows = page.locator('.quick-input-list .monaco-list-row');
    const standIn = rows.filter({ hasText: 'Stand-in Coder' }).first();
    for (let attempt = 0; attempt < 2; attempt++) {
      await runCommand(page, 'Open AutoGLM: Choose Model…');
      if (await standIn.waitFor({ timeout: 15_000 }).then(() => true, () => false)) return rows;
    }
    await standIn.waitFor({ timeout: 15_000 });
    return rows;
  }

  /** Opens Choose Model, picks the stand-in's entry for both roles, and returns its progress toast. */
  async function startDownload(): Promise<ReturnType<Page['locator']>> {
    const rows = await openChooseModel();
    await page.locator('.quick-input-widget input').fill('Stand-in');
    await rows.filter({ hasText: 'Stand-in Coder' }).first().click();
    const both = rows.filter({ hasText: 'completion and chat' }).first();
    await both.waitFor({ timeout: 10_000 });
    await both.click();
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'Downloading Stand-in Coder' });
    await toast.filter({ hasText: /\d+% of \d+\.\d MB · \d+\.\d MB\/s/ }).first().waitFor({ timeout: 60_000 });
    return toast.first();
  }

  it('cancels a download from its notification, leaving no model folder and the bundled model in use', async () => {
    hub.setFault({ kind: 'throttle', bytesPerSecond: 200_000 });
    const toast = await startDownload();
    await shot('model-download-cancel');
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
    await page.locator('.notifications-toasts .notification-list-item', { hasText: 'cancelled; the model in use has not changed' }).first().waitFor({ timeout: 30_000 });
    const target = path.join(tmp, 'models', ...REPO.split('/'), hub.commitOf(REPO));
    assert.equal(fs.existsSync(target), false, 'no model folder was created');
    assert.equal(await page.locator('.statusbar-item', { hasText: 'autoglm-coder' }).count(), 1, 'the bundled model is still named');
    hub.setFault({ kind: 'throttle', bytesPerSecond: 1_000_000 });
  });

  it('lists the bundled demo, the catalog with fit and the stand-in entry, and downloads it with progress', async () => {
    const rows = await openChooseModel();
    await rows.filter({ hasText: 'a small offline demo' }).first().waitFor();
    const text = (await rows.allInnerTexts()).join('\n');
    assert.match(text, /GB on disk · needs \d+\.\d GB memory/);
    await shot('model-picker');

    await page.locator('.quick-input-widget input').fill('Stand-in');
    await rows.filter({ hasText: 'Stand-in Coder' }).first().waitFor();
    await page.keyboard.press('Enter');
    const both = rows.filter({ hasText: 'completion and chat' }).first();
    await both.waitFor({ timeout: 10_000 });
    await shot('model-roles');
    await both.click();

    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'Downloading Stand-in Coder' });
    await toast.filter({ hasText: /\d+% of \d+\.\d MB · \d+\.\d MB\/s/ }).first().waitFor({ timeout: 60_000 });
    await shot('model-download-progress');
    assert.match(await toast.first().innerText(), /MB\/s/);

    // While it loads the item says "loading Standin-Coder-Instruct…"; then it names it alone.
    const status = page.locator('.statusbar-item', { hasText: 'Standin-Coder-Instruct', hasNotText: 'loading' });
    await status.first().waitFor({ timeout: 120_000 });
    await shot('model-chosen');
    assert.match(await status.first().innerText(), /^\S*\s*Standin-Coder-Instruct$/);
  });
});
