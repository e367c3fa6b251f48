/**
 * The Hugging Face Hub's HTTP protocol, as huggingface_hub and huggingface.js speak it:
 *  - `GET {endpoint}/api/models/{repo}/revision/{rev}` -> `{ sha, siblings: [{ rfilename }] }`
 *  - `GET {endpoint}/api/models/{repo}/tree/{rev}?recursive=true` -> `[{ type, path, size, oid, lfs? }]`,
 *    paginated with a `Link: <...>; rel="next"` header
 *  - `HEAD|GET {endpoint}/{repo}/resolve/{rev}/{path}`: small files answer directly (ETag = git blob
 *    sha1); LFS files answer 302 to a CDN with `X-Linked-Size`, `X-Linked-Etag` (the quoted
 *    sha256) and `X-Repo-Commit` on the redirect itself. Relative redirects (a renamed repository)
 *    are followed as the Hub's own; the Authorization header never leaves the endpoint's host.
 * A mirror (e.g. https://hf-mirror.com) speaks the same protocol under another endpoint.
 */
import type { IncomingMessage } from 'node:http';
import { ModelDownloadError } from './errors';
import { discard, readBody, send, type HttpSettings } from './http';
import { checkRepoId, checkRevision, isCommit } from './names';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface HubOptions extends HttpSettings {
  /** Hub or mirror base URL; default https://huggingface.co. */
  readonly endpoint?: string;
  /** Access token for gated or private repositories, sent as `Authorization: Bearer` to the endpoint only; default none. */
  readonly token?: string;
}

export interface HubFile {
  readonly path: string;
  readonly size: number;
  /** Git blob sha1 of the file, or of the LFS pointer for LFS files. */
  readonly oid: string;
  /** SHA-256 of the content for LFS files (the pointer's oid); null for files kept in git. */
  readonly sha256: string | null;
}

export interface RepoListing {
  readonly repo: string;
  /** The revision as asked for (branch, tag or commit). */
  readonly revision: string;
  /** The commit it resolved to. */
  readonly commit: string;
  readonly files: readonly HubFile[];
}

export interface FileMetadata {
  readonly size: number;
  /** From X-Linked-Etag for LFS files; null when the Hub sends only the git sha1. */
  readonly sha256: string | null;
  /** The normalised ETag (sha256 for LFS files, git blob sha1 otherwise). */
  readonly etag: string;
  readonly commit: string | null;
  /** Where the bytes are: the CDN's URL for LFS files, else the resolve URL. */
  readonly location: URL;
}

const LISTING_LIMIT = 16 * 1024 * 1024;
const MAX_PAGES = 100;
const MAX_REDIRECTS = 5;

export function endpointOf(hub: HubOptions): URL {
  const url = new URL(hub.endpoint ?? DEFAULT_ENDPOINT);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ModelDownloadError('protocol', `endpoint ${url.href} is not an http(s) URL`);
  }
  return url;
}

function under(endpoint: URL, suffix: string): URL {
  return new URL(`${endpoint.href.replace(/\/+$/, '')}/${suffix}`);
}

function encodeRepoPath(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

export function resolveUrl(hub: HubOptions, repo: string, revision: string, file: string): URL {
  return under(endpointOf(hub), `${checkRepoId(repo)}/resolve/${encodeURIComponent(checkRevision(revision))}/${encodeRepoPath(file)}`);
}

/** `"abc"` and `W/"abc"` -> `abc`, as huggingface_hub normalises ETags. */
export function normaliseEtag(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  return text?.replace(/^W\//, '').replace(/^"|"$/g, '');
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function authHeaders(hub: HubOptions, url: URL): Record<string, string> {
  const sameHost = url.host === endpointOf(hub).host;
  return hub.token && sameHost ? { Authorization: `Bearer ${hub.token}` } : {};
}

const NOT_FOUND: Record<string, string> = {
  RepoNotFound: 'no such repository (or it is private: set an access token)',
  RevisionNotFound: 'no such revision (branch, tag or commit)',
  EntryNotFound: 'no such file in this revision',
};

/**
 * The user-facing error for a status the Hub answered with. The Hub's `X-Error-Code` says which
 * thing is missing; it also answers 401 with `RepoNotFound` for a repository that does not exist
 * when no token is sent, which is reported as not found rather than gated.
 */
export function statusError(status: number, what: string, hub: HubOptions, errorCode?: string): ModelDownloadError {
  const missing = errorCode !== undefined ? NOT_FOUND[errorCode] : undefined;
  if (missing !== undefined && (status === 404 || status === 401)) {
    return new ModelDownloadError('not-found', `${what}: ${missing} (HTTP ${status})`);
  }
  if (status === 401 || status === 403) {
    const hint = hub.token ? 'the access token was refused (does it have access to this repository?)' : 'set an access token (HF_TOKEN, or the editor\'s "Set Hugging Face Token")';
    return new ModelDownloadError('gated', `${what}: gated or private (HTTP ${status}): ${hint}`);
  }
  if (status === 404) {
    return new ModelDownloadError('not-found', `${what}: no such repository, revision or file (HTTP 404)`);
  }
  if (status >= 500 || status === 429) {
    return new ModelDownloadError('network', `${what}: the server answered HTTP ${status}`);
  }
  return new ModelDownloadError('http', `${what}: unexpected HTTP ${status}`);
}

function failure(res: IncomingMessage, what: string, hub: HubOptions): ModelDownloadError {
  discard(res);
  return statusError(res.statusCode ?? 0, what, hub, header(res, 'x-error-code'));
}

/** GET of an API URL, following the Hub's own redirects (a renamed repository) on its host. */
async function getApi(hub: HubOptions, url: URL, what: string, signal: AbortSignal | undefined): Promise<{ res: IncomingMessage; url: URL }> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await send({ method: 'GET', url: current, headers: { Accept: 'application/json', ...authHeaders(hub, current) }, signal }, hub);
    const target = redirectTarget(res, current);
    if (target && target.host === current.host) {
      discard(res);
      current = target;
      continue;
    }
    if (res.statusCode !== 200) {
      throw failure(res, what, hub);
    }
    return { res, url: current };
  }
  throw new ModelDownloadError('protocol', `${what}: more than ${MAX_REDIRECTS} redirects`);
}

async function getJson(hub: HubOptions, start: URL, what: string, signal: AbortSignal | undefined): Promise<{ body: unknown; next: URL | undefined }> {
  const { res, url } = await getApi(hub, start, what, signal);
  const text = (await readBody(res, LISTING_LIMIT)).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ModelDownloadError('protocol', `${what}: the answer is not JSON`);
  }
  const next = /<([^>]+)>;\s*rel="next"/.exec(header(res, 'link') ?? '')?.[1];
  return { body, next: next === undefined ? undefined : new URL(next, url) };
}

/** The commit a branch, tag or commit name stands for. */
export async function resolveRevision(hub: HubOptions, repo: string, revision: string, signal?: AbortSignal): Promise<string> {
  const url = under(endpointOf(hub), `api/models/${checkRepoId(repo)}/revision/${encodeURIComponent(checkRevision(revision))}`);
  const { body } = await getJson(hub, url, `${repo}@${revision}`, signal);
  const sha = (body as { sha?: unknown } | null)?.sha;
  if (typeof sha !== 'string' || !isCommit(sha)) {
    throw new ModelDownloadError('protocol', `${repo}@${revision}: the revision answer has no commit sha`);
  }
  return sha;
}

function toHubFile(entry: unknown, what: string): HubFile | undefined {
  const e = entry as { type?: unknown; path?: unknown; size?: unknown; oid?: unknown; lfs?: { oid?: unknown; size?: unknown } } | null;
  if (e?.type !== 'file') {
    return undefined;
  }
  if (typeof e.path !== 'string' || typeof e.size !== 'number' || typeof e.oid !== 'string') {
    throw new ModelDownloadError('protocol', `${what}: a tree entry lacks path, size or oid`);
  }
  const sha256 = typeof e.lfs?.oid === 'string' ? e.lfs.oid.replace(/^sha256:/, '') : null;
  const size = typeof e.lfs?.size === 'number' ? e.lfs.size : e.size;
  return { path: e.path, size, oid: e.oid, sha256 };
}

/** Every file of a revision with its size and (for LFS files) SHA-256, pinned to the commit. */
export async function listRepo(hub: HubOptions, repo: string, revision: string, signal?: AbortSignal): Promise<RepoListing> {
  const commit = await resolveRevision(hub, repo, revision, signal);
  const files: HubFile[] = [];
  let url: URL | undefined = under(endpointOf(hub), `api/models/${repo}/tree/${commit}?recursive=true`);
  for (let page = 0; url && page < MAX_PAGES; page++) {
    const { body, next }: { body: unknown; next: URL | undefined } = await getJson(hub, url, `${repo}@${revision}`, signal);
    if (!Array.isArray(body)) {
      throw new ModelDownloadError('protocol', `${repo}@${revision}: the tree answer is not a list`);
    }
    files.push(...body.flatMap((e) => toHubFile(e, `${repo}@${revision}`) ?? []));
    url = next;
  }
  return { repo, revision, commit, files };
}

function redirectTarget(res: IncomingMessage, from: URL): URL | undefined {
  const location = header(res, 'location');
  return res.statusCode !== undefined && res.statusCode >= 300 && res.statusCode < 400 && location ? new URL(location, from) : undefined;
}

function isRelativeLocation(res: IncomingMessage): boolean {
  const location = header(res, 'location') ?? '';
  return !/^[a-z][a-z0-9+.-]*:/i.test(location) && !location.startsWith('//');
}

/** HEAD of a resolve URL: size, sha256 and commit from the Hub's headers, without fetching the CDN. */
export async function fileMetadata(hub: HubOptions, repo: string, revision: string, file: string, signal?: AbortSignal): Promise<FileMetadata> {
  let url = resolveUrl(hub, repo, revision, file);
  const what = `${repo}@${revision}: ${file}`;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const res = await send({ method: 'HEAD', url, headers: { 'Accept-Encoding': 'identity', ...authHeaders(hub, url) }, signal }, hub);
    const target = redirectTarget(res, url);
    if (res.statusCode !== 200 && !target) {
      throw failure(res, what, hub);
    }
    discard(res);
    if (target && isRelativeLocation(res) && header(res, 'x-linked-etag') === undefined) {
      url = target;
      continue;
    }
    const linked = normaliseEtag(header(res, 'x-linked-etag'));
    const etag = linked ?? normaliseEtag(header(res, 'etag'));
    const size = Number(header(res, 'x-linked-size') ?? header(res, 'content-length'));
    if (etag === undefined || !Number.isSafeInteger(size) || size < 0) {
      throw new ModelDownloadError('protocol', `${what}: the Hub sent no ETag or size`);
    }
    return { size, sha256: linked !== undefined && /^[0-9a-f]{64}$/.test(linked) ? linked : null, etag, commit: header(res, 'x-repo-commit') ?? null, location: target ?? url };
  }
  throw new ModelDownloadError('protocol', `${what}: more than ${MAX_REDIRECTS} redirects`);
}

/**
 * GET of a file's bytes from `start` on, following redirects (to the CDN); resolves with the
 * final 200 or 206 response. The Range header is sent on every hop.
 */
export async function openFile(hub: HubOptions, url: URL, start: number, what: string, signal?: AbortSignal): Promise<IncomingMessage> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const range: Record<string, string> = start > 0 ? { Range: `bytes=${start}-` } : {};
    const res = await send({ method: 'GET', url: current, headers: { 'Accept-Encoding': 'identity', ...range, ...authHeaders(hub, current) }, signal }, hub);
    const target = redirectTarget(res, current);
    if (target) {
      discard(res);
      current = target;
      continue;
    }
    if (res.statusCode === 200 || res.statusCode === 206 || res.statusCode === 416) {
      return res;
    }
    throw failure(res, what, hub);
  }
  throw new ModelDownloadError('protocol', `${what}: more than ${MAX_REDIRECTS} redirects`);
}
