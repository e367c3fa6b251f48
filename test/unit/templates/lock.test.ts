import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lintPack } from '../../../src/templates/lint';
import { defaultLockPath, readLock, writeLock } from '../../../src/templates/lock';
import { loadPack } from '../../../src/templates/pack';
import { scaffoldManifest, scaffoldTemplate } from '../../../src/templates/scaffold';

const template = (version: string, body: string): string => `---\nid: greet\ntitle: Greet\nversion: ${version}\nkind: command\n---\n${body}\n`;

describe('templates: lock file', () => {
  let root: string;
  let packDir: string;
  let lockFile: string;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-lock-'));
    packDir = path.join(root, '.autoglm', 'prompts');
    lockFile = path.join(root, '.autoglm', 'prompts.lock');
    await fs.mkdir(path.join(packDir, 'partials'), { recursive: true });
    await fs.writeFile(path.join(packDir, 'pack.json'), '{ "name": "team", "version": "1.0.0", "description": "t" }\n');
    await fs.writeFile(path.join(packDir, 'greet.hbs'), template('1.0.0', 'Hello {{> sig}}'));
    await fs.writeFile(path.join(packDir, 'partials', 'sig.hbs'), '-- team');
  });

  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const lint = async (): Promise<[string, number, string, string][]> =>
    (await lintPack(packDir)).diagnostics.map((d) => [path.relative(root, d.file), d.line, d.code, d.message]);

  it('lives at .autoglm/prompts.lock beside a workspace pack', () => {
    assert.equal(defaultLockPath(packDir), lockFile);
    assert.equal(defaultLockPath('/repo/prompts'), path.resolve('/repo/.autoglm/prompts.lock'));
  });

  it('records version and content hash of each template, and partial hashes', async () => {
    await writeLock(lockFile, await loadPack(packDir, 'workspace'));
    const { lock } = await readLock(lockFile);
    const entry = lock!.packs['team']!;
    assert.equal(entry.version, '1.0.0');
    assert.equal(entry.templates['greet']!.version, '1.0.0');
    assert.match(entry.templates['greet']!.hash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(entry.templates['greet']!.file, 'greet.hbs');
    assert.match(entry.partials['sig']!, /^sha256:/);
    assert.deepEqual(await lint(), []);
  });

  it('does not check anything when there is no lock file', async () => {
    const report = await lintPack(packDir);
    assert.equal(report.lockChecked, false);
    assert.equal(report.errors, 0);
  });

  it('reports content changed without a version bump at the version line', async () => {
    await writeLock(lockFile, await loadPack(packDir, 'workspace'));
    await fs.writeFile(path.join(packDir, 'greet.hbs'), template('1.0.0', 'Hi {{> sig}}'));
    assert.deepEqual(await lint(), [
      [
        path.join('.autoglm', 'prompts', 'greet.hbs'),
        4,
        'changed-without-bump',
        "template 'greet' changed but its version is still 1.0.0: bump 'version', then run 'autoglm templates lock' and commit the lock file",
      ],
    ]);
  });

  it('ignores line-ending changes', async () => {
    await writeLock(lockFile, await loadPack(packDir, 'workspace'));
    await fs.writeFile(path.join(packDir, 'greet.hbs'), template('1.0.0', 'Hello {{> sig}}').replace(/\n/g, '\r\n'));
    assert.deepEqual(await lint(), []);
  });

  it('reports a bumped version whose lock entry was not updated, then accepts the updated lock', async () => {
    await writeLock(lockFile, await loadPack(packDir, 'workspace'));
    await fs.writeFile(path.join(packDir, 'greet.hbs'), template('1.1.0', 'Hi {{> sig}}'));
    assert.deepEqual((await lint()).map((d) => d[2]), ['lock-outdated']);
    await writeLock(lockFile, await loadPack(packDir, 'workspace'));
    assert.deepEqual(await lint(), []);
  });

  it('reports a version lower than the locked one', async () => {
    await fs.writeFile(path.join(packDir, 'greet.hbs'), template('2.0.0', 'Hello'));
    await writeLock(lockFile, await loadPack(packDir, 'workspace'));
    await fs.writeFile(path.join(packDir, 'greet.hbs'), template('1.9.0', 'Hello'));
    assert.deepEqual((await lint()).map((d) => [d[1], d[2], d[3]]), [[4, 'version-downgrade', "template 'greet' version 1.9.0 is lower than the locked 2.0.0"]]);
  });

  it('reports a partial changed without a pack version bump', async () => {
    await writeLock(lockFile, await loadPack(packDir, 'workspace'));
    await fs.writeFile(path.join(packDir, 'partials', 'sig.hbs'), '-- the team');
    assert.deepEqual(await lint(), [
      [
        path.join('.autoglm', 'prompts', 'partials', 'sig.hbs'),
        1,
        'changed-without-bump',
        "partial 'sig' changed but the pack version is still 1.0.0: bump 'version' in pack.json, then run 'autoglm templates lock' and commit the lock file",
      ],
    ]);
  });

  it('reports templates added without locking and templates removed from the pack', async () => {
    await writeLock(lockFile, await loadPack(packDir, 'workspace'));
    await fs.writeFile(path.join(packDir, 'new.hbs'), '---\nid: new\ntitle: New\nversion: 1.0.0\nkind: chat\n---\nnew\n');
    await fs.rm(path.join(packDir, 'greet.hbs'));
    assert.deepEqual((await lint()).map((d) => [path.basename(d[0]), d[1], d[2]]), [
      ['prompts.lock', 1, 'lock-outdated'],
      ['new.hbs', 2, 'not-locked'],
    ]);
  });

  it('keeps the entries of other packs when writing', async () => {
    await fs.writeFile(lockFile, JSON.stringify({ lockfileVersion: 1, packs: { other: { version: '1.0.0', templates: {}, partials: {} } } }));
    await writeLock(lockFile, await loadPack(packDir, 'workspace'));
    assert.deepEqual(Object.keys((await readLock(lockFile)).lock!.packs), ['other', 'team']);
  });

  it('reports a corrupt lock file', async () => {
    await fs.writeFile(lockFile, '{ nope');
    const report = await lintPack(packDir);
    assert.deepEqual(report.diagnostics.map((d) => [d.file, d.line, d.code]), [[lockFile, 1, 'bad-lock']]);
    assert.equal(report.errors, 1);
  });
});

describe('templates: scaffold', () => {
  it('writes a template in the standard structure that loads cleanly with the standard partials', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-scaffold-'));
    try {
      await fs.mkdir(path.join(dir, 'partials'));
      for (const partial of ['role', 'task', 'output', 'constraints']) {
        await fs.copyFile(path.resolve(__dirname, '../../../prompts/partials', `${partial}.hbs`), path.join(dir, 'partials', `${partial}.hbs`));
      }
      await fs.writeFile(path.join(dir, 'pack.json'), scaffoldManifest('team'));
      await fs.writeFile(path.join(dir, 'api-review.hbs'), scaffoldTemplate('api-review', 'API review: "strict"'));
      const pack = await loadPack(dir, 'workspace', { hostVersion: '0.1.0' });
      assert.deepEqual(pack.diagnostics, []);
      const t = pack.templates[0]!;
      assert.deepEqual([t.meta.id, t.meta.title, t.meta.slash, t.meta.version], ['api-review', 'API review: "strict"', 'api-review', '0.1.0']);
      const text = t.render({ selection: 'x' }).text;
      assert.deepEqual(text.match(/^# .*$/gm), ['# Role', '# Task', '# Output requirements', '# Constraints']);
      assert.throws(() => scaffoldTemplate('Bad Id', 't'), /is not a template id/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
