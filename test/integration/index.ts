/**
 * Entry point VS Code loads as `extensionTestsPath`: runs every `*.test.js` beside it with mocha
 * inside the real extension host, writes the counts for the summary, and rejects on failure.
 * AUTOGLM_TEST_FILES, a regular expression, narrows the run to the test files whose name it
 * matches (e.g. `completionGuards`), for working on one suite without running them all.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** Tests tagged with this run only in the second window load, after the harness reloads it. */
export const AFTER_RELOAD_TAG = '@after-reload';

export async function run(): Promise<void> {
  const resultsDir = process.env.AUTOGLM_RESULT_DIR ?? path.resolve(__dirname, '../../../test-results');
  const phaseFile = path.join(resultsDir, 'integration-phase.txt');
  const afterReload = fs.existsSync(phaseFile) && fs.readFileSync(phaseFile, 'utf8').trim() === 'after-reload';
  const resultFile = path.join(resultsDir, afterReload ? 'integration-reload.json' : 'integration.json');
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 120_000, reporter: 'spec' });
  mocha.grep(AFTER_RELOAD_TAG);
  if (!afterReload) {
    mocha.invert();
  }
  const only = process.env.AUTOGLM_TEST_FILES ? new RegExp(process.env.AUTOGLM_TEST_FILES) : undefined;
  for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js') && (only === undefined || only.test(f))).sort()) {
    mocha.addFile(path.join(__dirname, file));
  }
  const failures: { title: string; message: string }[] = [];
  const stats = await new Promise<Mocha.Stats>((resolve) => {
    const runner = mocha.run(() => resolve(runner.stats ?? { passes: 0, failures: 1, pending: 0 } as Mocha.Stats));
    runner.on('fail', (test, err: unknown) => failures.push({ title: test.fullTitle(), message: err instanceof Error ? err.message : String(err) }));
  });
  const counts = { passed: stats.passes, failed: stats.failures, skipped: stats.pending, failures };
  fs.mkdirSync(path.dirname(resultFile), { recursive: true });
  fs.writeFileSync(resultFile, JSON.stringify(counts, null, 2));
  console.log(`AUTOGLM_RESULT ${JSON.stringify(counts)}`);
  if (stats.failures > 0) {
    throw new Error(`${stats.failures} extension-host test(s) failed`);
  }
}
