/**
 * Does the completion prompt receive the definition of the function being called? For 200 call
 * sites chosen at random in an out-of-corpus repository (`repository.ts`: effect's TypeScript
 * sources), with the cursor right after the call's `(`, the prompt's cross-file part is built
 * twice in the same run, with the pipeline's own stages and budget (Qwen2.5-Coder's
 * repository-level format, 1,024 prompt tokens):
 * - open files: similar windows of the files the call's file imports (as if the user had them
 *   all open, up to 5: a generous stand-in for the editor's open tabs);
 * - index: the definitions the workspace index finds for the names before the cursor, then the
 *   same similar windows.
 * Reported: the share of call sites whose callee definition is in the prompt, and recall@1/3/5
 * of each ranking on its own.
 *
 *   npx tsx bench/index/retrieval.ts [--out bench/results/index-retrieval.json]
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { estimateTokens } from '../../src/common/tokens';
import { buildContext } from '../../src/completion/context';
import { definitionSnippets } from '../../src/completion/definitionSnippets';
import { rankSnippets, type Snippet } from '../../src/completion/snippets';
import { round } from '../common';
import { buildIndex } from './indexFolder';
import { callSites, loadRepository, type CallSite, type Repository } from './repository';

const SITES = 200;
const SEED = 20261202;
const OPEN_FILES = 5;
const PROMPT_TOKENS = 1024;
const RESERVED_TOKENS = 24;
const MAX_DEFINITIONS = 4;

/** The files a file imports with relative specifiers, resolved to repository paths. */
function importedFiles(repo: Repository, file: string): string[] {
  const text = repo.files.find((f) => f.path === file)!.text;
  const known = new Set(repo.files.map((f) => f.path));
  const out: string[] = [];
  for (const m of text.matchAll(/from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
    const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]!)).replace(/\.js$/, '.ts');
    for (const candidate of [resolved, `${resolved}.ts`, `${resolved}/index.ts`]) {
      if (known.has(candidate) && !out.includes(candidate)) out.push(candidate);
    }
  }
  return out;
}

/**
 * Whether a snippet shows the callee's definition: a window that holds its line, or a
 * definition's text (a signature, cut before the body) that starts that line.
 */
function holds(snippet: Pick<Snippet, 'path' | 'text'>, site: CallSite, repo: Repository): boolean {
  if (snippet.path !== site.definition.path) return false;
  const line = repo.files.find((f) => f.path === site.definition.path)!.text.split('\n')[site.definition.line]!.trim();
  const head = snippet.text.trimStart().split('\n')[0]!.trim();
  return snippet.text.includes(line) || (head.length >= 12 && line.startsWith(head));
}

function rankOf(list: readonly Snippet[], site: CallSite, repo: Repository): number {
  return list.findIndex((s) => holds(s, site, repo));
}

interface Tally {
  inPrompt: number;
  at1: number;
  at3: number;
  at5: number;
  snippetsInPrompt: number;
}

const emptyTally = (): Tally => ({ inPrompt: 0, at1: 0, at3: 0, at5: 0, snippetsInPrompt: 0 });

function count(tally: Tally, rank: number, inPrompt: boolean, snippets: number): void {
  if (inPrompt) tally.inPrompt++;
  if (rank === 0) tally.at1++;
  if (rank >= 0 && rank < 3) tally.at3++;
  if (rank >= 0 && rank < 5) tally.at5++;
  tally.snippetsInPrompt += snippets;
}

function shares(t: Tally, n: number): Record<string, number> {
  return { inPrompt: round(t.inPrompt / n, 3), recallAt1: round(t.at1 / n, 3), recallAt3: round(t.at3 / n, 3), recallAt5: round(t.at5 / n, 3), snippetsInPromptMean: round(t.snippetsInPrompt / n, 2) };
}

async function main(): Promise<void> {
  const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1]! : 'bench/results/index-retrieval.json';
  const repo = await loadRepository();
  const built = await buildIndex(repo.root);
  const { index, report } = built;
  const sites = callSites(repo, [], SITES, SEED);
  const open = emptyTally();
  const indexed = emptyTally();
  const chat = emptyTally();
  for (const site of sites) {
    const file = repo.files.find((f) => f.path === site.path)!;
    const offset = site.offset + 1;
    const neighbours = importedFiles(repo, site.path).slice(0, OPEN_FILES).map((p) => ({ path: p, languageId: 'typescript', text: repo.files.find((f) => f.path === p)!.text }));
    const input = { path: site.path, languageId: 'typescript', text: file.text, offset, neighbours };
    const budget = { promptTokens: PROMPT_TOKENS, reservedTokens: RESERVED_TOKENS };

    const windows = rankSnippets(file.text.slice(Math.max(0, offset - 2000), offset), neighbours, 'typescript', site.path);
    const openContext = buildContext(input, budget, estimateTokens);
    count(open, rankOf(windows, site, repo), openContext.snippets.some((s) => holds(s, site, repo)), openContext.snippets.length);

    const definitions = definitionSnippets(file.text, offset, site.path, index, MAX_DEFINITIONS);
    const ranked = definitionSnippets(file.text, offset, site.path, index, 10);
    const indexContext = buildContext({ ...input, definitions }, budget, estimateTokens);
    count(indexed, rankOf(ranked, site, repo), indexContext.snippets.some((s) => holds(s, site, repo)), indexContext.snippets.length);

    // What `@codebase` finds for a question naming the function: BM25 over the syntax chunks.
    const hits = index.search(`how does ${site.name} work?`, 5).map((h) => ({ path: h.path, text: h.text, score: h.score }));
    count(chat, rankOf(hits, site, repo), false, hits.length);
  }
  const result = {
    benchmark: 'index retrieval: the callee definition in the completion prompt',
    repository: repo.name,
    files: repo.files.length,
    callSites: sites.length,
    seed: SEED,
    promptTokens: PROMPT_TOKENS,
    index: { files: report.files, chunks: index.chunkCount, buildMs: Math.round(report.ms) },
    openFiles: { neighbours: `the call's file's relative imports, up to ${OPEN_FILES}`, ...shares(open, sites.length) },
    withIndex: shares(indexed, sites.length),
    chatQuestionSearch: { query: 'how does <name> work?', ...shares(chat, sites.length), inPrompt: undefined, snippetsInPromptMean: undefined },
    date: new Date().toISOString(),
  };
  built.dispose();
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

void main();
