/**
 * The files of a workspace folder the index may read: `.gitignore` files honoured at every level
 * (through `ignore`, which implements git's rules), the editor's exclude globs (through
 * `picomatch`), symbolic links never followed (a link could lead anywhere on the disk), and caps
 * on file size and count, so that a huge or hostile folder costs bounded time and memory.
 */
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import type { FileStamp } from './workspaceIndex';

export interface WalkOptions {
  /** Whether a workspace-relative path (forward slashes) is a file worth indexing (its language). */
  accept(relPath: string): boolean;
  /** Glob patterns of the editor (`files.exclude`, `search.exclude`), matched against relative paths. */
  exclude?: readonly string[];
  /** Files larger than this are skipped. Default: 1,000,000 bytes. */
  maxFileBytes?: number;
  /** The walk stops after this many accepted files. Default: 20,000. */
  maxFiles?: number;
  /** Most directories visited (a guard against folders of millions of entries). Default: 50,000. */
  maxDirectories?: number;
  signal?: AbortSignal;
}

export interface WalkedFile extends FileStamp {
  /** Relative to the root, forward slashes. */
  path: string;
  absolute: string;
}

export interface WalkSummary {
  files: number;
  /** Why the walk ended early, if it did. */
  truncated?: 'max-files' | 'max-directories';
  skippedLarge: number;
}

/** Never indexed, whatever the ignore files say. */
const ALWAYS_SKIPPED = new Set(['.git', '.hg', '.svn']);

interface Level {
  dir: string;
  rules: Ignore | undefined;
}

export async function* walkFiles(root: string, options: WalkOptions, summary: WalkSummary = { files: 0, skippedLarge: 0 }): AsyncGenerator<WalkedFile> {
  const excluded = excludeMatcher(options.exclude);
  const maxFiles = options.maxFiles ?? 20_000;
  const maxDirs = options.maxDirectories ?? 50_000;
  const maxBytes = options.maxFileBytes ?? 1_000_000;
  const pending: { rel: string; levels: Level[] }[] = [{ rel: '', levels: [] }];
  let dirs = 0;
  while (pending.length > 0) {
    if (options.signal?.aborted) return;
    if (++dirs > maxDirs) {
      summary.truncated = 'max-directories';
      return;
    }
    const { rel, levels: parentLevels } = pending.shift()!;
    const absDir = path.join(root, rel);
    const entries = await readDirectory(absDir);
    const levels = [...parentLevels, { dir: rel, rules: await gitignoreAt(absDir) }];
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isSymbolicLink() || ALWAYS_SKIPPED.has(entry.name)) continue;
      const isDir = entry.isDirectory();
      if (!isDir && !entry.isFile()) continue;
      if (skipped(levels, excluded, child, isDir)) continue;
      if (isDir) {
        pending.push({ rel: child, levels });
        continue;
      }
      if (!options.accept(child)) continue;
      const stat = await fs.lstat(path.join(root, child)).catch(() => undefined);
      if (!stat?.isFile()) continue;
      if (stat.size > maxBytes) {
        summary.skippedLarge++;
        continue;
      }
      if (summary.files >= maxFiles) {
        summary.truncated = 'max-files';
        return;
      }
      summary.files++;
      yield { path: child, absolute: path.join(root, child), size: stat.size, mtimeMs: stat.mtimeMs };
    }
  }
}

/**
 * Whether a full walk would reach `relPath` (a changed file): no folder on the way a link, none
 * of them or the file ignored by a `.gitignore` above it or excluded by a glob.
 */
export async function admits(root: string, relPath: string, options: Pick<WalkOptions, 'exclude'>): Promise<boolean> {
  const parts = relPath.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || ALWAYS_SKIPPED.has(p))) return false;
  const excluded = excludeMatcher(options.exclude);
  const levels: Level[] = [];
  let rel = '';
  for (let i = 0; i < parts.length; i++) {
    const absDir = path.join(root, rel);
    levels.push({ dir: rel, rules: await gitignoreAt(absDir) });
    const child = rel === '' ? parts[i]! : `${rel}/${parts[i]!}`;
    const isDir = i < parts.length - 1;
    const stat = await fs.lstat(path.join(root, child)).catch(() => undefined);
    if (!stat || stat.isSymbolicLink() || (isDir ? !stat.isDirectory() : !stat.isFile())) return false;
    if (skipped(levels, excluded, child, isDir)) return false;
    rel = child;
  }
  return true;
}

async function readDirectory(dir: string): Promise<Dirent[]> {
  try {
    return await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Most bytes of one `.gitignore` read: a larger one is not a list of patterns anyone wrote. */
const MAX_GITIGNORE_BYTES = 256 * 1024;

async function gitignoreAt(dir: string): Promise<Ignore | undefined> {
  try {
    const file = path.join(dir, '.gitignore');
    const stat = await fs.lstat(file);
    if (!stat.isFile() || stat.size > MAX_GITIGNORE_BYTES) return undefined;
    return ignore().add(await fs.readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

type Matcher = (path: string) => boolean;

function excludeMatcher(globs: readonly string[] | undefined): Matcher | undefined {
  return globs && globs.length > 0 ? picomatch([...globs], { dot: true }) : undefined;
}

/** Whether the walk leaves `child` out: ignored by a `.gitignore` on its way, or excluded by a glob. */
function skipped(levels: readonly Level[], excluded: Matcher | undefined, child: string, isDir: boolean): boolean {
  return ignoredBy(levels, child, isDir) || excluded?.(child) === true || (isDir && excluded?.(`${child}/`) === true);
}

/** Git's rule: each `.gitignore` speaks of paths relative to its own folder, the deepest last. */
function ignoredBy(levels: readonly Level[], child: string, isDir: boolean): boolean {
  let ignored = false;
  for (const level of levels) {
    if (!level.rules) continue;
    const relative = level.dir === '' ? child : child.slice(level.dir.length + 1);
    const result = level.rules.test(isDir ? `${relative}/` : relative);
    if (result.ignored) ignored = true;
    else if (result.unignored) ignored = false;
  }
  return ignored;
}
