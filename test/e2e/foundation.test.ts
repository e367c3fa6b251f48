import * as assert from 'node:assert/strict';
import { runCommand, useWorkbench } from '../harness/workbench';

describe('GUI: the installed VSIX in a real VS Code workbench', function () {
  this.timeout(180_000);
  const workbench = useWorkbench();

  it('shows the model it will run in the status bar once activated', async () => {
    const item = workbench().page.locator('.statusbar-item', { hasText: 'autoglm-coder' });
    await item.waitFor({ timeout: 60_000 });
    assert.match(await item.innerText(), /autoglm-coder/);
  });

  it('opens the chat view from the activity bar and renders the model, variant and provider in the webview', async () => {
    await workbench().page.locator('.activitybar a[aria-label^="Open AutoGLM"], .activitybar .action-item[aria-label^="Open AutoGLM"]').first().click();
    const frame = workbench().page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const status = frame.locator('#status-line[data-state="ready"]');
    await status.waitFor({ timeout: 60_000 });
    const text = await status.innerText();
    assert.match(text, /autoglm-coder \(bundled\) · auto · auto/);
    assert.match(text, /loads on first request/);
    await workbench().screenshot('chat-view');
  });

  it('runs "Show Engine Status" from the command palette and names the bundled model', async () => {
    await runCommand(workbench().page, 'Open AutoGLM: Show Engine Status');
    const toast = workbench().page.locator('.notifications-toasts .notification-list-item', { hasText: 'Open AutoGLM' });
    await toast.waitFor({ timeout: 30_000 });
    assert.match(await toast.innerText(), /Model autoglm-coder \(bundled\)/);
    await workbench().screenshot('engine-status');
  });
});
