import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { openWorkbench, saveActiveEditor, type Workbench } from '../harness/workbench';

/** Lines typed one after another until the model offers ghost text. */
const ATTEMPTS = ['export function fibonacci(n: number): number {', 'if (n < 2) {', 'return n;'];

describe('GUI: ghost text from the bundled model, accepted with Tab', function () {
  this.timeout(300_000);
  let wb: Workbench;

  before(async () => {
    // Auto-closed brackets would make the text after the cursor depend on typing speed.
    wb = await openWorkbench({ 'editor.autoClosingBrackets': 'never' });
  });

  after(async () => {
    await wb?.close();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await wb.screenshot(`failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(() => undefined);
    }
  });

  it('shows ghost text while typing; Tab accepts it and the saved file holds it', async () => {
    const { page } = wb;
    await page.locator('.statusbar-item', { hasText: 'autoglm-coder' }).waitFor({ timeout: 60_000 });
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill('sample.ts');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'sample.ts' }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'sample.ts' }).waitFor();
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');

    const ghosts = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text');
    const file = path.join(wb.workspace, 'src', 'sample.ts');
    let typed = '';
    let accepted: { ghost: string; saved: string } | undefined;
    for (const line of ATTEMPTS) {
      await page.keyboard.press('Enter');
      await page.keyboard.type(line, { delay: 40 });
      typed = line;
      try {
        await ghosts.first().waitFor({ timeout: 45_000 });
      } catch {
        continue; // The model had nothing to offer here; type the next line.
      }
      // Multi-line ghost text is split over several decorations; some may be empty.
      const ghost = (await ghosts.allInnerTexts()).join('').replace(/\s+/g, ' ').trim();
      if (ghost === '') {
        continue;
      }
      await wb.screenshot('ghost-text');
      await page.keyboard.press('Tab');
      const firstWord = ghost.split(' ')[0]!;
      const saved = await saveActiveEditor(page, file, (text) => text.slice(text.lastIndexOf(typed)).includes(firstWord));
      if (saved.slice(saved.lastIndexOf(typed)).includes(firstWord)) {
        accepted = { ghost, saved };
        break;
      }
    }
    await wb.screenshot('ghost-text-accepted');
    assert.ok(accepted, 'ghost text appeared and Tab put it into the saved file');
    assert.ok(accepted.saved.includes('export function fibonacci(n: number): number {'), 'what was typed is saved');
    const after = accepted.saved.slice(accepted.saved.lastIndexOf(typed) + typed.length).replace(/\s+/g, ' ').trim();
    assert.ok(after.startsWith(accepted.ghost.slice(0, 20)), `the saved file continues with the ghost text: "${accepted.ghost.slice(0, 60)}" vs "${after.slice(0, 60)}"`);
  });
});
