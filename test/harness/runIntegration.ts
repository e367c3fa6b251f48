/**
 * Runs the extension-host suite (out/test/integration) inside a real VS Code.
 * With VSCODE_EXECUTABLE set (a desktop VS Code), through @vscode/test-electron; otherwise inside
 * code-server, whose web client reads the extension-test options from the workbench URL, driven
 * by Debian's Chromium. Writes test-results/integration.json; exits non-zero on any failure.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { format } from 'node:util';
import { launchBrowser } from './browser';
import { startCodeServer } from './codeServer';
import { RESULTS_DIR, ROOT } from './paths';
import { writeCrashResult } from './results';

const RESULT_FILE = path.join(RESULTS_DIR, 'integration.json');
const TESTS_ENTRY = path.join(ROOT, 'out', 'test', 'integration', 'index.js');
const TIMEOUT_MS = Number(process.env.AUTOGLM_INTEGRATION_TIMEOUT_MS ?? 15 * 60_000);

function freshWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-ws-'));
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'workspace'), dir, { recursive: true });
  return dir;
}

async function viaElectron(executable: string, workspace: string): Promise<number> {
  const { runTests } = await import('@vscode/test-electron');
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-ud-'));
  const extensions = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-ext-'));
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: TESTS_ENTRY,
      launchArgs: [workspace, '--user-data-dir', userData, '--extensions-dir', extensions, '--disable-workspace-trust'],
      extensionTestsEnv: { AUTOGLM_RESULT_FILE: RESULT_FILE, AUTOGLM_RESULT_DIR: RESULTS_DIR },
    });
    return 0;
  } catch (err) {
    console.error(err);
    return 1;
  }
}

async function viaCodeServer(workspace: string): Promise<number> {
  const server = await startCodeServer({ env: { AUTOGLM_RESULT_FILE: RESULT_FILE, AUTOGLM_RESULT_DIR: RESULTS_DIR } });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const exit = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
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
    await page.goto(url);
    const timeout = new Promise<number>((resolve) => setTimeout(() => resolve(-1), TIMEOUT_MS).unref());
    const code = await Promise.race([exit, timeout]);
    if (code !== 0) {
      await page.screenshot({ path: path.join(RESULTS_DIR, 'screenshots', 'integration-failure.png') }).catch(() => undefined);
      if (code === -1) {
        console.error(`extension-host tests did not finish within ${TIMEOUT_MS} ms`);
      }
      console.error(fs.readFileSync(server.logFile, 'utf8').slice(-4000));
    }
    return code === 0 ? 0 : 1;
  } finally {
    await browser.close();
    await server.stop();
  }
}

async function main(): Promise<number> {
  fs.mkdirSync(path.join(RESULTS_DIR, 'screenshots'), { recursive: true });
  fs.rmSync(RESULT_FILE, { force: true });
  if (!fs.existsSync(TESTS_ENTRY)) {
    throw new Error(`${TESTS_ENTRY} is missing: run \`node esbuild.mjs\` first`);
  }
  const workspace = freshWorkspace();
  const executable = process.env.VSCODE_EXECUTABLE;
  const code = executable ? await viaElectron(executable, workspace) : await viaCodeServer(workspace);
  if (!fs.existsSync(RESULT_FILE)) {
    writeCrashResult(RESULT_FILE, 'extension-host suite', 'the suite ended without writing its results');
    return 1;
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    writeCrashResult(RESULT_FILE, 'extension-host suite', err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
