/**
 * The ghost-text breakages the guards fix, seen in a real VS Code workbench: each case is typed
 * with the keyboard (so that the editor indents and auto-closes brackets itself), the scripted
 * model gives the answer that used to break the code, and screenshots show the ghost text and
 * the document after Tab.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { prefixEndsWith, ScriptedModelServer } from '../integration/scriptedModelServer';
import { saveActiveEditor, useWorkbench, type Workbench } from '../harness/workbench';

const MODEL = 'qwen2.5-coder-scripted';

interface Case {
  name: string;
  /** The file before typing; the cursor goes to `line` (1-based), end of line. */
  file: string;
  line: number;
  typed: string;
  /** The code before the cursor ends with this when the model is asked. */
  promptEnd: string;
  answer: string;
  /** The file after Tab; undefined: no ghost text may be shown. */
  expected: string | undefined;
}

const CASES: Case[] = [
  {
    name: 'indent',
    file: 'function total(xs: number[]): number {\n',
    line: 1,
    typed: '\n',
    promptEnd: 'function total(xs: number[]): number {\n  ',
    answer: '  return xs.length;',
    expected: 'function total(xs: number[]): number {\n  return xs.length;\n',
  },
  {
    name: 'repetition',
    file: 'const xs = \n',
    line: 1,
    typed: '[',
    promptEnd: 'const xs = [',
    answer: Array.from({ length: 12 }, () => 'data').join(', '),
    expected: 'const xs = [data, data, data]\n',
  },
  {
    name: 'auto-closed',
    file: 'declare function listFiles(dir: string, name: string): string[];\n\nfunction collect(dir: string, names: string[], out: string[]): void {\n  for (const name of names) {\n    \n  }\n}\n',
    line: 5,
    typed: 'out.push(...listFiles(',
    promptEnd: 'out.push(...listFiles(',
    answer: 'dir, name)\n}',
    expected: 'declare function listFiles(dir: string, name: string): string[];\n\nfunction collect(dir: string, names: string[], out: string[]): void {\n  for (const name of names) {\n    out.push(...listFiles(dir, name))\n  }\n}\n',
  },
  {
    name: 'block-closer',
    file: 'class Stack {\n  items: number[] = [];\n\n  size(): number {\n    return this.items.length\n  }\n}\n',
    line: 5,
    typed: ' ',
    promptEnd: 'return this.items.length ',
    answer: '\n  }',
    expected: undefined,
  },
  {
    name: 'operator',
    file: 'const n \n',
    line: 1,
    typed: '= ',
    promptEnd: 'const n = ',
    answer: '= 42;',
    expected: 'const n = 42;\n',
  },
];

describe('GUI: the ghost-text guards on the answers that used to break code (scripted model)', function () {
  this.timeout(300_000);
  let server: ScriptedModelServer | undefined;
  before(async () => {
    server = await ScriptedModelServer.start(MODEL);
  });
  after(async () => {
    await server?.close();
  });
  const workbench = useWorkbench(() => ({
    'autoglm.backend.completion': 'remote',
    'autoglm.remote.baseUrl': server!.baseUrl,
    'autoglm.remote.model': MODEL,
    'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
    'editor.suggestOnTriggerCharacters': false,
    'editor.inlineSuggest.enabled': true,
    'editor.tabSize': 2,
    'editor.insertSpaces': true,
  }));

  async function open(wb: Workbench, c: Case): Promise<string> {
    const { page } = wb;
    // The extension is up once the status bar names a model.
    await page.locator('.statusbar-item', { hasText: new RegExp(`${MODEL}|autoglm-coder`) }).first().waitFor({ timeout: 60_000 });
    const file = path.join(wb.workspace, `guard-${c.name}.ts`);
    fs.writeFileSync(file, c.file);
    // Quick Open finds a file by its absolute path before the workspace's file index has it.
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill(file);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: path.basename(file) }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: path.basename(file) }).waitFor();
    await page.locator('.monaco-editor .view-lines').first().click();
    await goToLineEnd(page, c.line);
    return file;
  }

  async function goToLineEnd(page: Page, line: number): Promise<void> {
    await page.keyboard.press('Control+Home');
    for (let i = 1; i < line; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
  }

  for (const c of CASES) {
    it(`${c.name}: ${c.expected === undefined ? 'shows nothing' : 'Tab leaves the code intact'}`, async () => {
      const wb = workbench();
      const { page } = wb;
      const file = await open(wb, c);
      server!.answer(prefixEndsWith(c.promptEnd), c.answer);
      await page.keyboard.type(c.typed, { delay: 60 });
      await page.keyboard.press('Alt+Backslash');
      const ghosts = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text');
      if (c.expected === undefined) {
        await new Promise((r) => setTimeout(r, 3000));
        assert.ok(server!.served(prefixEndsWith(c.promptEnd)).length > 0, 'the model was asked');
        assert.equal(await ghosts.count(), 0, 'no ghost text');
        await wb.screenshot(`guard-${c.name}-nothing-shown`);
        return;
      }
      // The first request of a fresh window may still be on its way: ask again while no ghost text shows.
      for (let attempt = 0; attempt < 3 && !(await ghosts.first().isVisible()); attempt++) {
        await ghosts.first().waitFor({ timeout: 10_000 }).catch(() => page.keyboard.press('Alt+Backslash'));
      }
      await ghosts.first().waitFor({ timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 500));
      await wb.screenshot(`guard-${c.name}-ghost`);
      await page.keyboard.press('Tab');
      const saved = await saveActiveEditor(page, file, (text) => text === c.expected, 15_000);
      await wb.screenshot(`guard-${c.name}-accepted`);
      assert.equal(saved, c.expected);
    });
  }
});
