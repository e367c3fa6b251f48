import * as assert from 'node:assert/strict';
import { openWorkbench, runCommand, type Workbench } from '../harness/workbench';

describe('GUI: the installed VSIX in a real VS Code workbench', function () {
  this.timeout(180_000);
  let wb: Workbench;

  before(async () => {
    wb = await openWorkbench();
  });

  after(async () => {
    await wb?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await wb.screenshot(`failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(() => undefined);
    }
  });

  it('shows the model it will run in the status bar once activated', async () => {
    const item = wb.page.locator('.statusbar-item', { hasText: 'autoglm-coder' });
    await item.waitFor({ timeout: 60_000 });
    assert.match(await item.innerText(), /autoglm-coder/);
  });

  it('opens the chat view from the activity bar and renders the model, variant and provider in the webview', async () => {
    await wb.page.locator('.activitybar a[aria-label^="Open AutoGLM"], .activitybar .action-item[aria-label^="Open AutoGLM"]').first().click();
    const frame = wb.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const status = frame.locator('#status-line[data-state="ready"]');
    await status.waitFor({ timeout: 60_000 });
    const text = await status.innerText();
    assert.match(text, /autoglm-coder \(bundled\) · auto · auto/);
    assert.match(text, /loads on first request/);
    await wb.screenshot('chat-view');
  });

  it('runs "Show Engine Status" from the command palette and names the bundled model', async () => {
    await runCommand(wb.page, 'Open AutoGLM: Show Engine Status');
    const toast = wb.page.locator('.notifications-toasts .notification-list-item', { hasText: 'Open AutoGLM' });
    await toast.waitFor({ timeout: 30_000 });
    assert.match(await toast.innerText(), /Model autoglm-coder \(bundled\)/);
    await wb.screenshot('engine-status');
  });
});
