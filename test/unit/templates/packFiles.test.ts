import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { templatesCommand } from '../../../src/cli/templates';
import { readLock, writeLock } from '../../../src/templates/lock';
import { loadPack } from '../../../src/templates/pack';
import { MAX_MANIFEST_BYTES } from '../../../src/templates/packFiles';

/**
 * Packs arrive in pull requests, and CI runs `autoglm templates test` on them: every file a pack
 * names must be a plain file inside the pack. The links and pipes are made here, at run time.
 */
const SECRET = 'AUTOGLM_SECRET_7f3a9c';
const MANIFEST = '{ "name": "p", "version": "1.0.0", "description": "d" }\n';
const TEMPLATE = (id: string, body: string): string => `---\nid: ${id}\ntitle: ${id}\nversion: 1.0.0\nkind: command\n---\n${body}\n`;
const GOLDEN = (id: string, expectedFile: string): string => JSON.stringify({ template: id, cases: [{ name: 'case', variables: {}, expectedFile }] });

interface CliRun {
  readonly code: number;
  readonly out: string;
}

async function cli(...args: string[]): Promise<CliRun> {
  let out = '';
  const io = { stdout: (t: string): void => void (out += t), stderr: (t: string): void => void (out += t) };
  const code = await templatesCommand.run(args, io);
  return { code, out };
}

describe('templates: pack files are plain files inside the pack', function () {
  this.timeout(20_000);
  let dir: string;
  let outside: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-packfiles-'));
    outside = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-outside-'));
    await fs.writeFile(path.join(outside, 'secret.txt'), `${SECRET}\n`);
    await fs.mkdir(path.join(dir, 'tests'));
    await fs.writeFile(path.join(dir, 'pack.json'), MANIFEST);
    await fs.writeFile(path.join(dir, 'ok.hbs'), TEMPLATE('ok', 'ok'));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(outside, { recursive: true, force: true });
  });

  it('never prints an expected file linked outside the pack, and fails naming it', async () => {
    await fs.writeFile(path.join(dir, 'tests/ok.json'), GOLDEN('ok', 'ok.txt'));
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(dir, 'tests/ok.txt'));
    for (const args of [['test', dir], ['test', dir, '--json']]) {
      const run = await cli(...args);
      assert.equal(run.code, 1);
      assert.ok(!run.out.includes(SECRET), run.out);
      assert.match(run.out, /expected file ok\.txt is refused: this file is a link to a file outside the pack; packs may only use their own files/);
    }
  });

  it('never prints a link to /proc/self/environ (skipped off Linux: no /proc)', async function () {
    if (process.platform !== 'linux') {
      this.skip();
    }
    process.env['AUTOGLM_TEST_ENV_SECRET'] = SECRET;
    try {
      await fs.writeFile(path.join(dir, 'tests/ok.json'), GOLDEN('ok', 'ok.txt'));
      await fs.symlink('/proc/self/environ', path.join(dir, 'tests/ok.txt'));
      const run = await cli('test', dir);
      assert.equal(run.code, 1);
      assert.ok(!run.out.includes(SECRET));
      assert.match(run.out, /expected file ok\.txt is refused: this file is a link to a file outside the pack/);
    } finally {
      delete process.env['AUTOGLM_TEST_ENV_SECRET'];
    }
  });

  it('with --update, leaves a file outside the pack unchanged and fails', async () => {
    await fs.writeFile(path.join(dir, 'tests/ok.json'), GOLDEN('ok', 'ok.txt'));
    await fs.symlink(path.join(outside, 'secret.txt'), path.join(dir, 'tests/ok.txt'));
    const run = await cli('test', dir, '--update');
    assert.equal(run.code, 1);
    assert.equal(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8'), `${SECRET}\n`);
    assert.ok((await fs.lstat(path.join(dir, 'tests/ok.txt'))).isSymbolicLink());
  });

  it('with --update, does not write through a link inside the pack either', async () => {
    await fs.writeFile(path.join(dir, 'tests/ok.json'), GOLDEN('ok', 'ok.txt'));
    await fs.writeFile(path.join(dir, 'tests/other.txt'), 'other\n');
    await fs.symlink(path.join(dir, 'tests/other.txt'), path.join(dir, 'tests/ok.txt'));
    const run = await cli('test', dir, '--update');
    assert.equal(run.code, 1);
    assert.match(run.out, /expected file ok\.txt is not updated: this is a link, not a regular file; it is not written/);
    assert.equal(await fs.readFile(path.join(dir, 'tests/other.txt'), 'utf8'), 'other\n');
  });

  it('with --update, writes a plain expected file through a new file and a rename', async () => {
    await fs.writeFile(path.join(dir, 'tests/ok.json'), GOLDEN('ok', 'ok.txt'));
    await fs.writeFile(path.join(dir, 'tests/ok.txt'), 'stale\n');
    const run = await cli('test', dir, '--update');
    assert.equal(run.code, 0, run.out);
    assert.equal(await fs.readFile(path.join(dir, 'tests/ok.txt'), 'utf8'), 'ok');
    assert.deepEqual((await fs.readdir(path.join(dir, 'tests'))).sort(), ['ok.json', 'ok.txt']);
  });

  it('refuses a golden test file linked outside the pack', async () => {
    await fs.writeFile(path.join(outside, 'evil.json'), JSON.stringify({ template: 'ok', cases: [{ name: SECRET, expected: 'ok' }] }));
    await fs.symlink(path.join(outside, 'evil.json'), path.join(dir, 'tests/evil.json'));
    const run = await cli('test', dir);
    assert.equal(run.code, 1);
    assert.ok(!run.out.includes(SECRET));
    assert.match(run.out, /tests[/\\]evil\.json:1: this file is a link to a file outside the pack/);
  });

  it('refuses a partial linked outside the pack and keeps the other templates', async () => {
    await fs.writeFile(path.join(outside, 'leak.hbs'), SECRET);
    await fs.mkdir(path.join(dir, 'partials'));
    await fs.symlink(path.join(outside, 'leak.hbs'), path.join(dir, 'partials/leak.hbs'));
    await fs.writeFile(path.join(dir, 'uses.hbs'), TEMPLATE('uses', '{{> leak}}'));
    const pack = await loadPack(dir, 'workspace');
    assert.deepEqual(
      pack.diagnostics.filter((d) => d.code === 'outside-pack').map((d) => path.relative(dir, d.file)),
      [path.join('partials', 'leak.hbs')],
    );
    assert.deepEqual(pack.templates.map((t) => t.meta.id), ['ok']);
    assert.equal(pack.templates[0]!.render({}).text, 'ok');
  });

  it('refuses a template folder linked outside the pack', async () => {
    await fs.mkdir(path.join(outside, 'more'));
    await fs.writeFile(path.join(outside, 'more/leak.hbs'), TEMPLATE('leak', SECRET));
    await fs.mkdir(path.join(dir, 'sub'));
    await fs.symlink(path.join(outside, 'more/leak.hbs'), path.join(dir, 'sub/leak.hbs'));
    const pack = await loadPack(dir, 'workspace');
    assert.deepEqual(pack.diagnostics.map((d) => [path.relative(dir, d.file), d.code]), [[path.join('sub', 'leak.hbs'), 'outside-pack']]);
    assert.deepEqual(pack.templates.map((t) => t.meta.id), ['ok']);
  });

  it('does not block on a FIFO named as a template, an expected file or pack.json (skipped on Windows: no FIFOs)', async function () {
    if (process.platform === 'win32') {
      this.skip();
    }
    execFileSync('mkfifo', [path.join(dir, 'pipe.hbs'), path.join(dir, 'tests/ok.txt')]);
    await fs.writeFile(path.join(dir, 'tests/ok.json'), GOLDEN('ok', 'ok.txt'));
    const pack = await loadPack(dir, 'workspace');
    assert.deepEqual(pack.diagnostics.map((d) => [path.basename(d.file), d.code, d.message]), [['pipe.hbs', 'not-a-file', 'this is a named pipe, not a regular file; it is not read']]);
    assert.deepEqual(pack.templates.map((t) => t.meta.id), ['ok']);
    const run = await cli('test', dir, '--update');
    assert.equal(run.code, 1);
    assert.match(run.out, /expected file ok\.txt is refused: this is a named pipe, not a regular file; it is not read/);
    await fs.rm(path.join(dir, 'pack.json'));
    execFileSync('mkfifo', [path.join(dir, 'pack.json')]);
    const noPack = await loadPack(dir, 'workspace');
    assert.deepEqual(noPack.diagnostics.map((d) => [path.basename(d.file), d.code]), [['pack.json', 'not-a-file']]);
  });

  it('refuses a pack.json of 300 MB without reading it', async () => {
    await fs.rm(path.join(dir, 'pack.json'));
    const handle = await fs.open(path.join(dir, 'pack.json'), 'w');
    await handle.truncate(300 * 1024 * 1024);
    await handle.close();
    const pack = await loadPack(dir, 'workspace');
    assert.equal(pack.info, undefined);
    assert.deepEqual(
      pack.diagnostics.map((d) => [path.basename(d.file), d.code, d.message]),
      [['pack.json', 'file-too-large', `file is ${300 * 1024 * 1024} bytes, over the limit of ${MAX_MANIFEST_BYTES}`]],
    );
  });

  it('refuses a pack.json linked to /dev/zero (skipped on Windows: no /dev/zero)', async function () {
    if (process.platform === 'win32') {
      this.skip();
    }
    await fs.rm(path.join(dir, 'pack.json'));
    await fs.symlink('/dev/zero', path.join(dir, 'pack.json'));
    const pack = await loadPack(dir, 'workspace');
    assert.deepEqual(pack.diagnostics.map((d) => [path.basename(d.file), d.code]), [['pack.json', 'outside-pack']]);
  });

  it('refuses a directory named as an expected file', async () => {
    await fs.writeFile(path.join(dir, 'tests/ok.json'), GOLDEN('ok', 'ok.txt'));
    await fs.mkdir(path.join(dir, 'tests/ok.txt'));
    const run = await cli('test', dir, '--update');
    assert.equal(run.code, 1);
    assert.match(run.out, /expected file ok\.txt is refused: this is a folder, not a regular file; it is not read/);
  });

  it('neither reads nor writes a lock file that is a link', async () => {
    const lockFile = path.join(outside, 'link.lock');
    await fs.symlink(path.join(outside, 'secret.txt'), lockFile);
    const read = await readLock(lockFile);
    assert.deepEqual(read.diagnostics.map((d) => [d.code, d.message]), [['bad-lock', 'lock file is refused: this is a link, not a regular file; it is not read']]);
    const pack = await loadPack(dir, 'workspace');
    await assert.rejects(writeLock(lockFile, pack), /lock file not written: this is a link, not a regular file; it is not written/);
    assert.equal(await fs.readFile(path.join(outside, 'secret.txt'), 'utf8'), `${SECRET}\n`);
  });
});
