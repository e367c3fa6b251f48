import * as vscode from 'vscode';
import type { ContextItem } from '../chat/types';
import { coerceVariable, describeSource, missingVariables, type TemplateCatalog, type TokenCounter } from '../templates';
import type { SlashCommandView } from '../protocol/webview';
import type { SlashCommandSource } from './chatView';

/** Names a template may use for what the user typed after the command. */
const FREE_TEXT_VARIABLES = ['input', 'instructions', 'question', 'request'];

/**
 * Slash commands of the chat, from the loaded prompt packs: `/name text` renders the template with
 * the attached context (selection, file, problems) and the text, asking for whatever is missing.
 */
export class TemplateSlashCommands implements SlashCommandSource {
  constructor(
    private readonly catalog: () => TemplateCatalog | undefined,
    private readonly countTokens: TokenCounter,
    private readonly fallbackFile: () => ContextItem | undefined,
  ) {}

  list(): SlashCommandView[] {
    return (this.catalog()?.entries ?? [])
      .map((e) => e.template)
      .filter((t) => t.meta.slash !== undefined && (t.meta.kind === 'chat' || t.meta.kind === 'command'))
      .map((t) => ({ name: t.meta.slash!, title: t.meta.title, description: t.meta.description, source: describeSource(t) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async render(name: string, input: string, context: readonly ContextItem[]): Promise<{ prompt: string; templateId: string } | undefined> {
    const template = this.catalog()?.bySlash(name);
    if (!template) {
      return undefined;
    }
    const declared = new Set(template.meta.variables.map((v) => v.name));
    const code = context.find((c) => c.kind === 'selection') ?? context.find((c) => c.kind === 'mention') ?? context.find((c) => c.kind === 'file') ?? this.fallbackFile();
    const problems = context.find((c) => c.kind === 'diagnostics');
    const values: Record<string, unknown> = {};
    const offer = (variable: string, value: unknown): void => {
      if (declared.has(variable) && value !== undefined && value !== '') {
        values[variable] = value;
      }
    };
    offer('selection', code?.text);
    offer('code', code?.text);
    offer('language', code?.languageId);
    offer('filePath', code?.label.replace(/:\d+-\d+$/, ''));
    offer('diagnostics', problems?.text);
    const freeText = FREE_TEXT_VARIABLES.find((v) => declared.has(v));
    if (freeText) {
      offer(freeText, input.trim());
    }
    for (const spec of missingVariables(template.meta, values)) {
      const typed = await vscode.window.showInputBox({
        title: `/${name}: ${spec.name}`,
        prompt: spec.description || `Value of ${spec.name} (${spec.type})`,
        ignoreFocusOut: true,
        validateInput: (text) => {
          const r = coerceVariable(spec, text);
          return 'error' in r ? r.error : undefined;
        },
      });
      if (typed === undefined) {
        throw new Error(`/${name} needs ${spec.name}: ${spec.description || spec.type}. Select code or attach a file, or type a value when asked.`);
      }
      const r = coerceVariable(spec, typed);
      if ('value' in r) {
        values[spec.name] = r.value;
      }
    }
    const rendered = template.render(values, { countTokens: this.countTokens });
    const extra = !freeText && input.trim() !== '' ? `\n\nAdditional request: ${input.trim()}` : '';
    return { prompt: rendered.text + extra, templateId: rendered.templateId };
  }
}
