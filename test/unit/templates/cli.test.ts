import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(__dirname, '../../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('templates: autoglm templates CLI', function () {
  this.timeout(60_000);
  let tmp: string;
  let cli: string;

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-cli-'));
    // Inside the repository (out/ is ignored), so that the bundle's external modules resolve.
    cli = path.join(ROOT, 'out', 'templates-cli-test', 'cli.js');
    // The same bundling as esbuild.mjs, for the CLI entry only.
    await esbuild.build({
      entryPoints: [path.join(ROOT, 'src/cli/main.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outfile: cli,
      external: ['vscode', 'onnxruntime-node', 'mocha', '@huggingface/transformers', 'node-llama-cpp'],
      define: { __AUTOGLM_VERSION__: JSON.stringify('0.1.0') },
      logLevel: 'silent',
    });
  });

  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.rm(path.dirname(cli), { recursive: true, force: true });
  });

  const run = (...args: string[]): Run => {
    const r = spawnSync(process.execPath, [cli, 'templates', ...args], { cwd: ROOT, encoding: 'utf8' });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  async function copyPack(from: string, to: string): Promise<void> {
    await fs.cp(from, to, { recursive: true });
  }

  it('lints the built-in pack cleanly (exit 0)', () => {
    const r = run('lint', 'prompts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^templates lint: 26 templates loaded, 0 errors, 0 warnings/m);
    assert.equal(r.stderr, '');
  });

  it('reports each problem as file:line: message and exits 1', () => {
    const r = run('lint', 'test/fixtures/templates/hostile');
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.ok(lines.includes(`${path.join('test/fixtures/templates/hostile', 'unknown-helper.hbs')}:11: unknown helper 'shout'; available: if, unless, each, with, lookup, eq, ne, and, or, not, default, upper, lower, indent, truncateTokens, codeBlock, json, lines`));
    assert.ok(lines.includes(`${path.join('test/fixtures/templates/hostile', 'lookup-proto.hbs')}:10: lookup of '__proto__' is not allowed: templates cannot reach object prototypes`));
    assert.ok(lines.every((l) => /^[^:]+:\d+: /.test(l)), 'every line is file:line: message');
    assert.match(r.stdout, /5 templates loaded, \d+ errors/);
  });

  it('prints a JSON report with --json', () => {
    const r = run('lint', 'test/fixtures/templates/hostile', '--json');
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as { ok: boolean; errors: number; diagnostics: { file: string; line: number; code: string; message: string }[]; templates: { id: string }[] };
    assert.equal(report.ok, false);
    assert.ok(report.errors >= 30);
    assert.deepEqual(
      report.diagnostics.find((d) => d.file.endsWith('constructor.hbs')),
      {
        file: path.join('test/fixtures/templates/hostile', 'constructor.hbs'),
        line: 11,
        severity: 'error',
        code: 'prototype-access',
        message: "'constructor.constructor' reaches 'constructor': templates cannot access object prototypes",
      },
    );
    assert.deepEqual(report.templates.map((t) => t.id).sort(), ['echo', 'good', 'partial-hash', 'slash-go', 'uses-partial-var']);
  });

  it('runs the golden tests of the built-in pack (exit 0)', () => {
    const r = run('test', 'prompts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^templates test: \d+ passed, 0 failed$/m);
  });

  it('exits 1 with a diff when a golden test fails', async () => {
    const dir = path.join(tmp, 'golden');
    await copyPack(path.join(ROOT, 'prompts'), dir);
    await fs.writeFile(path.join(dir, 'tests/expected/fim.codellama.txt'), '<PRE> wrong <SUF> <MID>');
    const r = spawnSync(process.execPath, [cli, 'templates', 'test', dir], { cwd: tmp, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /golden[/\\]tests[/\\]fim\.codellama\.json:5: golden test 'prefix and suffix' of template 'fim\.codellama' failed: rendered output differs from the expected output/);
    assert.match(r.stderr, /^ {4}-<PRE> wrong <SUF> <MID>$/m);
    assert.match(r.stderr, /^ {4}\+<PRE> def fib\(n\):$/m);
    const json = JSON.parse(spawnSync(process.execPath, [cli, 'templates', 'test', dir, '--json'], { cwd: tmp, encoding: 'utf8' }).stdout) as { ok: boolean; failed: number };
    assert.deepEqual([json.ok, json.failed], [false, 1]);
  });

  it('writes the lock file, then fails lint on a change without a version bump', async () => {
    const workspace = path.join(tmp, 'ws');
    await copyPack(path.join(ROOT, 'test/fixtures/templates/sources/user-pack'), path.join(workspace, '.autoglm', 'prompts'));
    const lock = spawnSync(process.execPath, [cli, 'templates', 'lock', workspace], { cwd: tmp, encoding: 'utf8' });
    assert.equal(lock.status, 0, lock.stderr);
    assert.match(lock.stdout, /wrote ws[/\\].autoglm[/\\]prompts.lock \(my-prompts 1.0.0, 3 templates\)/);
    assert.equal(spawnSync(process.execPath, [cli, 'templates', 'lint', workspace], { cwd: tmp }).status, 0);
    const file = path.join(workspace, '.autoglm', 'prompts', 'user-only.hbs');
    await fs.writeFile(file, (await fs.readFile(file, 'utf8')).replace('from the user pack', 'changed'));
    const lint = spawnSync(process.execPath, [cli, 'templates', 'lint', workspace], { cwd: tmp, encoding: 'utf8' });
    assert.equal(lint.status, 1);
    assert.match(lint.stderr, /user-only\.hbs:4: template 'user-only' changed but its version is still 1\.0\.0/);
  });

  it('refuses to write a lock file for a pack with errors', () => {
    const r = run('lock', 'test/fixtures/templates/hostile', '--lock', path.join(tmp, 'never.lock'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /templates lock: not written; fix the \d+ errors first/);
  });

  it('exits 1 for a folder that is not a pack', () => {
    const r = run('lint', 'test/fixtures/templates/no-such-pack');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no-such-pack[/\\]pack\.json:1: not a prompt pack: pack\.json is missing/);
  });

  it('exits 2 on bad usage', () => {
    assert.equal(run().code, 2);
    assert.equal(run('lint').code, 2);
    assert.equal(run('frobnicate', 'prompts').code, 2);
    assert.equal(run('lint', 'prompts', '--nope').code, 2);
    assert.equal(run('lint', 'prompts', 'extra').code, 2);
  });

  it('prints its usage with --help (exit 0)', () => {
    const r = run('--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: autoglm templates <lint\|test\|lock> DIR/);
  });

  it('runs unbundled through tsx with the same exit codes', () => {
    const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'src/cli/main.ts'), 'templates', 'lint', 'test/fixtures/templates/hostile'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 1);
    const ok = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'src/cli/main.ts'), 'templates', 'lint', 'prompts'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
  });
});
