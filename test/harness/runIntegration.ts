/**
 * Runs the extension-host suite (out/test/integration) inside a real VS Code.
 * With VSCODE_EXECUTABLE set (a desktop VS Code), through @vscode/test-electron; otherwise inside
 * code-server, whose web client reads the extension-test options from the workbench URL, driven
 * by Debian's Chromium. Writes test-results/integration.json; exits non-zero on any failure.
 * AUTOGLM_TEST_FILES (a regular expression on test file names) runs only the files it matches.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { launchBrowser } from './browser';
import { startCodeServer, TEST_USER_SETTINGS } from './codeServer';
import { RESULTS_DIR, ROOT } from './paths';
import { writeCrashResult } from './results';

const RESULT_FILE = path.join(RESULTS_DIR, 'integration.json');
const RELOAD_RESULT_FILE = path.join(RESULTS_DIR, 'integration-reload.json');
const PHASE_FILE = path.join(RESULTS_DIR, 'integration-phase.txt');
const TESTS_ENTRY = path.join(ROOT, 'out', 'test', 'integration', 'index.js');
const TIMEOUT_MS = Number(process.env.AUTOGLM_INTEGRATION_TIMEOUT_MS ?? 15 * 60_000);

/** Short answers keep the suite quick; behaviour does not depend on their length. */
const INTEGRATION_SETTINGS = { 'autoglm.chat.maxTokens': 48, 'autoglm.chat.temperature': 0 };

function freshWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-ws-'));
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'workspace'), dir, { recursive: true });
  return dir;
}

async function viaElectron(executable: string, workspace: string): Promise<number> {
  const { runTests } = await import('@vscode/test-electron');
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-ud-'));
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({ ...TEST_USER_SETTINGS, ...INTEGRATION_SETTINGS }, null, 2));
  const extensions = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-ext-'));
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: TESTS_ENTRY,
      launchArgs: [workspace, '--user-data-dir', userData, '--extensions-dir', extensions, '--disable-workspace-trust'],
      extensionTestsEnv: { AUTOGLM_RESULT_DIR: RESULTS_DIR, ...(process.env.AUTOGLM_TEST_FILES ? { AUTOGLM_TEST_FILES: process.env.AUTOGLM_TEST_FILES } : {}) },
    });
    return 0;
  } catch (err) {
    console.error(err);
    return 1;
  }
}

async function viaCodeServer(workspace: string): Promise<number> {
  const server = await startCodeServer({ env: { AUTOGLM_RESULT_DIR: RESULTS_DIR }, settings: INTEGRATION_SETTINGS });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let onExit: (code: number) => void = () => undefined;
    await page.exposeFunction('codeAutomationExit', (code: number) => onExit(code));
    // The workbench forwards its own log too; only the suite's lines are worth printing.
    await page.exposeFunction('codeAutomationLog', (_level: unknown, args: unknown) => {
      const line = Array.isArray(args) ? format(...(args as unknown[])) : String(args);
      if (!/^(Creating a socket|Resolv|Updating additional|\[Service Worker\]|ChatSessionStore|getaddrinfo|\s+at )/.test(line)) {
        console.log(line);
      }
    });
    page.on('pageerror', (err) => console.error(`[workbench] ${err.message}`));
    const remote = (p: string): string => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const url = server.workbenchUrl(workspace, [
      ['extensionDevelopmentPath', remote(ROOT)],
      ['extensionTestsPath', remote(TESTS_ENTRY)],
    ]);
    // The same window is loaded twice: the second load is a window reload, and runs the tests
    // that check what must survive one (chat history).
    let failed = 0;
    for (const phase of ['first-load', 'after-reload'] as const) {
      fs.writeFileSync(PHASE_FILE, phase);
      const exit = new Promise<number>((resolve) => (onExit = resolve));
      const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(-1), TIMEOUT_MS).unref());
      await page.goto(url);
      const code = await Promise.race([exit, timeout]);
      if (code !== 0) {
        failed++;
        await page.screenshot({ path: path.join(RESULTS_DIR, 'screenshots', `integration-${phase}-failure.png`) }).catch(() => undefined);
        if (code === -1) {
          console.error(`extension-host tests (${phase}) did not finish within ${TIMEOUT_MS} ms`);
        }
        console.error(fs.readFileSync(server.logFile, 'utf8').slice(-4000));
      }
    }
    return failed === 0 ? 0 : 1;
  } finally {
    await browser.close();
    await server.stop();
  }
}

async function main(): Promise<number> {
  fs.mkdirSync(path.join(RESULTS_DIR, 'screenshots'), { recursive: true });
  fs.rmSync(RESULT_FILE, { force: true });
  fs.rmSync(RELOAD_RESULT_FILE, { force: true });
  if (!fs.existsSync(TESTS_ENTRY)) {
    throw new Error(`${TESTS_ENTRY} is missing: run \`node esbuild.mjs\` first`);
  }
  const workspace = freshWorkspace();
  const executable = process.env.VSCODE_EXECUTABLE;
  const code = executable ? await viaElectron(executable, workspace) : await viaCodeServer(workspace);
  let missing = false;
  for (const file of executable ? [RESULT_FILE] : [RESULT_FILE, RELOAD_RESULT_FILE]) {
    if (!fs.existsSync(file)) {
      writeCrashResult(file, `extension-host suite (${path.basename(file)})`, 'the suite ended without writing its results');
      missing = true;
    }
  }
  fs.rmSync(PHASE_FILE, { force: true });
  return missing ? 1 : code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    writeCrashResult(RESULT_FILE, 'extension-host suite', err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
