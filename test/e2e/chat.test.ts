import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { openWorkbench, saveActiveEditor, type Workbench } from '../harness/workbench';

describe('GUI: chat sidebar answers from the bundled model and inserts its code', function () {
  this.timeout(300_000);
  let wb: Workbench;

  before(async () => {
    wb = await openWorkbench({ 'autoglm.chat.maxTokens': 96, 'autoglm.chat.temperature': 0 });
  });

  after(async () => {
    await wb?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await wb.screenshot(`failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(() => undefined);
    }
  });

  it('streams an answer typed into the webview and inserts its code block into the editor', async () => {
    const { page } = wb;
    await page.locator('.statusbar-item', { hasText: 'autoglm-coder' }).waitFor({ timeout: 60_000 });
    // Open the file the code goes into, cursor at its end.
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('sample.ts');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'sample.ts' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'sample.ts' }).waitFor();
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');

    await page.locator('.activitybar .action-item[aria-label^="Open AutoGLM"], .activitybar a[aria-label^="Open AutoGLM"]').first().click();
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const input = frame.locator('#input');
    await input.waitFor({ timeout: 60_000 });
    await input.fill('Write a TypeScript function: Returns the sum of two numbers.');
    await input.press('Enter');

    const answer = frame.locator('.turn.assistant').last();
    await answer.waitFor({ timeout: 60_000 });
    // The stop button shows while the answer streams; the stats line appears when it is done.
    await answer.locator('.stats').waitFor({ timeout: 240_000 });
    await wb.screenshot('chat-answer');
    const body = await answer.locator('.turn-body').innerText();
    assert.ok(body.trim().length > 0, 'the answer has text');

    const code = answer.locator('pre code').first();
    assert.ok((await code.count()) > 0, `the answer has a code block: ${body.slice(0, 200)}`);
    const codeText = await code.innerText();
    await answer.locator('.code-insert').first().click();

    // Save through the editor and read the file from disk.
    await page.locator('.monaco-editor .view-lines').first().click();
    const file = path.join(wb.workspace, 'src', 'sample.ts');
    const saved = await saveActiveEditor(page, file, (text) => text.includes(codeText.trim()));
    assert.ok(saved.startsWith('export function add(a: number, b: number): number {'), 'the original code is kept');
    assert.ok(saved.includes(codeText.trim()), 'the inserted code block is saved in the file');
    await wb.screenshot('chat-inserted');
  });
});
