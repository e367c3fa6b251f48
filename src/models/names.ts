import { ModelDownloadError } from './errors';

/** `owner/name` as the Hub spells repository ids (letters, digits, `.`, `_`, `-`). */
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
/** A branch, tag or commit; `refs/pr/1` style names keep their slashes. */
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
/** One path segment of a file the engine reads; no hidden files, no spaces or shell characters. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const COMMIT = /^[0-9a-f]{40}$/;

export function isRepoId(text: string): boolean {
  return REPO_ID.test(text) && !text.includes('..');
}

export function isRevision(text: string): boolean {
  return REVISION.test(text) && !text.split('/').some((s) => s === '' || s === '.' || s === '..');
}

export function isCommit(text: string): boolean {
  return COMMIT.test(text);
}

/** A repository-relative path that stays inside the model folder: no `..`, no absolute path, no odd characters. */
export function isSafeRepoPath(text: string): boolean {
  if (text.length === 0 || text.length > 300 || text.startsWith('/') || text.includes('\\')) {
    return false;
  }
  const segments = text.split('/');
  return segments.length <= 4 && segments.every((s) => SEGMENT.test(s) && s !== '..' && s !== '.');
}

export function checkRepoId(repo: string): string {
  if (!isRepoId(repo)) {
    throw new ModelDownloadError('unsafe-path', `'${repo}' is not a Hub repository id (expected owner/name with letters, digits, '.', '_' or '-')`);
  }
  return repo;
}

export function checkRevision(revision: string): string {
  if (!isRevision(revision)) {
    throw new ModelDownloadError('unsafe-path', `'${revision}' is not a branch, tag or commit name`);
  }
  return revision;
}

export function checkRepoPath(repo: string, file: string): string {
  if (!isSafeRepoPath(file)) {
    throw new ModelDownloadError('unsafe-path', `${repo}: refusing file '${file}' (absolute, '..', or characters a model file does not use)`);
  }
  return file;
}

/** `owner/name[@revision]` as typed on the command line. */
export function parseRepoSpec(spec: string): { repo: string; revision: string | undefined } {
  const at = spec.indexOf('@');
  const repo = at < 0 ? spec : spec.slice(0, at);
  const revision = at < 0 ? undefined : spec.slice(at + 1);
  checkRepoId(repo);
  if (revision !== undefined) {
    checkRevision(revision);
  }
  return { repo, revision };
}
