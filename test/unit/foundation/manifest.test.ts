import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Setting {
  type: string;
  default?: unknown;
  description?: string;
  markdownDescription?: string;
  minimum?: number;
  maximum?: number;
  enum?: string[];
}

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

describe('package.json manifest', () => {
  it('names the extension and targets VS Code 1.100', () => {
    assert.equal(pkg.name, 'open-autoglm');
    assert.equal(pkg.displayName, 'Open AutoGLM');
    assert.equal(pkg.engines.vscode, '^1.100.0');
    assert.equal(pkg.devDependencies['@types/vscode'], '1.100.0');
  });

  it('activates on startup-finished or contributions, never on *', () => {
    assert.ok(!pkg.activationEvents.includes('*'));
    assert.deepEqual(pkg.activationEvents, ['onStartupFinished']);
  });

  it('points main and the autoglm bin at the esbuild bundles', () => {
    assert.equal(pkg.main, './dist/extension.js');
    assert.equal(pkg.bin.autoglm, './dist/cli.js');
  });

  it('contributes an activity-bar container holding the chat webview', () => {
    const container = pkg.contributes.viewsContainers.activitybar.find((c: { id: string }) => c.id === 'autoglm');
    assert.ok(container, 'activity-bar container autoglm');
    assert.ok(fs.existsSync(path.join(root, container.icon)), container.icon);
    const views = pkg.contributes.views.autoglm as { id: string; type: string }[];
    assert.ok(views.some((v) => v.id === 'autoglm.chatView' && v.type === 'webview'));
  });

  it('keeps every command under autoglm.* with the Open AutoGLM category', () => {
    for (const c of pkg.contributes.commands as { command: string; category: string; title: string }[]) {
      assert.match(c.command, /^autoglm\./, c.command);
      assert.equal(c.category, 'Open AutoGLM', c.command);
      assert.ok(c.title.length > 0, c.command);
    }
  });

  it('documents every setting: description naming the default, a default, units and bounds for numbers', () => {
    const properties = Object.entries(pkg.contributes.configuration.properties as Record<string, Setting>);
    assert.ok(properties.length > 0);
    for (const [key, s] of properties) {
      assert.match(key, /^autoglm\./, key);
      assert.ok('default' in s, `${key} has a default`);
      const text = s.markdownDescription ?? s.description ?? '';
      assert.match(text, /Default/, `${key} names its default in its description`);
      if (s.type === 'number' || s.type === 'integer') {
        assert.equal(typeof s.minimum, 'number', `${key} minimum`);
        assert.equal(typeof s.maximum, 'number', `${key} maximum`);
        assert.match(text, /unit:|\(unit/i, `${key} names its unit`);
        assert.ok((s.default as number) >= s.minimum! && (s.default as number) <= s.maximum!, `${key} default within bounds`);
      }
      if (s.enum) {
        assert.ok(s.enum.includes(s.default as string), `${key} default is one of its values`);
      }
    }
  });

  it('keeps machine scope for paths on the machine the extension runs on, and says where a remote window sets them', () => {
    const properties = Object.entries(pkg.contributes.configuration.properties as Record<string, Setting & { scope?: string }>);
    const machineScoped = properties.filter(([, s]) => s.scope === 'machine' || s.scope === 'machine-overridable').map(([key]) => key);
    // Anything else must show under Settings > User in a remote or browser window.
    assert.deepEqual(machineScoped.sort(), ['autoglm.model.path', 'autoglm.models.folder', 'autoglm.templates.userPacks']);
    for (const key of machineScoped) {
      const s = pkg.contributes.configuration.properties[key] as Setting;
      assert.match(s.markdownDescription ?? s.description ?? '', /Settings > Remote/, `${key} says where to find it in a remote window`);
    }
  });

  it('pins every dependency to an exact version', () => {
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      assert.match(String(version), /^\d+\.\d+\.\d+$/, name);
    }
  });

  it('lists every setting in the README settings table', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const missing = Object.keys(pkg.contributes.configuration.properties).filter((key) => !readme.includes(`| \`${key}\` |`));
    assert.deepEqual(missing, []);
  });
});
