import * as assert from 'node:assert/strict';
import { useWorkbench } from '../harness/workbench';

describe('GUI: @codebase in the chat finds code in files that are not open', function () {
  this.timeout(300_000);
  const workbench = useWorkbench({ 'autoglm.chat.maxTokens': 64, 'autoglm.chat.temperature': 0 });

  it('opens the picker on a typed @, attaches the index\'s chunks as chips with path and lines, and sends them', async () => {
    const wb = workbench();
    const { page } = wb;
    await page.locator('.activitybar .action-item[aria-label^="Open AutoGLM"], .activitybar a[aria-label^="Open AutoGLM"]').first().click();
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const input = frame.locator('#input');
    await frame.locator('#status-line[data-state="ready"]').waitFor({ timeout: 60_000 });

    // The index builds in the background after the window starts; ask until its chips come.
    const chips = frame.locator('#chips .chip.codebase');
    const end = Date.now() + 120_000;
    for (;;) {
      await input.fill('');
      await input.pressSequentially('@');
      const picker = page.locator('.quick-input-widget');
      await picker.waitFor({ state: 'visible', timeout: 30_000 });
      await page.keyboard.type('codebase');
      await page.keyboard.press('Enter');
      await picker.waitFor({ state: 'hidden', timeout: 30_000 });
      // The picker closes before the view receives the chosen text: wait for it to land.
      const chosen = Date.now() + 10_000;
      while (!/^@codebase\s*$/.test(await input.inputValue()) && Date.now() < chosen) await new Promise((r) => setTimeout(r, 100));
      assert.match(await input.inputValue(), /^@codebase\s*$/);
      await input.press('End');
      await input.pressSequentially(' how is the price of a cart item computed?');
      if (await chips.first().waitFor({ timeout: 5_000 }).then(() => true, () => false)) break;
      assert.ok(Date.now() < end, 'the workspace index answered @codebase');
    }
    const labels = await chips.allInnerTexts();
    assert.ok(labels.some((l) => /src\/shop\/cart\.ts:\d+-\d+/.test(l)), labels.join(', '));
    await wb.screenshot('codebase-chips');

    await input.press('Enter');
    const answer = frame.locator('.turn.assistant').last();
    await answer.locator('.stats').waitFor({ timeout: 240_000 });
    const cited = await frame.locator('.turn.user').last().locator('.chip.codebase').allInnerTexts();
    assert.ok(cited.some((l) => /src\/shop\/cart\.ts:\d+-\d+/.test(l)), `the question cites its chunks: ${cited.join(', ')}`);
    await wb.screenshot('codebase-answer');
  });
});
