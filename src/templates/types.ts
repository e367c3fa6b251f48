/** The data model of prompt template packs. Plain values only: no editor types, no Handlebars types. */
import type { TokenCounter } from '../common/tokens';

export const TEMPLATE_KINDS = ['chat', 'command', 'system', 'fim', 'tool'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

/**
 * `code` is a string that holds source text (selection, file content, diff); `list` is an array of
 * flat records (used for the neighbouring files of repository-level fill-in-the-middle prompts).
 */
export const VARIABLE_TYPES = ['string', 'number', 'boolean', 'enum', 'code', 'list'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

export type ListItem = Readonly<Record<string, string | number | boolean>>;
export type VariableValue = string | number | boolean | readonly ListItem[];

export interface VariableSpec {
  readonly name: string;
  readonly type: VariableType;
  readonly required: boolean;
  readonly default?: VariableValue;
  readonly description: string;
  /** Allowed values of an `enum` variable. */
  readonly values?: readonly string[];
  /** Front-matter line of the declaration, for diagnostics raised at render time. */
  readonly line: number;
}

export interface TemplateParams {
  /** Sampling temperature, 0 to 2. */
  readonly temperature?: number;
  /** Upper bound of generated tokens. */
  readonly maxTokens?: number;
  /** Stop sequences, in addition to the model's own end-of-text token. */
  readonly stop?: readonly string[];
}

export interface TemplateMeta {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly version: string;
  readonly kind: TemplateKind;
  /** Slash-command name in chat (`/explain`), for kinds chat and command. */
  readonly slash?: string;
  /** Model family a `fim` template is written for (`qwen2.5-coder`, `starcoder2`...). */
  readonly family?: string;
  /** A `fim` template that takes neighbouring files (`files`) for repository-level context. */
  readonly repoLevel: boolean;
  readonly variables: readonly VariableSpec[];
  readonly params: TemplateParams;
  /** Language ids (`typescript`) or file globs (`**\/*.test.ts`); empty means every file. */
  readonly appliesTo: readonly string[];
  /** Line of each top-level front-matter key in the file, for diagnostics (lock file, duplicates). */
  readonly keyLines: Readonly<Record<string, number>>;
}

export type PackSource = 'builtin' | 'user' | 'workspace';

/** Precedence: a template from a later source overrides one with the same id from an earlier one. */
export const SOURCE_ORDER: readonly PackSource[] = ['builtin', 'user', 'workspace'];

export interface PackManifest {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** Semver range of Open AutoGLM versions the pack works with (`engines.autoglm` in pack.json). */
  readonly compatible?: string;
}

export interface PackInfo extends PackManifest {
  readonly dir: string;
  readonly source: PackSource;
}

export type Severity = 'error' | 'warning';

export interface TemplateDiagnostic {
  /** Absolute path of the file the problem is in. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  readonly severity: Severity;
  /** Stable identifier of the kind of problem (`unknown-helper`, `bad-yaml`...). */
  readonly code: string;
  readonly message: string;
}

/** The project's one counter type; callers that import it from here keep working. */
export type { TokenCounter };

export interface RenderOptions {
  readonly countTokens?: TokenCounter;
  /** Upper bound of the rendered text, in UTF-16 code units. Default DEFAULT_LIMITS.maxOutputChars. */
  readonly maxOutputChars?: number;
}

export interface RenderResult {
  readonly text: string;
  readonly templateId: string;
  readonly params: TemplateParams;
}

export interface LoadLimits {
  /** Largest template or partial file read, in bytes. */
  readonly maxFileBytes: number;
  /** Most template files read from one pack. */
  readonly maxTemplates: number;
  /** Deepest chain of partials including partials, checked at lint time and at render time. */
  readonly maxPartialDepth: number;
  /** Default upper bound of a rendered prompt, in UTF-16 code units. */
  readonly maxOutputChars: number;
}

export const DEFAULT_LIMITS: LoadLimits = {
  maxFileBytes: 256 * 1024,
  maxTemplates: 500,
  maxPartialDepth: 8,
  maxOutputChars: 2 * 1024 * 1024,
};
