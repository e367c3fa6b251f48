import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeSource, loadCatalog, UNTRUSTED_REASON, workspacePackDir } from '../../../src/templates/catalog';

const FIXTURES = path.resolve(__dirname, '../../fixtures/templates/sources');
const BUILTIN = path.resolve(__dirname, '../../../prompts');
const USER = path.join(FIXTURES, 'user-pack');
const WORKSPACE = workspacePackDir(path.join(FIXTURES, 'workspace'));

describe('templates: sources and precedence', () => {
  it('lets workspace packs override user packs, which override the built-in pack', async () => {
    const catalog = await loadCatalog({ builtinDir: BUILTIN, userDirs: [USER], workspaceDirs: [WORKSPACE], trusted: true });
    const explain = catalog.entries.find((e) => e.template.meta.id === 'explain')!;
    assert.equal(explain.template.pack.source, 'workspace');
    assert.equal(explain.template.pack.name, 'team');
    assert.equal(explain.template.file, path.join(WORKSPACE, 'explain.hbs'));
    assert.deepEqual(explain.overrides.map((t) => [t.pack.source, t.meta.version]), [
      ['builtin', '1.0.0'],
      ['user', '2.0.0'],
    ]);
    assert.equal(catalog.get('explain')!.render({ selection: 'x' }).text, '## Role\nTEAM EXPLAIN\nx', 'rendered with the workspace pack\'s own partial');
    assert.equal(catalog.get('user-only')?.pack.source, 'user');
    assert.equal(catalog.get('team-review')?.pack.source, 'workspace');
    assert.equal(catalog.get('review')?.pack.source, 'builtin');
    assert.equal(catalog.workspaceSkipped, undefined);
  });

  it('gives a slash command to the pack of higher precedence, warning about the one it hides', async () => {
    const catalog = await loadCatalog({ builtinDir: BUILTIN, userDirs: [USER], trusted: true });
    assert.equal(catalog.bySlash('review')?.meta.id, 'my-review');
    assert.equal(catalog.get('review')?.pack.source, 'builtin', 'the hidden template stays available by id');
    assert.deepEqual(
      catalog.diagnostics.map((d) => [path.basename(d.file), d.line, d.severity, d.message]),
      [['my-review.hbs', 6, 'warning', "slash command '/review' of 'my-review' hides 'review' of the builtin pack builtin"]],
    );
  });

  it('knows the source pack and file of every listed template', async () => {
    const catalog = await loadCatalog({ builtinDir: BUILTIN, userDirs: [USER], workspaceDirs: [WORKSPACE], trusted: true });
    for (const { template } of catalog.entries) {
      assert.ok(path.isAbsolute(template.file));
      assert.ok(template.file.startsWith(template.pack.dir));
    }
    assert.equal(describeSource(catalog.get('team-review')!), 'workspace pack team (team.hbs)');
    assert.equal(describeSource(catalog.get('fim.codestral')!), 'builtin pack builtin (fim/codestral.hbs)');
    const ids = catalog.entries.map((e) => e.template.meta.id);
    assert.deepEqual(ids, [...ids].sort(), 'sorted by id');
    assert.equal(new Set(ids).size, ids.length, 'one entry per id');
  });

  it('keeps the rest of a pack working when one template is invalid, and reports it', async () => {
    const catalog = await loadCatalog({ builtinDir: BUILTIN, workspaceDirs: [WORKSPACE], trusted: true });
    assert.deepEqual(
      catalog.diagnostics.map((d) => [path.relative(FIXTURES, d.file), d.line, d.message]),
      [[path.join('workspace', '.autoglm', 'prompts', 'broken.hbs'), 7, "unclosed block '{{#if}}': add '{{/if}}'"]],
    );
    assert.equal(catalog.get('broken'), undefined);
    assert.equal(catalog.get('team-review')?.pack.source, 'workspace');
  });

  it('does not load workspace packs in an untrusted workspace, and says why', async () => {
    const catalog = await loadCatalog({ builtinDir: BUILTIN, userDirs: [USER], workspaceDirs: [WORKSPACE], trusted: false });
    assert.deepEqual(catalog.workspaceSkipped, { reason: UNTRUSTED_REASON, dirs: [WORKSPACE] });
    assert.match(UNTRUSTED_REASON, /not trusted/);
    assert.ok(!catalog.packs.some((p) => p.source === 'workspace'));
    assert.equal(catalog.get('explain')?.pack.source, 'user');
    assert.equal(catalog.get('team-review'), undefined);
    assert.ok(!catalog.diagnostics.some((d) => d.file.startsWith(WORKSPACE)), 'nothing of the workspace pack is even parsed');
  });

  it('says nothing about trust when the workspace has no pack', async () => {
    const catalog = await loadCatalog({ builtinDir: BUILTIN, workspaceDirs: [path.join(FIXTURES, 'no-such-folder')], trusted: false });
    assert.equal(catalog.workspaceSkipped, undefined);
    assert.equal(catalog.get('explain')?.pack.source, 'builtin');
  });

  it('resolves partials only inside their own pack', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-isolation-'));
    try {
      await fs.writeFile(path.join(dir, 'pack.json'), '{ "name": "mine", "version": "1.0.0" }');
      await fs.writeFile(path.join(dir, 'borrow.hbs'), '---\nid: borrow\ntitle: b\nversion: 1.0.0\nkind: chat\n---\n{{#> role}}x{{/role}}\n');
      const catalog = await loadCatalog({ builtinDir: BUILTIN, userDirs: [dir], trusted: true });
      assert.deepEqual(
        catalog.diagnostics.map((d) => [path.basename(d.file), d.line, d.message]),
        [['borrow.hbs', 7, "unknown partial 'role': there is no partials/role.hbs in this pack"]],
        'the built-in pack\'s role partial is not visible to another pack',
      );
      assert.equal(catalog.get('borrow'), undefined);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('warns about a user pack folder that does not exist', async () => {
    const missing = path.join(FIXTURES, 'missing-user-pack');
    const catalog = await loadCatalog({ builtinDir: BUILTIN, userDirs: [missing], trusted: true });
    assert.deepEqual(catalog.diagnostics.map((d) => [d.file, d.severity, d.message]), [[missing, 'warning', `user prompt pack folder ${missing} does not exist`]]);
    assert.equal(catalog.entries.length, 26, 'the built-in templates');
  });
});
