import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { openAtEnd, saveActiveEditor, useWorkbench } from '../harness/workbench';

const QUESTIONS = [
  'Write a TypeScript function: Returns the sum of two numbers.',
  'Write a JavaScript function: Parses a JSON string and returns the value, or undefined when it is invalid.',
  'Write a TypeScript function: Creates a new array with the elements of the given array in reverse order.',
];

describe('GUI: chat sidebar answers from the bundled model and inserts its code', function () {
  this.timeout(300_000);
  const workbench = useWorkbench({ 'autoglm.chat.maxTokens': 96, 'autoglm.chat.temperature': 0 });

  it('streams an answer typed into the webview and inserts its code block into the editor', async () => {
    const wb = workbench();
    const { page } = wb;
    // Open the file the code goes into, cursor at its end.
    await openAtEnd(page, 'sample.ts');

    await page.locator('.activitybar .action-item[aria-label^="Open AutoGLM"], .activitybar a[aria-label^="Open AutoGLM"]').first().click();
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const input = frame.locator('#input');
    // The status line fills in once the view's script runs; keys typed before that are lost.
    await frame.locator('#status-line[data-state="ready"]').waitFor({ timeout: 60_000 });
    // The bundled model is small: ask until one answer carries a code block to insert.
    let answer = frame.locator('.turn.assistant').last();
    let found = false;
    for (const question of QUESTIONS) {
      await input.fill(question);
      await input.press('Enter');
      answer = frame.locator(`.turn.assistant >> nth=${QUESTIONS.indexOf(question)}`);
      await answer.waitFor({ timeout: 60_000 });
      // The stats line appears when the answer is done.
      await answer.locator('.stats').waitFor({ timeout: 240_000 });
      if ((await answer.locator('pre code').count()) > 0) {
        found = true;
        break;
      }
    }
    await wb.screenshot('chat-answer');
    assert.ok(found, 'an answer streamed in with a code block');
    const code = answer.locator('pre code').first();
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
