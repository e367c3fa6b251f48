import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadCatalog } from '../../../src/templates/catalog';
import { packLabel } from '../../../src/templates/packLabel';
import { slashHint } from '../../../src/webview/slash';

const root = path.resolve(__dirname, '..', '..', '..');

describe('slash command hints', () => {
  it('names a pack once and readably: the built-in one by its kind, others by kind and name', () => {
    assert.equal(packLabel({ source: 'builtin', name: 'builtin' }), 'built-in pack');
    assert.equal(packLabel({ source: 'user', name: 'my-prompts' }), 'user pack my-prompts');
    assert.equal(packLabel({ source: 'workspace', name: 'team' }), 'workspace pack team');
    assert.equal(packLabel({ source: 'workspace', name: 'workspace' }), 'workspace pack');
  });

  it('reads as what the command does, then where it comes from, without file names', () => {
    assert.equal(slashHint({ name: 'explain', title: 'Explain code', description: 'Explains what the selected code does and how.', source: 'built-in pack' }), 'Explains what the selected code does and how — built-in pack');
    assert.equal(slashHint({ name: 'x', title: 'Do X', description: '', source: 'user pack mine' }), 'Do X — user pack mine');
  });

  it('gives the built-in /explain a hint without "builtin pack builtin" or the template file', async () => {
    const catalog = await loadCatalog({ builtinDir: path.join(root, 'prompts'), trusted: false });
    const explain = catalog.bySlash('explain')!;
    const hint = slashHint({ name: 'explain', title: explain.meta.title, description: explain.meta.description, source: packLabel(explain.pack) });
    assert.equal(hint, 'Explains what the selected code does and how — built-in pack');
  });
});
