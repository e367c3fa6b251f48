/**
 * Context from the workspace index for a chat question: with `@codebase`, the chunks most relevant
 * to the question; always, the definitions of the symbols and the files the question names that
 * the attached context does not hold yet (marked as added automatically). All of it within a
 * token budget, so that the question and the conversation keep most of the window.
 */
import type { CodebaseSearch, CodeChunk } from '../codeIndex/types';
import { mentionedNames } from './identifiers';
import type { CodeLocation, ContextItem } from './types';

/** What a user types to ask for the index's chunks. */
export const CODEBASE_MENTION = '@codebase';

const MENTION_PATTERN = /(^|\s)@codebase\b/gi;

/** Most chunks `@codebase` attaches, and how many hits it looks at to find them. */
const CODEBASE_CHUNKS = 5;
const CODEBASE_CANDIDATES = 12;
/** Most chunks attached for the names a question mentions. */
const NAMED_CHUNKS = 4;
/** Share of the prompt's room (window less the answer) that retrieved chunks may take. */
const RETRIEVAL_SHARE = 0.35;

export interface RetrievalInput {
  question: string;
  index: CodebaseSearch | undefined;
  /** Context the user attached; what it holds is not fetched again. */
  attached: readonly ContextItem[];
  /** Ids of retrieved items the user removed from this draft. */
  excluded: ReadonlySet<string>;
  budgetTokens: number;
  countTokens(text: string): number;
}

export interface Retrieval {
  items: ContextItem[];
  /** Why `@codebase` brought nothing, for the user: the index is off or still building. */
  note?: string;
}

export function mentionsCodebase(text: string): boolean {
  return new RegExp(MENTION_PATTERN.source, 'i').test(text);
}

/** The question without `@codebase`, as the model and the search see it. */
export function withoutCodebaseMention(text: string): string {
  return text.replace(MENTION_PATTERN, '$1').replace(/[ \t]{2,}/g, ' ').trim();
}

/** The tokens retrieved chunks may take of a window of `contextTokens` with `answerTokens` kept for the answer. */
export function retrievalBudget(contextTokens: number, answerTokens: number): number {
  return Math.max(0, Math.floor((contextTokens - answerTokens) * RETRIEVAL_SHARE));
}

/** A chunk's id stays the same across drafts, so a chip the user removed stays removed. */
export function codebaseItemId(location: CodeLocation): string {
  return `codebase:${location.path}:${location.startLine}-${location.endLine}`;
}

export function locationLabel(location: CodeLocation): string {
  return `${location.path}:${location.startLine + 1}-${location.endLine + 1}`;
}

const LANGUAGES: Readonly<Record<string, string>> = {
  ts: 'typescript', tsx: 'typescriptreact', js: 'javascript', jsx: 'javascriptreact', mjs: 'javascript', cjs: 'javascript',
  py: 'python', rs: 'rust', go: 'go', java: 'java', cs: 'csharp', cpp: 'cpp', c: 'c', h: 'c', rb: 'ruby', php: 'php',
};

function chunkItem(chunk: CodeChunk, auto: boolean): ContextItem {
  const location = { path: chunk.path, startLine: chunk.startLine, endLine: chunk.endLine };
  const languageId = LANGUAGES[chunk.path.split('.').pop() ?? ''];
  return {
    id: codebaseItemId(location),
    kind: 'codebase',
    label: locationLabel(location),
    text: chunk.text,
    location,
    ...(languageId !== undefined ? { languageId } : {}),
    ...(auto ? { auto: true } : {}),
  };
}

/** The workspace-relative path and lines an attached item holds; a whole file covers all its lines. */
function coverage(item: ContextItem): CodeLocation | undefined {
  if (item.location) {
    return item.location;
  }
  if (item.kind === 'file' || item.kind === 'mention') {
    return { path: item.label, startLine: 0, endLine: Number.MAX_SAFE_INTEGER };
  }
  const range = /^(.*):(\d+)-(\d+)$/.exec(item.label);
  return item.kind === 'selection' && range ? { path: range[1]!, startLine: Number(range[2]) - 1, endLine: Number(range[3]) - 1 } : undefined;
}

function overlaps(a: CodeLocation, b: CodeLocation): boolean {
  return a.path === b.path && a.startLine <= b.endLine && b.startLine <= a.endLine;
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/** Why the index cannot answer now, or undefined when it can. */
function unavailable(index: CodebaseSearch | undefined): string | undefined {
  if (!index) {
    return 'The workspace index is off: sent without @codebase.';
  }
  const { status, files } = index.status();
  if (status === 'off') {
    return 'The workspace index is off: sent without @codebase.';
  }
  if (status === 'building') {
    return `The workspace index is still building (${files} files so far): sent without @codebase.`;
  }
  return undefined;
}

/** The chunks that define what the question names: symbols by their definitions, files by their best chunk. */
function namedChunks(index: CodebaseSearch, question: string): CodeChunk[] {
  const { symbols, files } = mentionedNames(question);
  const bySymbol = symbols.flatMap((name) =>
    index
      .definitions(name)
      .slice(0, 1)
      .map((d) => bestChunkFor(index, d.name, d) ?? { path: d.path, startLine: d.startLine, endLine: d.endLine, text: d.text, symbols: [d.name] }),
  );
  const byFile = files.flatMap((file) =>
    index
      .search(`${file.replace(/\.[^.]+$/, '')} ${question}`, CODEBASE_CANDIDATES)
      .filter((hit) => hit.path === file || basename(hit.path) === file)
      .slice(0, 1),
  );
  return [...bySymbol, ...byFile];
}

/** The search chunk that holds a definition whole, when there is one; else the definition itself stands in. */
function bestChunkFor(index: CodebaseSearch, name: string, at: CodeLocation): CodeChunk | undefined {
  return index.search(name, CODEBASE_CANDIDATES).find((hit) => hit.path === at.path && hit.startLine <= at.startLine && hit.endLine >= at.endLine);
}

export function retrieveContext(input: RetrievalInput): Retrieval {
  const wantsCodebase = mentionsCodebase(input.question);
  const note = unavailable(input.index);
  if (note !== undefined || !input.index) {
    return wantsCodebase && note !== undefined ? { items: [], note } : { items: [] };
  }
  const question = withoutCodebaseMention(input.question);
  const candidates: ContextItem[] = namedChunks(input.index, question).slice(0, NAMED_CHUNKS).map((c) => chunkItem(c, true));
  if (wantsCodebase && question !== '') {
    const hits = input.index.search(question, CODEBASE_CANDIDATES);
    candidates.push(...hits.map((hit) => chunkItem(hit, false)));
  }
  return { items: withinBudget(candidates, input) };
}

/** Candidates in order, skipping what is attached, removed, already taken or too big for what is left. */
function withinBudget(candidates: readonly ContextItem[], input: RetrievalInput): ContextItem[] {
  const held = input.attached.map(coverage).filter((c): c is CodeLocation => c !== undefined);
  const taken: ContextItem[] = [];
  let left = input.budgetTokens;
  let searched = 0;
  for (const item of candidates) {
    const at = item.location!;
    if (input.excluded.has(item.id) || held.some((h) => overlaps(h, at)) || taken.some((t) => overlaps(t.location!, at))) {
      continue;
    }
    if (!item.auto && searched >= CODEBASE_CHUNKS) {
      continue;
    }
    const cost = input.countTokens(item.text) + input.countTokens(item.label);
    if (cost > left) {
      continue;
    }
    left -= cost;
    searched += item.auto ? 0 : 1;
    taken.push(item);
  }
  return taken;
}
