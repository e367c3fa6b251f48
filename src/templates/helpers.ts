import { estimateTokens, type TokenCounter } from '../common/tokens';

/**
 * The fixed set of helpers a template may call. Packs cannot add helpers: a helper is code, and a
 * pack committed to a repository must not run code in the editor.
 */
export interface HelperSpec {
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly hashKeys: readonly string[];
  /** Usable as `{{#name ...}}`. */
  readonly block: boolean;
  readonly usage: string;
}

const spec = (minArgs: number, maxArgs: number, usage: string, hashKeys: readonly string[] = [], block = false): HelperSpec => ({
  minArgs,
  maxArgs,
  hashKeys,
  block,
  usage,
});

export const HELPER_SPECS: Readonly<Record<string, HelperSpec>> = {
  // Handlebars' own block helpers.
  if: spec(1, 1, '{{#if value}}...{{else}}...{{/if}}', ['includeZero'], true),
  unless: spec(1, 1, '{{#unless value}}...{{/unless}}', ['includeZero'], true),
  each: spec(1, 1, '{{#each list}}...{{/each}}', [], true),
  with: spec(1, 1, '{{#with value}}...{{/with}}', [], true),
  lookup: spec(2, 2, '{{lookup object "key"}}'),
  // The pack helpers.
  eq: spec(2, 2, '(eq a b)'),
  ne: spec(2, 2, '(ne a b)'),
  and: spec(2, 8, '(and a b ...)'),
  or: spec(2, 8, '(or a b ...)'),
  not: spec(1, 1, '(not a)'),
  default: spec(2, 2, '{{default value "fallback"}}'),
  upper: spec(1, 1, '{{upper text}}'),
  lower: spec(1, 1, '{{lower text}}'),
  indent: spec(2, 2, '{{indent text 4}}'),
  truncateTokens: spec(2, 2, '{{truncateTokens text 1000 keep="start"|"end"}}', ['keep']),
  codeBlock: spec(1, 2, '{{codeBlock code language}}'),
  json: spec(1, 2, '{{json value 2}}'),
  lines: spec(1, 1, '{{#each (lines text)}}...{{/each}}'),
};

export const HELPER_NAMES: ReadonlySet<string> = new Set(Object.keys(HELPER_SPECS));

/** Handlebars registers these on every instance; only `if`, `unless`, `each`, `with` and `lookup` stay. */
export const REMOVED_BUILTIN_HELPERS = ['log'] as const;

/** The project's one estimate, for callers that count template text without a tokenizer. */
export { estimateTokens };

function str(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  return typeof value === 'string' ? value : String(value);
}

function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

/** The longest head (or tail) of `text` that fits in `maxTokens`, found by bisection on its length. */
export function truncateToTokens(text: string, maxTokens: number, keep: 'start' | 'end', count: TokenCounter): string {
  if (maxTokens <= 0) {
    return '';
  }
  if (count(text) <= maxTokens) {
    return text;
  }
  const cut = (n: number): string => (keep === 'start' ? text.slice(0, n) : text.slice(text.length - n));
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (count(cut(mid)) <= maxTokens) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return cut(lo);
}

/** A Markdown fence longer than any backtick run inside the code, so the code cannot close it. */
export function fenceCode(code: string, language: string): string {
  const longest = Math.max(0, ...Array.from(code.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  const body = code.endsWith('\n') ? code : `${code}\n`;
  return `${fence}${language}\n${body}${fence}`;
}

interface HashOptions {
  hash?: Record<string, unknown>;
}

/** The last argument Handlebars passes a helper is its options object; the rest are the values. */
function values(args: unknown[]): unknown[] {
  return args.slice(0, -1);
}

/**
 * Builds the helper functions of one pack instance. `counter` is read at call time, so one
 * compiled pack serves callers with different tokenizers.
 */
export function createHelpers(counter: () => TokenCounter): Record<string, (...args: unknown[]) => unknown> {
  return {
    eq: (a, b) => a === b,
    ne: (a, b) => a !== b,
    and: (...args) => values(args).every(truthy),
    or: (...args) => values(args).some(truthy),
    not: (a) => !truthy(a),
    default: (value, fallback) => (value === undefined || value === null || value === '' ? fallback : value),
    upper: (text) => str(text).toUpperCase(),
    lower: (text) => str(text).toLowerCase(),
    indent: (text, width) => {
      const pad = ' '.repeat(Math.max(0, Math.min(64, Number(width) || 0)));
      return str(text)
        .split('\n')
        .map((line) => (line.length > 0 ? pad + line : line))
        .join('\n');
    },
    truncateTokens: (text, max, options) => {
      const keep = (options as HashOptions | undefined)?.hash?.['keep'] === 'end' ? 'end' : 'start';
      return truncateToTokens(str(text), Number(max) || 0, keep, counter());
    },
    codeBlock: (...args) => {
      const [code, language] = values(args);
      return fenceCode(str(code), typeof language === 'string' ? language : '');
    },
    json: (...args) => {
      const [value, space] = values(args);
      return JSON.stringify(value ?? null, null, typeof space === 'number' ? Math.min(8, space) : undefined);
    },
    lines: (text) => (str(text) === '' ? [] : str(text).replace(/\n$/, '').split('\n')),
  };
}
