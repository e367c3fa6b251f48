import { TemplateError } from '../common/errors';
import type { TokenCounter } from '../common/tokens';
import { checkValue } from './frontMatter';
import { truncateToTokens } from './helpers';
import type { ListItem, TemplateMeta, VariableSpec } from './types';

function has(input: Readonly<Record<string, unknown>>, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(input, name) && input[name] !== undefined && input[name] !== null;
}

/** Required variables the input lacks, in declaration order: what the host asks the user for. */
export function missingVariables(meta: TemplateMeta, input: Readonly<Record<string, unknown>>): VariableSpec[] {
  return meta.variables.filter((v) => v.required && !has(input, v.name));
}

/**
 * The render context: declared variables only, checked against their types, defaults filled in.
 * Values are copied into fresh plain objects so that nothing the caller passed (getters, class
 * instances, prototypes) reaches the template.
 */
export function resolveVariables(meta: TemplateMeta, file: string, input: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const missing = missingVariables(meta, input);
  if (missing.length > 0) {
    const first = missing[0]!;
    const names = missing.map((v) => `'${v.name}'`).join(', ');
    throw new TemplateError(
      file,
      first.line,
      `missing required variable${missing.length > 1 ? 's' : ''} ${names} of template '${meta.id}'${first.description ? ` (${first.description})` : ''}`,
      'missing-variable',
    );
  }
  const context: Record<string, unknown> = {};
  for (const spec of meta.variables) {
    if (!has(input, spec.name)) {
      if (spec.default !== undefined) {
        context[spec.name] = copy(spec.default);
      }
      continue;
    }
    const value = input[spec.name];
    const problem = checkValue(spec, value);
    if (problem) {
      throw new TemplateError(file, spec.line, `variable '${spec.name}' of template '${meta.id}' has the wrong type: ${problem}`, 'variable-type');
    }
    context[spec.name] = copy(value);
  }
  return context;
}

function copy(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map((item: ListItem) => Object.fromEntries(Object.entries(item)));
  }
  return value;
}

/** Converts text typed by the user (input box, command line) to the variable's type. */
export function coerceVariable(spec: VariableSpec, text: string): { value: unknown } | { error: string } {
  switch (spec.type) {
    case 'string':
    case 'code':
      return { value: text };
    case 'number': {
      const n = Number(text.trim());
      return text.trim() !== '' && Number.isFinite(n) ? { value: n } : { error: `'${text}' is not a number` };
    }
    case 'boolean': {
      const t = text.trim().toLowerCase();
      if (t === 'true' || t === 'yes' || t === '1') {
        return { value: true };
      }
      if (t === 'false' || t === 'no' || t === '0') {
        return { value: false };
      }
      return { error: `'${text}' is not true or false` };
    }
    case 'enum':
      return (spec.values ?? []).includes(text) ? { value: text } : { error: `'${text}' is not one of ${(spec.values ?? []).join(', ')}` };
    case 'list':
      try {
        const value: unknown = JSON.parse(text);
        const problem = checkValue(spec, value);
        return problem ? { error: problem } : { value };
      } catch {
        return { error: 'expected a JSON list' };
      }
    default: {
      const never: never = spec.type;
      throw new Error(`unhandled variable type ${String(never)}`);
    }
  }
}

/** What the editor holds when a template runs; each field feeds the variables of that meaning. */
export interface EditorSources {
  /** The selected text; undefined or empty when nothing is selected. */
  readonly selection?: string;
  /** Text of the file in view (or attached); cut to the budget, it stands in for an empty selection. */
  readonly fileText?: string;
  /** Offset of the cursor in `fileText`, for `prefix` and `suffix`. */
  readonly cursor?: number;
  readonly filePath?: string;
  readonly language?: string;
  /** The editor's problems, one per line. */
  readonly diagnostics?: string;
  /** The repository's diff; read only when the template declares `diff`. */
  readonly diff?: string;
  readonly workspaceName?: string;
  /** What the user typed after a chat slash command; it fills the template's free-text variable. */
  readonly freeText?: string;
}

export interface BindOptions {
  /** The active model's counter (or the estimate) the budgets are measured with. */
  readonly count: TokenCounter;
  /** Tokens of file content (and of the file standing in for an empty selection) a prompt may carry. Default 4000. */
  readonly fileContentTokens?: number;
  /** Names the run in the questions asked; default the template's title (chat passes `/name`). */
  readonly label?: string;
}

/** A question about one variable: a pick among fixed choices, or free text checked as it is typed. */
export type VariableQuestion =
  | { readonly kind: 'pick'; readonly variable: VariableSpec; readonly title: string; readonly placeholder: string; readonly choices: readonly string[] }
  | { readonly kind: 'text'; readonly variable: VariableSpec; readonly title: string; readonly prompt: string; readonly validate: (text: string) => string | undefined };

/** Puts one question to the user; undefined when they cancel. */
export type AskUser = (question: VariableQuestion) => Promise<string | undefined>;

export const DEFAULT_FILE_CONTENT_TOKENS = 4000;

/** Names a template may use for what the user typed after a slash command, in order of preference. */
const FREE_TEXT_VARIABLES = ['input', 'instructions', 'question', 'request'];

/** The variable that takes the text typed after a slash command, if the template declares one. */
export function freeTextVariable(meta: TemplateMeta): string | undefined {
  return FREE_TEXT_VARIABLES.find((name) => meta.variables.some((v) => v.name === name));
}

/** The suffix gets a quarter of the budget: the model needs less of what follows the cursor. */
const SUFFIX_SHARE = 4;

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}

/**
 * How each variable the sources can fill is computed, by name; the file-sized ones are cut to the
 * budget in tokens. Lazy, because cutting to a budget runs the tokenizer several times over the file.
 */
function sourceValues(sources: EditorSources, options: BindOptions): ReadonlyMap<string, () => unknown> {
  const budget = options.fileContentTokens ?? DEFAULT_FILE_CONTENT_TOKENS;
  const cut = (text: string | undefined, tokens: number, keep: 'start' | 'end'): string | undefined => (text === undefined ? undefined : truncateToTokens(text, tokens, keep, options.count));
  const fileContent = (): string | undefined => nonEmpty(cut(sources.fileText, budget, 'start'));
  const code = (): string | undefined => nonEmpty(sources.selection) ?? fileContent();
  const { fileText, cursor } = sources;
  return new Map<string, () => unknown>([
    ['selection', code],
    ['code', code],
    ['fileContent', fileContent],
    ['filePath', () => nonEmpty(sources.filePath)],
    ['language', () => nonEmpty(sources.language)],
    ['diagnostics', () => nonEmpty(sources.diagnostics)],
    ['diff', () => (sources.diff !== undefined && sources.diff.trim() !== '' ? sources.diff : undefined)],
    ['workspaceName', () => nonEmpty(sources.workspaceName)],
    ['repoName', () => nonEmpty(sources.workspaceName) ?? 'workspace'],
    // Empty text before or after the cursor is a value (the cursor is at an end of the file), not a gap.
    ['prefix', () => (fileText !== undefined && cursor !== undefined ? cut(fileText.slice(0, cursor), budget, 'end') : undefined)],
    ['suffix', () => (fileText !== undefined && cursor !== undefined ? cut(fileText.slice(cursor), Math.floor(budget / SUFFIX_SHARE), 'start') : undefined)],
  ]);
}

/** What the sources supply for the variables `meta` declares, without asking anything. */
export function offeredValues(meta: TemplateMeta, sources: EditorSources, options: BindOptions): Record<string, unknown> {
  const offered = new Map(sourceValues(sources, options));
  const freeText = freeTextVariable(meta);
  if (freeText !== undefined) {
    offered.set(freeText, () => nonEmpty(sources.freeText?.trim()));
  }
  const values: Record<string, unknown> = {};
  for (const spec of meta.variables) {
    const value = offered.get(spec.name)?.();
    if (value !== undefined) {
      values[spec.name] = value;
    }
  }
  return values;
}

/** The question for `spec`: a pick for enums and booleans, an input box (validated) otherwise. */
export function questionFor(spec: VariableSpec, label: string): VariableQuestion {
  const title = `${label}: ${spec.name}`;
  if (spec.type === 'enum' || spec.type === 'boolean') {
    const choices = spec.type === 'enum' ? [...(spec.values ?? [])] : ['true', 'false'];
    return { kind: 'pick', variable: spec, title, placeholder: spec.description || spec.name, choices };
  }
  return {
    kind: 'text',
    variable: spec,
    title,
    prompt: spec.description || `Value of ${spec.name} (${spec.type})`,
    validate: (text) => {
      const result = coerceVariable(spec, text);
      return 'error' in result ? result.error : undefined;
    },
  };
}

/**
 * The input of a template run: what the sources supply, then an answer from `ask` for each
 * required variable still missing (defaults are filled in at render time). Undefined when the
 * user cancels a question, an expected outcome; an answer that is not of the variable's type
 * (only an `ask` that skips validation gives one) ends the run the same way.
 */
export async function bindVariables(meta: TemplateMeta, sources: EditorSources, ask: AskUser, options: BindOptions): Promise<Record<string, unknown> | undefined> {
  const values = offeredValues(meta, sources, options);
  for (const spec of missingVariables(meta, values)) {
    const answer = await ask(questionFor(spec, options.label ?? meta.title));
    const coerced = answer === undefined ? undefined : coerceVariable(spec, answer);
    if (coerced === undefined || 'error' in coerced) {
      return undefined;
    }
    values[spec.name] = coerced.value;
  }
  return values;
}
