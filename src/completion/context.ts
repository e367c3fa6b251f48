import { rankSnippets, type Snippet, type SnippetOptions } from './snippets';
import { lineStartAt } from './text';
import { type TokenCounter } from './tokens';
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

/**
 * Cuts the prefix and suffix windows and picks neighbour snippets, all within the budget. The
 * prefix gets the larger share because the next token depends most on what was just written;
 * budget one window leaves unused (a short file) goes to the other window, then to snippets.
 */
export function buildContext(input: ContextInput, budget: ContextBudget, count: TokenCounter): CompletionContext {
  const available = Math.max(0, budget.promptTokens - budget.reservedTokens);
  const candidates = input.neighbours.length > 0 ? rankSnippets(queryAround(input.text, input.offset), input.neighbours, input.languageId, input.path, budget.snippetOptions) : [];
  const snippetClaim = candidates.length > 0 ? Math.floor(available * (budget.snippetShare ?? 0.25)) : 0;
  const codeBudget = available - snippetClaim;
  const prefixBudget = Math.floor(codeBudget * (budget.prefixShare ?? 0.75));

  const suffix = suffixWindow(input.text, input.offset, codeBudget - prefixBudget, count);
  const prefix = prefixWindow(input.text, input.offset, codeBudget - suffix.tokens, count);
  let left = available - prefix.tokens - suffix.tokens;
  const snippets: Snippet[] = [];
  let snippetTokens = 0;
  for (const candidate of candidates.slice(0, budget.maxSnippets ?? 3)) {
    const cost = count(`${candidate.path}\n${candidate.text}\n`);
    if (cost <= left) {
      snippets.push(candidate);
      snippetTokens += cost;
      left -= cost;
    }
  }
  return {
    filePath: input.path,
    languageId: input.languageId,
    prefix: prefix.text,
    suffix: suffix.text,
    snippets,
    tokens: { prefix: prefix.tokens, suffix: suffix.tokens, snippets: snippetTokens },
  };
}

function queryAround(text: string, offset: number): string {
  let start = offset;
  for (let i = 0; i < QUERY_LINES_BEFORE && start > 0; i++) {
    start = lineStartAt(text, start - 1);
  }
  let end = offset;
  for (let i = 0; i < QUERY_LINES_AFTER && end < text.length; i++) {
    const nl = text.indexOf('\n', end);
    end = nl < 0 ? text.length : nl + 1;
  }
  return text.slice(start, end);
}

interface Window {
  text: string;
  tokens: number;
}

/** Whole lines before the cursor, nearest first; the cursor's own line is always kept (cut from its start if it alone is too long). */
export function prefixWindow(text: string, offset: number, budget: number, count: TokenCounter): Window {
  let start = lineStartAt(text, offset);
  const current = text.slice(start, offset);
  let used = count(current);
  if (used > budget) {
    return tail(current, budget, count);
  }
  while (start > 0) {
    const previous = lineStartAt(text, start - 1);
    const cost = count(text.slice(previous, start));
    if (used + cost > budget) {
      break;
    }
    used += cost;
    start = previous;
  }
  return { text: text.slice(start, offset), tokens: used };
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
