/**
 * Where a path a model names may lead: into one of the workspace folders and nowhere else. The
 * lexical check refuses `..` and absolute paths that leave every folder; the real-path check
 * refuses a symbolic link (the file's or a folder's on the way) that leads out.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ToolInputError } from '../../agent/types';

export interface WorkspaceRoot {
  /** The folder's name, which prefixes paths when there are several folders. */
  readonly name: string;
  /** Absolute file-system path. */
  readonly path: string;
}

export interface WorkspacePath {
  readonly root: WorkspaceRoot;
  readonly absolute: string;
  /** What the model and the user see: relative, with `/`, prefixed by the folder's name when there are several. */
  readonly display: string;
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function display(roots: readonly WorkspaceRoot[], root: WorkspaceRoot, absolute: string): string {
  const rel = path.relative(root.path, absolute).split(path.sep).join('/');
  return roots.length > 1 ? (rel === '' ? root.name : `${root.name}/${rel}`) : rel === '' ? '.' : rel;
}

/** The workspace path of an absolute path inside a folder, or undefined when it is outside all of them. */
export function displayPath(roots: readonly WorkspaceRoot[], absolute: string): string | undefined {
  const root = roots.find((r) => isInside(r.path, absolute));
  return root ? display(roots, root, absolute) : undefined;
}

function pickRoot(roots: readonly WorkspaceRoot[], input: string): { root: WorkspaceRoot; rest: string } {
  if (roots.length > 1) {
    const [first, ...rest] = input.split(/[\\/]+/);
    const named = roots.find((r) => r.name === first);
    if (named) {
      return { root: named, rest: rest.join('/') };
    }
  }
  return { root: roots[0]!, rest: input };
}

/** Resolves `input` (workspace-relative, or absolute inside a folder) without touching the disk. */
export function resolveWorkspacePath(roots: readonly WorkspaceRoot[], input: string): WorkspacePath {
  if (roots.length === 0) {
    throw new ToolInputError('No folder is open in the editor, so there are no workspace files.');
  }
  const trimmed = input.trim();
  if (trimmed.length === 0 || trimmed.includes('\0')) {
    throw new ToolInputError('`path` must name a file in the workspace.');
  }
  if (path.isAbsolute(trimmed)) {
    const absolute = path.normalize(trimmed);
    const root = roots.find((r) => isInside(r.path, absolute));
    if (!root) {
      throw new ToolInputError(`${trimmed} is outside the workspace; give a path relative to the workspace folder.`);
    }
    return { root, absolute, display: display(roots, root, absolute) };
  }
  const { root, rest } = pickRoot(roots, trimmed);
  const absolute = path.resolve(root.path, rest);
  if (!isInside(root.path, absolute)) {
    throw new ToolInputError(`${trimmed} leads outside the workspace folder; give a path inside it.`);
  }
  return { root, absolute, display: display(roots, root, absolute) };
}

async function nearestExisting(absolute: string): Promise<{ real: string; exists: boolean }> {
  for (let at = absolute; ; at = path.dirname(at)) {
    try {
      return { real: await fs.realpath(at), exists: at === absolute };
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT' || path.dirname(at) === at) {
        throw err;
      }
    }
  }
}

/**
 * Checks that what `target` really is (its links followed, or for a file not yet there, its
 * nearest existing folder) lies inside its workspace folder's real path. `real` is the real path
 * of the target when it exists, else of that folder.
 */
export async function realPathInside(target: WorkspacePath): Promise<{ real: string; exists: boolean }> {
  const [rootReal, found] = await Promise.all([fs.realpath(target.root.path), nearestExisting(target.absolute)]);
  if (!isInside(rootReal, found.real)) {
    throw new ToolInputError(`${target.display} is a link that leads outside the workspace; it cannot be used.`);
  }
  return found;
}
