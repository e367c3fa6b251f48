import { commentLine } from './commentSyntax';
import { type Snippet } from './snippets';

export interface FimRenderContext {
  filePath: string;
  languageId: string;
  snippets: readonly Pick<Snippet, 'path' | 'text'>[];
  /** Shown in repository-level formats; default: the first folder of the file path, or 'workspace'. */
  repoName?: string;
}

/** How a family was trained, beside its format: the pipeline shapes the prompt by these. */
export interface FimTraits {
  /** False when the family was trained without cross-file context; the pipeline then sends none. */
  readonly snippets: boolean;
  /**
   * True when a family without cross-file training (`snippets: false`) still takes definitions
   * from other files, written as plain code ahead of the prefix, as a file's own earlier
   * declarations would be.
   */
  readonly definitions?: boolean;
  /**
   * Length of the token windows the family was trained on, when it is shorter than the context
   * the model's config declares: prompt and output together are kept within it.
   */
  readonly trainedContext?: number;
}

/**
 * A model family's record: its fill-in-the-middle format, the tokens that end it and its traits.
 * The built-in records below are the one definition of each family the extension knows; the CLI,
 * the HTTP API and the pipeline all pick one with `resolveFimTemplate`, and a prompt pack's
 * template is built on its family's record (`packFimTemplate`), so it carries the same traits.
 */
export interface FimTemplate extends FimTraits {
  /** Family id, e.g. 'qwen2.5-coder'; also part of the cache key. */
  readonly family: string;
  render(prefix: string, suffix: string, context: FimRenderContext): string;
  /** Strings that end generation; they mark the model leaving the hole. */
  readonly stop: readonly string[];
}

export const FIM_FAMILIES = ['autoglm-coder', 'qwen2.5-coder', 'starcoder2', 'deepseek-coder', 'codellama', 'codestral'] as const;
export type FimFamily = (typeof FIM_FAMILIES)[number];

/** `// Path: a.ts` and each snippet as commented lines, for formats without file separators. */
export function commentHeader(context: FimRenderContext): string {
  const lines: string[] = [];
  for (const snippet of context.snippets) {
    const intro = commentLine(context.languageId, `Compare this snippet from ${snippet.path}:`);
    if (intro === undefined) {
      break;
    }
    lines.push(intro);
    for (const line of snippet.text.split('\n')) {
      lines.push(commentLine(context.languageId, line) ?? line);
    }
  }
  const path = commentLine(context.languageId, `Path: ${context.filePath}`);
  if (path !== undefined && context.filePath !== '') {
    lines.push(path);
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/** The repository name of repository-level formats (built-in and pack templates alike). */
export function repoName(context: FimRenderContext): string {
  return context.repoName ?? (context.filePath.includes('/') ? context.filePath.split('/')[0] || 'workspace' : 'workspace');
}

/** Qwen2.5-Coder: the plain form, or the repository-level form when there are neighbour snippets. */
export const qwenCoderTemplate: FimTemplate = {
  family: 'qwen2.5-coder',
  snippets: true,
  stop: ['<|endoftext|>', '<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|fim_pad|>', '<|file_sep|>', '<|repo_name|>', '<|im_start|>', '<|im_end|>'],
  render(prefix, suffix, context) {
    const fim = `<|fim_prefix|>${prefix}<|fim_suffix|>${suffix}<|fim_middle|>`;
    if (context.snippets.length === 0) {
      return fim;
    }
    const files = context.snippets.map((s) => `<|file_sep|>${s.path}\n${s.text}\n`).join('');
    return `<|repo_name|>${repoName(context)}\n${files}<|file_sep|>${context.filePath}\n${fim}`;
  },
};

/**
 * The bundled autoglm-coder model: Qwen2.5-Coder's tokens in suffix-prefix-middle order, which it
 * was trained on besides PSM. With the text after the cursor first, a prompt changes only at its
 * end while the user types, so the engine's prefix cache serves all but the new characters. It
 * was trained without cross-file context, so it gets no neighbour snippets, and on 512-token
 * windows, so a longer prompt only moves it away from what it learned.
 */
export const autoGlmCoderTemplate: FimTemplate = {
  family: 'autoglm-coder',
  stop: qwenCoderTemplate.stop,
  snippets: false,
  trainedContext: 512,
  render(prefix, suffix, context) {
    return `<|fim_suffix|>${suffix}<|fim_prefix|>${inlineDefinitions(context)}${prefix}<|fim_middle|>`;
  },
};

/** Definitions from other files as plain code, one after another, for formats without file separators. */
export function inlineDefinitions(context: FimRenderContext): string {
  return context.snippets.map((s) => `${s.text}\n\n`).join('');
}

/** StarCoder2: repository metadata with `<file_sep>`, the file path right after `<fim_prefix>`. */
export const starCoder2Template: FimTemplate = {
  family: 'starcoder2',
  snippets: true,
  stop: ['<|endoftext|>', '<file_sep>', '<fim_prefix>', '<fim_suffix>', '<fim_middle>', '<repo_name>'],
  render(prefix, suffix, context) {
    const fim = `<fim_prefix>${context.filePath === '' ? '' : `${context.filePath}\n`}${prefix}<fim_suffix>${suffix}<fim_middle>`;
    if (context.snippets.length === 0) {
      return fim;
    }
    const files = context.snippets.map((s) => `<file_sep>${s.path}\n${s.text}`).join('');
    return `<repo_name>${repoName(context)}${files}<file_sep>${fim}`;
  },
};

/** DeepSeek-Coder: full-width bars (U+FF5C) and U+2581 in its special tokens. */
export const deepSeekCoderTemplate: FimTemplate = {
  family: 'deepseek-coder',
  snippets: true,
  stop: ['<｜end▁of▁sentence｜>', '<｜fim▁begin｜>', '<｜fim▁hole｜>', '<｜fim▁end｜>', '<|EOT|>'],
  render(prefix, suffix, context) {
    return `<｜fim▁begin｜>${commentHeader(context)}${prefix}<｜fim▁hole｜>${suffix}<｜fim▁end｜>`;
  },
};

/** Code Llama infilling in prefix-suffix-middle order; the spaces are part of the trained format. */
export const codeLlamaTemplate: FimTemplate = {
  family: 'codellama',
  snippets: true,
  stop: ['<EOT>', '</s>', '<PRE>', '<SUF>', '<MID>'],
  render(prefix, suffix, context) {
    return `<PRE> ${commentHeader(context)}${prefix} <SUF>${suffix} <MID>`;
  },
};

/** Codestral: suffix first, then prefix; the tokenizer adds the BOS token. */
export const codestralTemplate: FimTemplate = {
  family: 'codestral',
  snippets: true,
  stop: ['</s>', '[PREFIX]', '[SUFFIX]', '[MIDDLE]'],
  render(prefix, suffix, context) {
    return `[SUFFIX]${suffix}[PREFIX]${commentHeader(context)}${prefix}`;
  },
};

export const BUILTIN_FIM_TEMPLATES: Readonly<Record<FimFamily, FimTemplate>> = {
  'autoglm-coder': autoGlmCoderTemplate,
  'qwen2.5-coder': qwenCoderTemplate,
  starcoder2: starCoder2Template,
  'deepseek-coder': deepSeekCoderTemplate,
  codellama: codeLlamaTemplate,
  codestral: codestralTemplate,
};

export function isFimFamily(value: string): value is FimFamily {
  return (FIM_FAMILIES as readonly string[]).includes(value);
}

/**
 * The record a template of `family` from elsewhere (a prompt pack) is built on: the built-in
 * family's stop tokens and traits, or, for a family the extension does not know, no stop tokens
 * and the defaults (cross-file context welcome, no trained window shorter than the model's).
 */
export function fimFamilyRecord(family: string): Omit<FimTemplate, 'render'> {
  if (!isFimFamily(family)) {
    return { family, stop: [], snippets: true };
  }
  const { stop, snippets, definitions, trainedContext } = BUILTIN_FIM_TEMPLATES[family];
  return { family, stop, snippets, ...(definitions !== undefined ? { definitions } : {}), ...(trainedContext !== undefined ? { trainedContext } : {}) };
}
