import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage, TemplateError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { TokenCounting } from '../../common/tokens';
import { describeSource, workspacePackDir } from '../../templates/catalog';
import { ID_PATTERN } from '../../templates/frontMatter';
import { defaultLockPath, writeLock } from '../../templates/lock';
import { loadPack, type LoadedTemplate } from '../../templates/pack';
import { scaffoldManifest, scaffoldTemplate } from '../../templates/scaffold';
import type { TemplateKind, TemplateParams } from '../../templates/types';
import { collectVariables } from './editorVariables';
import type { TemplateHost } from './templateHost';

export const TEMPLATE_COMMANDS = {
  run: 'autoglm.templates.run',
  preview: 'autoglm.templates.preview',
  newTemplate: 'autoglm.templates.new',
  updateLock: 'autoglm.templates.updateLock',
} as const;

/** A rendered prompt handed to whoever consumes it (the chat, later). */
export interface RenderedPrompt {
  readonly templateId: string;
  readonly title: string;
  readonly kind: TemplateKind;
  readonly text: string;
  readonly params: TemplateParams;
  readonly tokenCount: number;
  /** True when `tokenCount` is a character-based estimate rather than the model's tokenizer. */
  readonly estimated: boolean;
  /** `workspace pack team (explain.hbs)`. */
  readonly source: string;
}

export interface TemplateCommandDeps {
  readonly logger: Logger;
  readonly host: TemplateHost;
  /** The active model's counter, or the estimate until one is loaded; prompts are measured with it. */
  readonly tokens: TokenCounting;
  /** Receives the prompt of "Run template..."; default opens it in an untitled editor. */
  readonly onPrompt?: (prompt: RenderedPrompt) => void | Thenable<void>;
  /** Tokens of file content a prompt may carry. Default 4000. */
  readonly fileContentTokens?: number;
}

/** Partials the scaffold refers to, copied from the built-in pack into a new workspace pack. */
const STANDARD_PARTIALS = ['role', 'task', 'output', 'constraints'];

interface TemplatePick extends vscode.QuickPickItem {
  readonly template: LoadedTemplate;
}

function applies(template: LoadedTemplate, doc: vscode.TextDocument | undefined): boolean {
  const patterns = template.meta.appliesTo;
  if (patterns.length === 0 || !doc) {
    return true;
  }
  return patterns.some((p) => p === doc.languageId || vscode.languages.match({ pattern: p }, doc) > 0);
}

async function pickTemplate(host: TemplateHost, kinds: readonly TemplateKind[], title: string): Promise<LoadedTemplate | undefined> {
  const catalog = host.catalog ?? (await host.ready);
  const doc = vscode.window.activeTextEditor?.document;
  const items: TemplatePick[] = catalog.entries
    .map((e) => e.template)
    .filter((t) => kinds.includes(t.meta.kind) && applies(t, doc))
    .map((t) => ({
      template: t,
      label: t.meta.title,
      description: t.meta.slash ? `/${t.meta.slash}` : t.meta.id,
      detail: `${t.meta.description ? `${t.meta.description} · ` : ''}${describeSource(t)} · v${t.meta.version}`,
    }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage('Open AutoGLM: no prompt template applies here.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'Choose a prompt template', matchOnDescription: true, matchOnDetail: true });
  return pick?.template;
}

/** Renders `template` with the editor's values; undefined when cancelled or refused (already reported). */
async function render(template: LoadedTemplate, deps: TemplateCommandDeps): Promise<RenderedPrompt | undefined> {
  const { tokens } = deps;
  const variables = await collectVariables(template, vscode.window.activeTextEditor, {
    logger: deps.logger,
    tokens,
    ...(deps.fileContentTokens !== undefined ? { fileContentTokens: deps.fileContentTokens } : {}),
  });
  if (!variables) {
    return undefined;
  }
  try {
    const result = template.render(variables, { countTokens: tokens.count });
    return {
      templateId: template.meta.id,
      title: template.meta.title,
      kind: template.meta.kind,
      text: result.text,
      params: result.params,
      tokenCount: tokens.count(result.text),
      estimated: !tokens.exact,
      source: describeSource(template),
    };
  } catch (err) {
    deps.logger.error('Rendering a prompt template failed', { template: template.meta.id, error: err });
    const message = err instanceof TemplateError ? err.message : `template '${template.meta.id}': ${errorMessage(err)}`;
    const open = await vscode.window.showErrorMessage(`Open AutoGLM: ${message}`, 'Open Template');
    if (open) {
      await vscode.window.showTextDocument(vscode.Uri.file(err instanceof TemplateError ? err.file : template.file));
    }
    return undefined;
  }
}

async function openUntitled(content: string, language: string): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ content, language });
  await vscode.window.showTextDocument(doc, { preview: true });
}

export async function openPromptInEditor(prompt: RenderedPrompt): Promise<void> {
  await openUntitled(prompt.text, prompt.kind === 'fim' ? 'plaintext' : 'markdown');
}

/** "N tokens" only when the model's tokenizer counted them; an estimate says so. */
function tokenLabel(prompt: Pick<RenderedPrompt, 'tokenCount' | 'estimated'>): string {
  return prompt.estimated ? `≈ ${prompt.tokenCount} tokens (estimated)` : `${prompt.tokenCount} tokens`;
}

async function targetFolder(host: TemplateHost): Promise<string | undefined> {
  const folders = host.workspaceFolders();
  if (folders.length <= 1) {
    return folders[0];
  }
  return vscode.window.showQuickPick([...folders], { title: 'Workspace folder for the prompt pack' });
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

/** Creates `<folder>/.autoglm/prompts/<id>.hbs` from the standard structure, with the pack around it if needed. */
export async function scaffoldInWorkspace(folder: string, builtinDir: string, id: string, title: string): Promise<string> {
  const packDir = workspacePackDir(folder);
  const file = path.join(packDir, `${id}.hbs`);
  if (await exists(file)) {
    throw new Error(`${file} already exists`);
  }
  await fs.mkdir(path.join(packDir, 'partials'), { recursive: true });
  const manifest = path.join(packDir, 'pack.json');
  if (!(await exists(manifest))) {
    const name = path.basename(folder).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'workspace';
    await fs.writeFile(manifest, scaffoldManifest(name), 'utf8');
  }
  for (const partial of STANDARD_PARTIALS) {
    const target = path.join(packDir, 'partials', `${partial}.hbs`);
    if (!(await exists(target))) {
      await fs.copyFile(path.join(builtinDir, 'partials', `${partial}.hbs`), target);
    }
  }
  await fs.writeFile(file, scaffoldTemplate(id, title), 'utf8');
  return file;
}

export function registerTemplateCommands(deps: TemplateCommandDeps): vscode.Disposable {
  const { host, logger } = deps;
  const onPrompt = deps.onPrompt ?? openPromptInEditor;

  const run = vscode.commands.registerCommand(TEMPLATE_COMMANDS.run, async (id?: unknown) => {
    const template = typeof id === 'string' ? host.catalog?.get(id) : await pickTemplate(host, ['command', 'chat'], 'Run template...');
    if (!template) {
      return;
    }
    const prompt = await render(template, deps);
    if (prompt) {
      logger.info('Template rendered', { template: prompt.templateId, tokens: prompt.tokenCount });
      await onPrompt(prompt);
    }
  });

  const preview = vscode.commands.registerCommand(TEMPLATE_COMMANDS.preview, async () => {
    const template = await pickTemplate(host, ['command', 'chat', 'system', 'fim'], 'Preview rendered prompt');
    if (!template) {
      return;
    }
    const prompt = await render(template, deps);
    if (!prompt) {
      return;
    }
    await openPromptInEditor(prompt);
    void vscode.window.showInformationMessage(`Open AutoGLM: "${prompt.title}" from ${prompt.source} renders to ${tokenLabel(prompt)}.`);
  });

  const create = vscode.commands.registerCommand(TEMPLATE_COMMANDS.newTemplate, async () => {
    const folder = await targetFolder(host);
    if (!folder) {
      void vscode.window.showInformationMessage('Open AutoGLM: open a folder first; new templates go to its .autoglm/prompts pack.');
      return;
    }
    const id = await vscode.window.showInputBox({
      title: 'New template: id',
      prompt: 'Lower-case id, e.g. "api-review". A template with the id of a built-in one overrides it.',
      ignoreFocusOut: true,
      validateInput: (value) => (ID_PATTERN.test(value) ? undefined : 'Use lower-case letters, digits, dots, dashes and underscores'),
    });
    if (!id) {
      return;
    }
    const title = await vscode.window.showInputBox({ title: 'New template: title', value: id, ignoreFocusOut: true });
    if (title === undefined) {
      return;
    }
    try {
      const file = await scaffoldInWorkspace(folder, host.builtinDir, id, title || id);
      await vscode.window.showTextDocument(vscode.Uri.file(file));
      await host.reload();
      if (!host.trust.isTrusted) {
        void vscode.window.showInformationMessage('Open AutoGLM: the template was created, but workspace prompt packs load only once the workspace is trusted.');
      }
    } catch (err) {
      logger.error('Creating a template failed', { error: err });
      void vscode.window.showErrorMessage(`Open AutoGLM: could not create the template: ${errorMessage(err)}`);
    }
  });

  const updateLock = vscode.commands.registerCommand(TEMPLATE_COMMANDS.updateLock, async () => {
    if (!host.trust.isTrusted) {
      void vscode.window.showInformationMessage('Open AutoGLM: workspace prompt packs are not loaded in an untrusted workspace, so their lock file cannot be updated.');
      return;
    }
    const written: string[] = [];
    for (const folder of host.workspaceFolders()) {
      const packDir = workspacePackDir(folder);
      if (!(await exists(path.join(packDir, 'pack.json')))) {
        continue;
      }
      const pack = await loadPack(packDir, 'workspace');
      const errors = pack.diagnostics.filter((d) => d.severity === 'error');
      if (errors.length > 0) {
        void vscode.window.showErrorMessage(`Open AutoGLM: ${packDir} has ${errors.length} template error(s); fix them (see Problems) before updating the lock file.`);
        continue;
      }
      const lockFile = defaultLockPath(packDir);
      await writeLock(lockFile, pack);
      written.push(vscode.workspace.asRelativePath(lockFile));
    }
    void vscode.window.showInformationMessage(
      written.length > 0 ? `Open AutoGLM: updated ${written.join(', ')}.` : 'Open AutoGLM: no workspace prompt pack (.autoglm/prompts/pack.json) to lock.',
    );
  });

  return vscode.Disposable.from(run, preview, create, updateLock);
}
