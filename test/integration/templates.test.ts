import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { silentLogger } from '../../src/common/logger';
import { estimateTokens } from '../../src/common/tokens';
import { editorValues } from '../../src/host/templates/editorVariables';
import { registerTemplateCommands, scaffoldInWorkspace, TEMPLATE_COMMANDS } from '../../src/host/templates/templateCommands';
import { TemplateHost, type WorkspaceTrust } from '../../src/host/templates/templateHost';
import type { TemplateCatalog } from '../../src/templates/catalog';

const estimated = { count: estimateTokens, exact: false };

const EXTENSION_ID = 'open-autoglm.open-autoglm';

class FakeTrust implements WorkspaceTrust {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidGrantWorkspaceTrust = this.emitter.event;
  constructor(public isTrusted: boolean) {}
  grant(): void {
    this.isTrusted = true;
    this.emitter.fire();
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

function nextChange(host: TemplateHost, check: (c: TemplateCatalog) => boolean, timeoutMs = 15_000): Promise<TemplateCatalog> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error('timed out waiting for the template catalog to reload'));
    }, timeoutMs);
    const sub = host.onDidChange((catalog) => {
      if (check(catalog)) {
        clearTimeout(timer);
        sub.dispose();
        resolve(catalog);
      }
    });
  });
}

describe('prompt templates in a real VS Code', () => {
  let root: string;
  let extensionPath: string;
  let workspace: string;
  let userPack: string;
  let teamPack: string;
  const hosts: TemplateHost[] = [];

  const start = (trust: WorkspaceTrust): TemplateHost => {
    const host = new TemplateHost({ logger: silentLogger, extensionPath, userPackFolders: [userPack], trust, workspaceFolders: () => [workspace], reloadDelayMs: 50 });
    hosts.push(host);
    return host;
  };

  before(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    extensionPath = ext.extensionPath;
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-templates-it-'));
    await fs.cp(path.join(extensionPath, 'test/fixtures/templates/sources'), root, { recursive: true });
    workspace = path.join(root, 'workspace');
    userPack = path.join(root, 'user-pack');
    teamPack = path.join(workspace, '.autoglm', 'prompts');
  });

  afterEach(() => {
    for (const host of hosts.splice(0)) {
      host.dispose();
    }
  });

  after(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('orders sources built-in < user < workspace in a trusted workspace', async () => {
    const host = start(new FakeTrust(true));
    const catalog = await host.ready;
    const explain = catalog.entries.find((e) => e.template.meta.id === 'explain');
    assert.ok(explain);
    assert.equal(explain.template.pack.source, 'workspace');
    assert.deepEqual(explain.overrides.map((t) => t.pack.source), ['builtin', 'user']);
    assert.equal(catalog.get('user-only')?.pack.source, 'user');
    assert.equal(catalog.get('commit-message')?.pack.source, 'builtin');
    assert.equal(catalog.workspaceSkipped, undefined);
  });

  it('shows an invalid workspace template in the Problems panel with its line, and keeps the rest', async () => {
    const host = start(new FakeTrust(true));
    const catalog = await host.ready;
    const problems = vscode.languages.getDiagnostics(vscode.Uri.file(path.join(teamPack, 'broken.hbs')));
    assert.deepEqual(
      problems.map((d) => [d.range.start.line + 1, d.severity, d.message, d.source]),
      [[7, vscode.DiagnosticSeverity.Error, "unclosed block '{{#if}}': add '{{/if}}'", 'Open AutoGLM templates']],
    );
    assert.equal(catalog.get('broken'), undefined);
    assert.equal(catalog.get('team-review')?.pack.source, 'workspace');
  });

  it('loads no workspace pack in an untrusted workspace, then loads it once trust is granted', async () => {
    const trust = new FakeTrust(false);
    const host = start(trust);
    const untrusted = await host.ready;
    assert.ok(untrusted.workspaceSkipped, 'says why workspace packs were skipped');
    assert.match(untrusted.workspaceSkipped.reason, /not trusted/);
    assert.equal(untrusted.get('explain')?.pack.source, 'user');
    assert.equal(untrusted.get('team-review'), undefined);
    assert.deepEqual(vscode.languages.getDiagnostics(vscode.Uri.file(path.join(teamPack, 'broken.hbs'))), [], 'nothing of the workspace pack is parsed');

    const reloaded = nextChange(host, (c) => c.get('team-review') !== undefined);
    trust.grant();
    const trusted = await reloaded;
    assert.equal(trusted.get('explain')?.pack.source, 'workspace');
    assert.equal(trusted.workspaceSkipped, undefined);
    trust.dispose();
  });

  it('reloads when a template file changes on disk', async () => {
    const host = start(new FakeTrust(true));
    await host.ready;
    const file = path.join(teamPack, 'live.hbs');
    const changed = nextChange(host, (c) => c.get('live') !== undefined);
    await fs.writeFile(file, '---\nid: live\ntitle: Live\nversion: 1.0.0\nkind: chat\n---\nlive\n');
    const catalog = await changed;
    assert.equal(catalog.get('live')?.pack.source, 'workspace');
    const fixed = nextChange(host, (c) => vscode.languages.getDiagnostics(vscode.Uri.file(file)).length === 1 && c.get('live') === undefined);
    await fs.writeFile(file, '---\nid: live\ntitle: Live\nversion: 1.0.0\nkind: chat\n---\n{{shout 1}}\n');
    await fixed;
    const [problem] = vscode.languages.getDiagnostics(vscode.Uri.file(file));
    assert.equal(problem?.range.start.line, 6);
    assert.match(problem?.message ?? '', /^unknown helper 'shout'/);
    await fs.rm(file);
  });

  it('renders a template with values typed for its variables', async () => {
    const host = start(new FakeTrust(true));
    const catalog = await host.ready;
    const text = catalog.get('fim.codestral')?.render({ prefix: 'a', suffix: 'b' }).text;
    assert.equal(text, '[SUFFIX]b[PREFIX]a');
  });

  it('supplies selection, file path, language and problems from the active editor', async () => {
    const host = start(new FakeTrust(true));
    const catalog = await host.ready;
    const doc = await vscode.workspace.openTextDocument({ language: 'python', content: 'def mean(xs):\n    return sum(xs) / len(xs)\n' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(1, 4, 1, 28);
    const problems = vscode.languages.createDiagnosticCollection('templates-test');
    problems.set(doc.uri, [
      new vscode.Diagnostic(new vscode.Range(1, 11, 1, 28), 'division by zero when xs is empty', vscode.DiagnosticSeverity.Warning),
      new vscode.Diagnostic(new vscode.Range(0, 0, 0, 3), 'outside the selection', vscode.DiagnosticSeverity.Error),
    ]);
    const fix = catalog.get('fix')!;
    const values = await editorValues(fix, editor, { logger: silentLogger, tokens: estimated });
    assert.equal(values['selection'], 'return sum(xs) / len(xs)');
    assert.equal(values['language'], 'python');
    assert.equal(typeof values['filePath'], 'string');
    assert.equal(values['diagnostics'], `${vscode.workspace.asRelativePath(doc.uri)}:2: warning: division by zero when xs is empty`);
    problems.dispose();
    const text = fix.render(values).text;
    assert.ok(text.includes('Problems reported by the editor:\n- '), text);
    assert.ok(text.includes('```python\nreturn sum(xs) / len(xs)\n```'), text);
    const fim = await editorValues(catalog.get('fim.qwen2.5-coder')!, editor, { logger: silentLogger, tokens: estimated });
    assert.equal(fim['prefix'], 'def mean(xs):\n    return sum(xs) / len(xs)');
    assert.equal(fim['suffix'], '\n');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('scaffolds a new template from the standard structure into the workspace pack', async () => {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-new-template-'));
    try {
      const builtinDir = path.join(extensionPath, 'prompts');
      const file = await scaffoldInWorkspace(folder, builtinDir, 'api-review', 'API review');
      assert.equal(file, path.join(folder, '.autoglm', 'prompts', 'api-review.hbs'));
      const host = new TemplateHost({ logger: silentLogger, extensionPath, userPackFolders: [], trust: new FakeTrust(true), workspaceFolders: () => [folder] });
      hosts.push(host);
      const catalog = await host.ready;
      assert.deepEqual(catalog.diagnostics, []);
      const created = catalog.get('api-review');
      assert.equal(created?.pack.source, 'workspace');
      const text = created!.render({ selection: 'x' }).text;
      for (const heading of ['# Role', '# Task', '# Output requirements', '# Constraints']) {
        assert.ok(text.includes(heading), heading);
      }
      await assert.rejects(scaffoldInWorkspace(folder, builtinDir, 'api-review', 'again'), /already exists/);
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  });

  it('runs a template by id and opens the rendered prompt', async () => {
    const registered = (await vscode.commands.getCommands(true)).includes(TEMPLATE_COMMANDS.run);
    let commands: vscode.Disposable | undefined;
    if (!registered) {
      // Built-in pack only, as in a workspace without packs.
      const host = new TemplateHost({ logger: silentLogger, extensionPath, userPackFolders: [], trust: new FakeTrust(true), workspaceFolders: () => [] });
      hosts.push(host);
      commands = registerTemplateCommands({ logger: silentLogger, host, tokens: estimated });
      await host.ready;
    }
    try {
      const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: 'export const answer = 42;\n' });
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(0, 0, 0, 25);
      await vscode.commands.executeCommand(TEMPLATE_COMMANDS.run, 'explain');
      const shown = vscode.window.activeTextEditor?.document;
      assert.ok(shown && shown !== doc, 'the prompt opened in a new editor');
      assert.equal(shown.isUntitled, true);
      assert.ok(shown.getText().startsWith('# Role\n'), shown.getText());
      assert.ok(shown.getText().includes('```typescript\nexport const answer = 42;\n```'));
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    } finally {
      commands?.dispose();
    }
  });
});
