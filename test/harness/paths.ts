import * as path from 'node:path';

/** Repository root, from test/harness/. */
export const ROOT = path.resolve(__dirname, '..', '..');
export const RESULTS_DIR = process.env.AUTOGLM_RESULT_DIR ?? path.join(ROOT, 'test-results');
export const CODE_SERVER_BIN =
  process.env.AUTOGLM_CODE_SERVER ?? path.join(ROOT, 'tools', 'vscode', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM_BIN = process.env.AUTOGLM_CHROMIUM ?? '/usr/bin/chromium';
