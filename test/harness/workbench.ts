/**
 * A real VS Code workbench for GUI tests: code-server with the packaged VSIX installed into a
 * fresh extensions folder, a fresh copy of the fixture workspace, and a Chromium page on it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from './browser';
import { startCodeServer, type CodeServer } from './codeServer';
import { RESULTS_DIR, ROOT } from './paths';

export interface Workbench {
  page: Page;
  workspace: string;
  server: CodeServer;
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export function vsixPath(): string {
  if (process.env.AUTOGLM_VSIX) {
    return path.resolve(process.env.AUTOGLM_VSIX);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  return path.join(ROOT, `${pkg.name}-linux-x64-${pkg.version}.vsix`);
}

export async function openWorkbench(settings: Record<string, unknown> = {}): Promise<Workbench> {
  const vsix = vsixPath();
  if (!fs.existsSync(vsix)) {
    throw new Error(`${vsix} is missing: run \`node tools/package.mjs\` first`);
  }
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-ws-'));
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
  const server = await startCodeServer({ vsix, settings });
  let browser: Browser | undefined;
  try {
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.workbenchUrl(workspace));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const shots = path.join(RESULTS_DIR, 'screenshots');
    fs.mkdirSync(shots, { recursive: true });
    const opened = browser;
    return {
      page,
      workspace,
      server,
      async screenshot(name) {
        const file = path.join(shots, `${name}.png`);
        await page.screenshot({ path: file });
        return file;
      },
      async close() {
        await opened.close();
        await server.stop();
      },
    };
  } catch (err) {
    await browser?.close();
    await server.stop();
    throw err;
  }
}

/** Runs a command through the command palette, as a user would. */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  const typed = `>${title}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    await openPalette(page);
    await input.fill(typed);
    // Enter runs the focused row: wait until the list has been filtered down to this command,
    // or Enter may run the row that was on top before the filter applied.
    await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: title }).first().waitFor();
    await page.keyboard.press('Enter');
    // The palette closes, or another quick input (the command's own) replaces its text.
    if (await leftPalette(page, typed)) return;
  }
  throw new Error(`the command palette did not run '${title}'`);
}

/** Ways to open the command palette, tried in turn until its input shows: F1, the command center in the title bar, Ctrl+Shift+P. */
const PALETTE_OPENERS: ReadonlyArray<(page: Page) => Promise<void>> = [
  (page) => page.keyboard.press('F1'),
  (page) => page.locator('.command-center .command-center-center').first().click({ timeout: 5_000 }),
  (page) => page.keyboard.press('Control+Shift+P'),
];

/**
 * A key pressed while the workbench is busy (a notification, a view opening, the walkthrough
 * taking the focus) can be lost; the palette is then opened another way, as a user would.
 */
async function openPalette(page: Page): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 0; !(await input.isVisible()); attempt++) {
    const open = PALETTE_OPENERS[attempt % PALETTE_OPENERS.length]!;
    if (attempt >= 2 * PALETTE_OPENERS.length) throw new Error('the command palette did not open');
    await open(page).catch(() => undefined);
    await input.waitFor({ timeout: 5_000 }).catch(() => undefined);
  }
}

async function leftPalette(page: Page, typed: string): Promise<boolean> {
  const input = page.locator('.quick-input-widget input');
  const end = Date.now() + 5_000;
  while (Date.now() < end) {
    if (!(await input.isVisible()) || (await input.inputValue()) !== typed) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * Saves the active editor and returns the file's text once `done` holds for it. Ctrl+S is
 * repeated because a keystroke can land while the workbench is still busy with a suggestion.
 */
export async function saveActiveEditor(page: Page, file: string, done: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let text = fs.readFileSync(file, 'utf8');
  while (!done(text) && Date.now() < deadline) {
    await page.keyboard.press('Control+S');
    await new Promise((r) => setTimeout(r, 1000));
    text = fs.readFileSync(file, 'utf8');
  }
  return text;
}

/**
 * Mocha hooks for a suite that shares one workbench: opened before, closed after, and a
 * screenshot of every failed test. Returns a getter for the open workbench. `settings` may be a
 * function, read when the workbench opens (after the suite's own `before` hooks declared earlier).
 */
export function useWorkbench(settings: Record<string, unknown> | (() => Record<string, unknown>) = {}): () => Workbench {
  let wb: Workbench | undefined;
  before(async () => {
    wb = await openWorkbench(typeof settings === 'function' ? settings() : settings);
  });
  after(async () => {
    await wb?.close();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await wb?.screenshot(`failed-${this.currentTest.title.replace(/\W+/g, '-')}`).catch(() => undefined);
    }
  });
  return () => {
    if (!wb) {
      throw new Error('the workbench did not open');
    }
    return wb;
  };
}

/** Waits for the extension, opens a workspace file with Quick Open, and puts the cursor on a new last line. */
export async function openAtEnd(page: Page, fileName: string): Promise<void> {
  await page.locator('.statusbar-item', { hasText: 'autoglm-coder' }).waitFor({ timeout: 60_000 });
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill(fileName);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: fileName }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tab.active', { hasText: fileName }).waitFor();
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
}
