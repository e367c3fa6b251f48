import { type TokenCounter } from '../common/tokens';
import { rankSnippets, SnippetIndex, type Snippet, type SnippetOptions } from './snippets';
import { lineStartAt } from './text';
import { type NeighbourFile } from './types';

/** What the prompt is made of, cut to the token budget. */
export interface CompletionContext {
  filePath: string;
  languageId: string;
  prefix: string;
  suffix: string;
  snippets: Snippet[];
  /** Tokens of prefix, suffix and snippets as counted while cutting them. */
  tokens: { prefix: number; suffix: number; snippets: number };
}

export interface ContextInput {
  path: string;
  languageId: string;
  text: string;
  offset: number;
  neighbours: readonly NeighbourFile[];
  /** Definitions from other files the code before the cursor uses, most wanted first (`definitionSnippets`). */
  definitions?: readonly Snippet[];
}

export interface ContextBudget {
  /** Whole prompt budget in tokens. */
  promptTokens: number;
  /** Tokens the template and file header take whatever the code; kept out of the windows. */
  reservedTokens: number;
  /** Share of the code budget given to the prefix. Default: 0.75. */
  prefixShare?: number;
  /** Most of the budget that neighbour snippets may claim ahead of the code. Default: 0.25. */
  snippetShare?: number;
  /** Most snippets in one prompt. Default: 3. */
  maxSnippets?: number;
  snippetOptions?: SnippetOptions;
}

/** Lines around the cursor that neighbour windows are compared with. */
const QUERY_LINES_BEFORE = 20;
const QUERY_LINES_AFTER = 5;

/** Share of the prefix budget a fresh window fills, leaving room to grow at a stable start. */
const FRESH_FILL = 0.85;

/**
 * What one document's requests share: where its prefix window started and the neighbour index.
 * A prompt that starts the same as the previous one lets the backend reuse its prefix cache, so
 * the window keeps its start while the text from there still fits, instead of sliding a line
 * at a time.
 */
export class ContextMemo {
  readonly snippets = new SnippetIndex();
  private readonly starts = new Map<string, number>();
  private readonly definitions = new Map<string, readonly Snippet[]>();

  /**
   * The definitions to show for `path`: the previous ones in their order while all of them are
   * still wanted, with newly wanted ones after them, so that the prompt's opening (where the
   * repository-level formats put other files) stays the same while the user types.
   */
  stableDefinitions(path: string, fresh: readonly Snippet[]): readonly Snippet[] {
    const previous = this.definitions.get(path);
    const same = (a: Snippet, b: Snippet): boolean => a.path === b.path && a.text === b.text;
    const kept = previous !== undefined && previous.every((p) => fresh.some((f) => same(f, p))) ? [...previous, ...fresh.filter((f) => !previous.some((p) => same(f, p)))] : fresh;
    this.definitions.delete(path);
    this.definitions.set(path, kept);
    if (this.definitions.size > 64) this.definitions.delete(this.definitions.keys().next().value!);
    return kept;
  }

  prefixStart(path: string): number | undefined {
    return this.starts.get(path);
  }

  setPrefixStart(path: string, start: number): void {
    this.starts.delete(path);
    this.starts.set(path, start);
    if (this.starts.size > 64) {
      this.starts.delete(this.starts.keys().next().value!);
    }
  }
}

/**
 * Cuts the prefix and suffix windows and picks neighbour snippets, all within the budget.
 * Snippets come first, within their share, so that the prompt's opening stays the same while
 * the user types on one line; the prefix gets the larger share of the rest because the next
 * token depends most on what was just written, and budget the suffix leaves unused goes to it.
 */
export function buildContext(input: ContextInput, budget: ContextBudget, count: TokenCounter, memo?: ContextMemo): CompletionContext {
  const available = Math.max(0, budget.promptTokens - budget.reservedTokens);
  const windows = input.neighbours.length > 0 ? rankSnippets(queryAround(input.text, input.offset), input.neighbours, input.languageId, input.path, budget.snippetOptions, memo?.snippets) : [];
  const definitions = input.definitions ?? [];
  const shown = windows.filter((w) => !definitions.some((d) => d.path === w.path && w.text.includes(d.text)));
  const candidates = [...definitions, ...shown.slice(0, budget.maxSnippets ?? 3)];
  const snippets: Snippet[] = [];
  let snippetTokens = 0;
  const addSnippets = (limit: number): void => {
    for (const candidate of candidates) {
      if (snippets.includes(candidate)) {
        continue;
      }
      const cost = count(`${candidate.path}\n${candidate.text}\n`);
      if (snippetTokens + cost <= limit) {
        snippets.push(candidate);
        snippetTokens += cost;
      }
    }
  };
  addSnippets(Math.floor(available * (budget.snippetShare ?? 0.25)));

  const codeBudget = available - snippetTokens;
  const prefixBudget = Math.floor(codeBudget * (budget.prefixShare ?? 0.75));
  const suffix = suffixWindow(input.text, input.offset, codeBudget - prefixBudget, count);
  const prefix = prefixWindow(input.text, input.offset, codeBudget - suffix.tokens, count, memo === undefined ? {} : { hint: memo.prefixStart(input.path), fill: FRESH_FILL });
  memo?.setPrefixStart(input.path, prefix.start);
  addSnippets(available - prefix.tokens - suffix.tokens);
  return {
    filePath: input.path,
    languageId: input.languageId,
    prefix: prefix.text,
    suffix: suffix.text,
    snippets: snippets.sort((a, b) => candidates.indexOf(a) - candidates.indexOf(b)),
    tokens: { prefix: prefix.tokens, suffix: suffix.tokens, snippets: snippetTokens },
  };
}

/** The lines around the cursor's line, not the line itself: the ranking holds while it is typed. */
function queryAround(text: string, offset: number): string {
  const lineStart = lineStartAt(text, offset);
  let start = lineStart;
  for (let i = 0; i < QUERY_LINES_BEFORE && start > 0; i++) {
    start = lineStartAt(text, start - 1);
  }
  const nl = text.indexOf('\n', offset);
  const lineEnd = nl < 0 ? text.length : nl + 1;
  let end = lineEnd;
  for (let i = 0; i < QUERY_LINES_AFTER && end < text.length; i++) {
    const next = text.indexOf('\n', end);
    end = next < 0 ? text.length : next + 1;
  }
  return text.slice(start, lineStart) + text.slice(lineEnd, end);
}

interface Window {
  text: string;
  tokens: number;
}

/**
 * Whole lines before the cursor, nearest first; the cursor's own line is always kept (cut from
 * its start if it alone is too long). `hint`: a previous start to keep while the text from there
 * fits; `fill`: share of the budget a fresh cut fills.
 */
export function prefixWindow(text: string, offset: number, budget: number, count: TokenCounter, options: { hint?: number | undefined; fill?: number } = {}): Window & { start: number } {
  let start = lineStartAt(text, offset);
  const { hint } = options;
  // The character bound keeps a far jump of the cursor from counting a huge slice.
  if (hint !== undefined && hint <= start && offset - hint <= budget * 8 && (hint === 0 || text[hint - 1] === '\n')) {
    const tokens = count(text.slice(hint, offset));
    if (tokens <= budget) {
      return { text: text.slice(hint, offset), tokens, start: hint };
    }
  }
  const current = text.slice(start, offset);
  let used = count(current);
  if (used > budget) {
    const cut = tail(current, budget, count);
    return { ...cut, start: offset - cut.text.length };
  }
  const target = Math.floor(budget * (options.fill ?? 1));
  while (start > 0) {
    const previous = lineStartAt(text, start - 1);
    const cost = count(text.slice(previous, start));
    if (used + cost > target) {
      break;
    }
    used += cost;
    start = previous;
  }
  return { text: text.slice(start, offset), tokens: used, start };
}

/** The rest of the cursor's line, then whole lines after it, within the budget. */
export function suffixWindow(text: string, offset: number, budget: number, count: TokenCounter): Window {
  const firstBreak = text.indexOf('\n', offset);
  let end = firstBreak < 0 ? text.length : firstBreak + 1;
  const current = text.slice(offset, end);
  let used = count(current);
  if (used > budget) {
    return head(current, budget, count);
  }
  while (end < text.length) {
    const nl = text.indexOf('\n', end);
    const next = nl < 0 ? text.length : nl + 1;
    const cost = count(text.slice(end, next));
    if (used + cost > budget) {
      break;
    }
    used += cost;
    end = next;
  }
  return { text: text.slice(offset, end), tokens: used };
}

/** The longest tail of `text` within `budget`, found by shrinking a first guess. */
function tail(text: string, budget: number, count: TokenCounter): Window {
  let chars = Math.min(text.length, budget * 4);
  let piece = text.slice(text.length - chars);
  let tokens = count(piece);
  while (tokens > budget && chars > 0) {
    chars = Math.floor(chars * 0.9);
    piece = text.slice(text.length - chars);
    tokens = count(piece);
  }
  // Never start with half of a surrogate pair: the tokenizer would see a broken character.
  if (/^[\udc00-\udfff]/.test(piece)) {
    piece = piece.slice(1);
  }
  return { text: piece, tokens };
}

function head(text: string, budget: number, count: TokenCounter): Window {
  let chars = Math.min(text.length, budget * 4);
  let piece = text.slice(0, chars);
  let tokens = count(piece);
  while (tokens > budget && chars > 0) {
    chars = Math.floor(chars * 0.9);
    piece = text.slice(0, chars);
    tokens = count(piece);
  }
  if (/[\ud800-\udbff]$/.test(piece)) {
    piece = piece.slice(0, -1);
  }
  return { text: piece, tokens };
}
