import * as vscode from 'vscode';
import type { ContextItem } from '../chat/types';
import { silentLogger, type Logger } from '../common/logger';
import type { TokenCounting } from '../common/tokens';
import type { LoadedTemplate, TemplateCatalog } from '../templates';
import { packLabel } from '../templates/packLabel';
import { freeTextVariable, type EditorSources } from '../templates/variables';
import type { SlashCommandView } from '../protocol/webview';
import type { RenderedSlashCommand, SlashCommandSource } from './chatView';
import { bindInEditor, gitDiff } from './templates/editorVariables';

/** A selection chip's label ends with its line range (`a.ts:3-7`); the path is what comes before. */
const LINE_RANGE = /:\d+-\d+$/;

export interface SlashCommandOptions {
  /** Tokens of file content a prompt may carry. Default 4000. */
  readonly fileContentTokens?: number;
  /** Default: silent. */
  readonly logger?: Logger;
}

/** Variables that carry the code of the attached selection, or of the file where nothing is selected. */
const CODE_VARIABLES = ['selection', 'code'];
const FILE_VARIABLES = ['fileContent', 'prefix', 'suffix'];

/**
 * The attached items the template renders into its prompt (as `sources` binds them), so that the
 * chat does not send them a second time beside it.
 */
function renderedContext(template: LoadedTemplate, context: readonly ContextItem[]): string[] {
  const declared = new Set(template.meta.variables.map((v) => v.name));
  const selection = context.find((c) => c.kind === 'selection');
  const file = context.find((c) => c.kind === 'mention') ?? context.find((c) => c.kind === 'file');
  const problems = context.find((c) => c.kind === 'diagnostics');
  const wantsCode = CODE_VARIABLES.some((v) => declared.has(v));
  const used = [
    wantsCode ? (selection ?? file) : undefined,
    FILE_VARIABLES.some((v) => declared.has(v)) ? file : undefined,
    declared.has('diagnostics') ? problems : undefined,
  ];
  return [...new Set(used.filter((c): c is ContextItem => c !== undefined).map((c) => c.id))];
}

/**
 * Slash commands of the chat, from the loaded prompt packs: `/name text` renders the template with
 * the attached context (selection, file, problems) and the text, asking for whatever is missing.
 */
export class TemplateSlashCommands implements SlashCommandSource {
  constructor(
    private readonly catalog: () => TemplateCatalog | undefined,
    private readonly tokens: TokenCounting,
    private readonly fallbackFile: () => ContextItem | undefined,
    private readonly options: SlashCommandOptions = {},
  ) {}

  private get logger(): Logger {
    return this.options.logger ?? silentLogger;
  }

  list(): SlashCommandView[] {
    return (this.catalog()?.entries ?? [])
      .map((e) => e.template)
      .filter((t) => t.meta.slash !== undefined && (t.meta.kind === 'chat' || t.meta.kind === 'command'))
      .map((t) => ({ name: t.meta.slash!, title: t.meta.title, description: t.meta.description, source: packLabel(t.pack) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Undefined for an unknown command, and when the user cancels a question about a variable. */
  async render(name: string, input: string, context: readonly ContextItem[]): Promise<RenderedSlashCommand | undefined> {
    const template = this.catalog()?.bySlash(name);
    if (!template) {
      return undefined;
    }
    const values = await bindInEditor(template, await this.sources(template, input, context), {
      logger: this.logger,
      tokens: this.tokens,
      label: `/${name}`,
      ...(this.options.fileContentTokens !== undefined ? { fileContentTokens: this.options.fileContentTokens } : {}),
    });
    if (!values) {
      return undefined;
    }
    const rendered = template.render(values, { countTokens: this.tokens.count });
    const extra = freeTextVariable(template.meta) === undefined && input.trim() !== '' ? `\n\nAdditional request: ${input.trim()}` : '';
    return { prompt: rendered.text + extra, templateId: rendered.templateId, contextInPrompt: renderedContext(template, context) };
  }

  /** The attached context as binding sources: a selection chip wins for code, a file or mention gives the file. */
  private async sources(template: LoadedTemplate, input: string, context: readonly ContextItem[]): Promise<EditorSources> {
    const selection = context.find((c) => c.kind === 'selection');
    const file = context.find((c) => c.kind === 'mention') ?? context.find((c) => c.kind === 'file') ?? this.fallbackFile();
    const code = selection ?? file;
    const problems = context.find((c) => c.kind === 'diagnostics');
    const wantsDiff = template.meta.variables.some((v) => v.name === 'diff');
    const diff = wantsDiff ? await gitDiff(code?.path !== undefined ? vscode.Uri.file(code.path) : undefined, this.logger) : undefined;
    return {
      freeText: input,
      ...(selection ? { selection: selection.text } : {}),
      ...(file ? { fileText: file.text } : {}),
      ...(code ? { filePath: code.label.replace(LINE_RANGE, '') } : {}),
      ...(code?.languageId !== undefined ? { language: code.languageId } : {}),
      ...(problems ? { diagnostics: problems.text } : {}),
      ...(diff !== undefined ? { diff } : {}),
      ...(vscode.workspace.name !== undefined ? { workspaceName: vscode.workspace.name } : {}),
    };
  }
}
