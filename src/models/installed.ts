/**
 * Downloaded models: the folders `<root>/<owner>/<name>/<commit>` that hold a manifest, and
 * their removal, which stays inside the models folder and follows no link out of it.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelDownloadError } from './errors';
import { readManifest, type ModelManifest } from './manifest';
import { checkRepoId, checkRevision } from './names';
import { isInside, modelFolder } from './paths';

export interface InstalledModel {
  readonly dir: string;
  readonly manifest: ModelManifest;
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => path.join(dir, e.name));
}

/** Every folder below `root` with a valid manifest, newest download first. */
export async function installedModels(root: string): Promise<InstalledModel[]> {
  const found: InstalledModel[] = [];
  for (const owner of await subfolders(root)) {
    for (const name of await subfolders(owner)) {
      for (const dir of await subfolders(name)) {
        const read = await readManifest(dir);
        if (read.kind === 'ok') {
          found.push({ dir, manifest: read.manifest });
        }
      }
    }
  }
  return found.sort((a, b) => b.manifest.downloadedAt.localeCompare(a.manifest.downloadedAt));
}

/** The installed copy of `repo` (at `revision` when given: a commit, or the commit a branch was resolved to when pulled). */
export async function findInstalled(root: string, repo: string, revision?: string): Promise<InstalledModel | undefined> {
  const all = await installedModels(root);
  return all.find((m) => m.manifest.repo.toLowerCase() === repo.toLowerCase() && (revision === undefined || m.manifest.revision === revision));
}

/** The folder of `repo` at `revision` (normally a commit; a `refs/pr/1` style name keeps one folder level as `refs--pr--1`). */
export function modelFolderFor(root: string, repo: string, revision: string): string {
  return modelFolder(root, checkRepoId(repo), checkRevision(revision).replace(/\//g, '--'));
}

/** True when no component from `root` down to `dir` is a symbolic link. */
async function noLinkBetween(root: string, dir: string): Promise<boolean> {
  const parts = path.relative(root, dir).split(path.sep);
  let current = root;
  for (const part of parts) {
    current = path.join(current, part);
    const stat = await fs.lstat(current).catch(() => undefined);
    if (!stat || stat.isSymbolicLink()) {
      return false;
    }
  }
  return true;
}

/** Removes a model folder below `root`; refuses anything else (the root itself, outside it, through a link). */
export async function removeModel(root: string, dir: string): Promise<void> {
  const base = path.resolve(root);
  const target = path.resolve(dir);
  if (target === base || !isInside(base, target) || !(await noLinkBetween(base, target))) {
    throw new ModelDownloadError('unsafe-path', `refusing to remove ${target}: only model folders inside ${base} (and not through a link) are removed`);
  }
  await fs.rm(target, { recursive: true, force: true });
}
