/**
 * The repository the index benchmarks run on: the TypeScript sources effect@3.19.0 ships
 * (`node_modules/effect/src`, MIT; effect is not among the packages of the bundled model's
 * corpus, `models/autoglm-coder/provenance.json`), and call sites in it with the definition
 * each one calls.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface RepoFile {
  /** Relative to the repository root, forward slashes. */
  path: string;
  text: string;
}

export interface Repository {
  name: string;
  root: string;
  files: RepoFile[];
}

export interface BenchChunk {
  path: string;
  startLine: number;
  endLine: number;
  text: string;
}

export interface Definition {
  name: string;
  path: string;
  line: number;
}

export interface CallSite {
  name: string;
  path: string;
  /** Zero-based line of the call. */
  line: number;
  /** Offset in the file right after the callee's name: where a completion would be asked for its arguments. */
  offset: number;
  /** The lines before the call and the call's line up to the name, as a completion or chat query would see them. */
  query: string;
  definition: Definition;
  /** Ids of the chunks (in the list given) that hold the definition's line. */
  targets: number[];
}

export const REPOSITORY_PACKAGE = 'effect';

const PACKAGE_DIR = path.join(__dirname, '..', '..', 'node_modules', REPOSITORY_PACKAGE);

export async function loadRepository(root = path.join(PACKAGE_DIR, 'src')): Promise<Repository> {
  const version = (JSON.parse(await fs.readFile(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;
  const files: RepoFile[] = [];
  for (const rel of await listTs(root, '')) {
    files.push({ path: rel, text: await fs.readFile(path.join(root, rel), 'utf8') });
  }
  return { name: `${REPOSITORY_PACKAGE}@${version}/src`, root, files };
}

async function listTs(root: string, rel: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await fs.readdir(path.join(root, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await listTs(root, child)));
    else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(child);
  }
  return out;
}

export function windowChunks(files: readonly RepoFile[], lines: number): BenchChunk[] {
  const chunks: BenchChunk[] = [];
  for (const file of files) {
    const all = file.text.split('\n');
    for (let start = 0; start < all.length; start += lines) {
      chunks.push({ path: file.path, startLine: start, endLine: Math.min(all.length, start + lines) - 1, text: all.slice(start, start + lines).join('\n') });
    }
  }
  return chunks;
}

const DEFINITION = /^export\s+(?:declare\s+)?(?:abstract\s+)?(?:const|let|function\*?|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/;

/** Exported top-level definitions by name (a name may be defined in several files: `map` in most modules). */
export function exportedDefinitions(files: readonly RepoFile[]): Map<string, Definition[]> {
  const seen = new Map<string, Definition[]>();
  for (const file of files) {
    file.text.split('\n').forEach((text, line) => {
      const m = DEFINITION.exec(text);
      if (m && m[1]!.length > 1) seen.set(m[1]!, [...(seen.get(m[1]!) ?? []), { name: m[1]!, path: file.path, line }]);
    });
  }
  return seen;
}

/** A small deterministic generator (mulberry32), so that every run picks the same call sites and replays the same keystrokes. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const QUERY_LINES_BEFORE = 8;

/** Local name -> the repository file it is imported from (relative imports: named, default and namespace). */
function importsOf(file: RepoFile, known: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  const resolve = (spec: string): string | undefined => {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file.path), spec)).replace(/\.js$/, '');
    return [`${base}.ts`, `${base}/index.ts`].find((c) => known.has(c));
  };
  for (const m of file.text.matchAll(/import\s+(?:type\s+)?([^'"]+?)\s+from\s+["'](\.{1,2}\/[^"']+)["']/g)) {
    const target = resolve(m[2]!);
    if (!target) continue;
    const clause = m[1]!;
    const ns = /\*\s+as\s+([\w$]+)/.exec(clause);
    if (ns) out.set(ns[1]!, target);
    for (const part of /\{([^}]*)\}/.exec(clause)?.[1]?.split(',') ?? []) {
      const named = /(?:type\s+)?([\w$]+)(?:\s+as\s+([\w$]+))?/.exec(part.trim());
      if (named) out.set(named[2] ?? named[1]!, target);
    }
  }
  return out;
}

/**
 * `count` call sites chosen at random with `seed`: a call `name(` or `alias.name(` in one file
 * of a function another file exports, where the calling file imports the name, or the alias,
 * from that very file; so each one is a real cross-file call, and the right definition is the
 * one in the imported file also when other files define the same name (`Option.map`).
 * One call per function, so that the helpers called everywhere do not make up the sample.
 */
export function callSites(repo: Repository, chunks: readonly BenchChunk[], count: number, seed: number): CallSite[] {
  const defs = exportedDefinitions(repo.files);
  const known = new Set(repo.files.map((f) => f.path));
  const all: Omit<CallSite, 'targets'>[] = [];
  for (const file of repo.files) {
    const imports = importsOf(file, known);
    const lines = file.text.split('\n');
    let lineStart = 0;
    lines.forEach((text, line) => {
      for (const m of text.matchAll(/(?:([A-Za-z_$][\w$]*)\.)?\b([A-Za-z_$][\w$]*)\(/g)) {
        const from = imports.get(m[1] ?? m[2]!);
        const definition = defs.get(m[2]!)?.find((d) => d.path === from);
        if (!definition || definition.path === file.path || /^\s*(\/\/|\*|\/\*)/.test(text)) continue;
        const column = m.index + m[0].length - 1;
        const query = [...lines.slice(Math.max(0, line - QUERY_LINES_BEFORE), line), text.slice(0, column)].join('\n');
        all.push({ name: m[2]!, path: file.path, line, offset: lineStart + column, query, definition });
      }
      lineStart += text.length + 1;
    });
  }
  const random = seeded(seed);
  const picked: CallSite[] = [];
  const pool = [...all];
  const callees = new Set<string>();
  while (picked.length < count && pool.length > 0) {
    const [site] = pool.splice(Math.floor(random() * pool.length), 1);
    // One call per function: a few helpers called everywhere would otherwise make up the sample.
    if (callees.has(site!.name)) continue;
    callees.add(site!.name);
    const targets = chunks.flatMap((c, id) => (c.path === site!.definition.path && c.startLine <= site!.definition.line && site!.definition.line <= c.endLine ? [id] : []));
    picked.push({ ...site!, targets });
  }
  return picked;
}
