import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import type { TokenCounting } from '../../common/tokens';
import type { LoadedTemplate } from '../../templates/pack';
import { bindVariables, offeredValues, type BindOptions, type EditorSources, type VariableQuestion } from '../../templates/variables';

export interface CollectOptions {
  readonly logger: Logger;
  /** The active model's counter, or the estimate until one is loaded. */
  readonly tokens: TokenCounting;
  /** Tokens of file content (and of an empty selection's stand-in) put in a prompt. Default 4000. */
  readonly fileContentTokens?: number;
}

interface GitRepository {
  readonly rootUri: vscode.Uri;
  diff(cached?: boolean): Promise<string>;
}

interface GitApi {
  readonly repositories: readonly GitRepository[];
  getRepository(uri: vscode.Uri): GitRepository | null;
}

interface GitExtension {
  getAPI(version: 1): GitApi;
}

/** The diff of the repository holding `uri`: staged changes, or the working tree's when nothing is staged. */
export async function gitDiff(uri: vscode.Uri | undefined, logger: Logger): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<GitExtension>('vscode.git');
  if (!extension) {
    logger.debug('No git extension: no diff for the template');
    return undefined;
  }
  try {
    const git = extension.isActive ? extension.exports : await extension.activate();
    const api = git.getAPI(1);
    const repo = (uri ? api.getRepository(uri) : null) ?? api.repositories[0];
    if (!repo) {
      logger.debug('No git repository: no diff for the template');
      return undefined;
    }
    const staged = await repo.diff(true);
    return staged.trim() !== '' ? staged : await repo.diff(false);
  } catch (err) {
    logger.warn('Reading the git diff failed', { error: err });
    return undefined;
  }
}

function formatDiagnostics(doc: vscode.TextDocument, range: vscode.Range | undefined): string {
  const severity = ['error', 'warning', 'info', 'hint'];
  return vscode.languages
    .getDiagnostics(doc.uri)
    .filter((d) => !range || range.intersection(d.range) !== undefined)
    .map((d) => `${vscode.workspace.asRelativePath(doc.uri)}:${d.range.start.line + 1}: ${severity[d.severity] ?? 'error'}: ${d.message.split('\n')[0]}`)
    .join('\n');
}

function declares(template: LoadedTemplate, name: string): boolean {
  return template.meta.variables.some((v) => v.name === name);
}

/** What the active editor holds: its selection, file, cursor and problems, the workspace and (when declared) the diff. */
export async function editorSources(template: LoadedTemplate, editor: vscode.TextEditor | undefined, logger: Logger): Promise<EditorSources> {
  const doc = editor?.document;
  const selection = editor?.selection;
  const diff = declares(template, 'diff') ? await gitDiff(doc?.uri, logger) : undefined;
  return {
    ...(vscode.workspace.name !== undefined ? { workspaceName: vscode.workspace.name } : {}),
    ...(diff !== undefined ? { diff } : {}),
    ...(doc && selection
      ? {
          selection: doc.getText(selection),
          fileText: doc.getText(),
          cursor: doc.offsetAt(selection.active),
          filePath: vscode.workspace.asRelativePath(doc.uri),
          language: doc.languageId,
          diagnostics: formatDiagnostics(doc, selection.isEmpty ? undefined : selection),
        }
      : {}),
  };
}

/** What the active editor supplies for the variables `template` declares, without asking. */
export async function editorValues(template: LoadedTemplate, editor: vscode.TextEditor | undefined, options: CollectOptions): Promise<Record<string, unknown>> {
  return offeredValues(template.meta, await editorSources(template, editor, options.logger), bindOptions(options));
}

function bindOptions(options: Pick<CollectOptions, 'tokens' | 'fileContentTokens'>, label?: string): BindOptions {
  return {
    count: options.tokens.count,
    ...(options.fileContentTokens !== undefined ? { fileContentTokens: options.fileContentTokens } : {}),
    ...(label !== undefined ? { label } : {}),
  };
}

/** Asks a question with a quick pick or a validated input box; undefined when the user cancels. */
export async function askInEditor(question: VariableQuestion): Promise<string | undefined> {
  switch (question.kind) {
    case 'pick':
      return vscode.window.showQuickPick([...question.choices], { title: question.title, placeHolder: question.placeholder, ignoreFocusOut: true });
    case 'text':
      return vscode.window.showInputBox({ title: question.title, prompt: question.prompt, ignoreFocusOut: true, validateInput: question.validate });
    default: {
      const never: never = question;
      throw new Error(`unhandled question ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Binds a template's variables from `sources`, asking in the editor for required ones still
 * missing. Undefined when the user cancels a question (an expected outcome, logged at debug).
 */
export async function bindInEditor(template: LoadedTemplate, sources: EditorSources, options: CollectOptions & { readonly label?: string }): Promise<Record<string, unknown> | undefined> {
  const values = await bindVariables(template.meta, sources, askInEditor, bindOptions(options, options.label));
  if (!values) {
    options.logger.debug('Template run cancelled at an input', { template: template.meta.id });
  }
  return values;
}

/** The variables for a run from the active editor; undefined when the user cancels an input. */
export async function collectVariables(template: LoadedTemplate, editor: vscode.TextEditor | undefined, options: CollectOptions): Promise<Record<string, unknown> | undefined> {
  return bindInEditor(template, await editorSources(template, editor, options.logger), options);
}
