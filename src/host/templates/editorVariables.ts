import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { estimateTokens, truncateToTokens } from '../../templates/helpers';
import type { LoadedTemplate } from '../../templates/pack';
import type { TokenCounter, VariableSpec } from '../../templates/types';
import { coerceVariable, missingVariables } from '../../templates/variables';

/**
 * Values the editor can supply, by variable name. A template declares what it uses; the host fills
 * the names it knows and asks the user for required ones it does not.
 */
export const EDITOR_VARIABLES = [
  'selection',
  'filePath',
  'language',
  'fileContent',
  'diagnostics',
  'diff',
  'workspaceName',
  'prefix',
  'suffix',
  'repoName',
] as const;

export interface CollectOptions {
  readonly logger: Logger;
  readonly countTokens: TokenCounter | undefined;
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

/** What the active editor supplies for the variables `template` declares. */
export async function editorValues(template: LoadedTemplate, editor: vscode.TextEditor | undefined, options: CollectOptions): Promise<Record<string, unknown>> {
  const wanted = new Set(template.meta.variables.map((v) => v.name));
  const values: Record<string, unknown> = {};
  const count = options.countTokens ?? estimateTokens;
  const budget = options.fileContentTokens ?? 4000;
  if (wanted.has('workspaceName') && vscode.workspace.name) {
    values['workspaceName'] = vscode.workspace.name;
  }
  if (wanted.has('repoName')) {
    values['repoName'] = vscode.workspace.name ?? 'workspace';
  }
  if (editor) {
    const doc = editor.document;
    const selection = editor.selection;
    const whole = doc.getText();
    if (wanted.has('selection')) {
      // An empty selection stands for the whole file, cut to the budget.
      values['selection'] = selection.isEmpty ? truncateToTokens(whole, budget, 'start', count) : doc.getText(selection);
    }
    if (wanted.has('filePath')) {
      values['filePath'] = vscode.workspace.asRelativePath(doc.uri);
    }
    if (wanted.has('language')) {
      values['language'] = doc.languageId;
    }
    if (wanted.has('fileContent')) {
      values['fileContent'] = truncateToTokens(whole, budget, 'start', count);
    }
    if (wanted.has('diagnostics')) {
      const text = formatDiagnostics(doc, selection.isEmpty ? undefined : selection);
      if (text !== '') {
        values['diagnostics'] = text;
      }
    }
    const offset = doc.offsetAt(selection.active);
    if (wanted.has('prefix')) {
      values['prefix'] = truncateToTokens(whole.slice(0, offset), budget, 'end', count);
    }
    if (wanted.has('suffix')) {
      values['suffix'] = truncateToTokens(whole.slice(offset), Math.floor(budget / 4), 'start', count);
    }
  }
  if (wanted.has('diff')) {
    const diff = await gitDiff(editor?.document.uri, options.logger);
    if (diff !== undefined && diff.trim() !== '') {
      values['diff'] = diff;
    }
  }
  return values;
}

/** Asks for one variable: a pick for enums and booleans, an input box (validated) otherwise. */
async function ask(spec: VariableSpec, templateTitle: string): Promise<unknown> {
  const title = `${templateTitle}: ${spec.name}`;
  if (spec.type === 'enum' || spec.type === 'boolean') {
    const items = spec.type === 'enum' ? [...(spec.values ?? [])] : ['true', 'false'];
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: spec.description || spec.name, ignoreFocusOut: true });
    return pick === undefined ? undefined : spec.type === 'boolean' ? pick === 'true' : pick;
  }
  const text = await vscode.window.showInputBox({
    title,
    prompt: spec.description || `Value of ${spec.name} (${spec.type})`,
    ignoreFocusOut: true,
    validateInput: (value) => {
      const result = coerceVariable(spec, value);
      return 'error' in result ? result.error : undefined;
    },
  });
  if (text === undefined) {
    return undefined;
  }
  const result = coerceVariable(spec, text);
  return 'value' in result ? result.value : undefined;
}

/**
 * The variables for a run: what the editor supplies, then an input for each required one still
 * missing. Undefined when the user cancels an input (an expected outcome, not an error).
 */
export async function collectVariables(template: LoadedTemplate, editor: vscode.TextEditor | undefined, options: CollectOptions): Promise<Record<string, unknown> | undefined> {
  const values = await editorValues(template, editor, options);
  for (const spec of missingVariables(template.meta, values)) {
    const value = await ask(spec, template.meta.title);
    if (value === undefined) {
      options.logger.debug('Template run cancelled at an input', { template: template.meta.id, variable: spec.name });
      return undefined;
    }
    values[spec.name] = value;
  }
  return values;
}
