/**
 * A Hugging Face Hub stand-in on 127.0.0.1: a real HTTP server speaking the parts of the Hub's
 * protocol the downloader uses, with faults a test switches on.
 *
 *   const hub = await startHubStandIn({ repos: standardRepos() });
 *   hub.url                  // endpoint, e.g. http://127.0.0.1:41234
 *   hub.setFault({ kind: 'status', status: 500, times: 1 });
 *   hub.requests             // every request: method, path, range, status, whether a token came
 *   hub.connections          // TCP connections accepted so far (offline mode must leave it at 0)
 *   await hub.close();
 *
 * Served, as the Hub serves them:
 *   GET  /api/models/{repo}/revision/{rev}            -> { id, sha, siblings: [{ rfilename }] }
 *   GET  /api/models/{repo}/tree/{rev}?recursive=true -> [{ type, oid, size, path, lfs? }]
 *   HEAD|GET /{repo}/resolve/{rev}/{path}: git files answer 200 (ETag = git blob sha1); LFS files
 *     (*.onnx, *.onnx_data, > 10 MB) answer 302 to /cdn/... with X-Linked-Size, X-Linked-Etag
 *     (quoted sha256), ETag and X-Repo-Commit on the redirect
 *   GET /cdn/{sha256} on a second server (the CDN, another origin): the bytes, with Range (206 / 416)
 * A gated repository answers 401 without its token; an unknown repository 401 without a token
 * and 404 with one (X-Error-Code: RepoNotFound), unknown revisions and files 404, as the Hub does;
 * a renamed repository's old id answers 307 with a relative Location.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { ROOT } from './paths';

export interface StandInRepo {
  /** owner/name */
  readonly id: string;
  /** Repository path -> content, or the absolute path of a local file to serve. */
  readonly files: Readonly<Record<string, Buffer | string>>;
  /** Token a gated repository accepts (`Authorization: Bearer <token>`); undefined: public. */
  readonly token?: string;
}

export type StandInFault =
  /** Answer `status` instead of the file (resolve and CDN requests), `times` times (default: always). */
  | { readonly kind: 'status'; readonly status: number; readonly times?: number; readonly path?: string }
  /** Drop the connection after `afterBytes` bytes of a file's body, `times` times (default once). */
  | { readonly kind: 'reset'; readonly afterBytes: number; readonly times?: number; readonly path?: string }
  /** Send `afterBytes` bytes of a file's body, then nothing more (the connection stays open), `times` times (default once). */
  | { readonly kind: 'stall'; readonly afterBytes: number; readonly times?: number; readonly path?: string }
  /** Serve the file with one byte changed (its listed size and sha256 stay the real ones). */
  | { readonly kind: 'wrong-hash'; readonly path: string; readonly times?: number }
  /** Serve bodies at about this rate. */
  | { readonly kind: 'throttle'; readonly bytesPerSecond: number }
  /** Answer 200 with the whole file to a Range request, as servers without range support do. */
  | { readonly kind: 'ignore-range' };

export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
  readonly status: number;
  readonly token: boolean;
  readonly via: string | undefined;
}

export interface HubStandIn {
  /** The Hub endpoint. */
  readonly url: string;
  /** The CDN's origin, another port (so another host to the client, as the real CDN is). */
  readonly cdnUrl: string;
  readonly requests: StandInRequest[];
  readonly connections: number;
  /** Replaces the active faults (none: clears them). */
  setFault(...faults: StandInFault[]): void;
  commitOf(repo: string): string;
  sha256Of(repo: string, file: string): string;
  close(): Promise<void>;
}

export interface HubStandInOptions {
  readonly repos: readonly StandInRepo[];
  /** Old id -> current id: requests under the old name answer 307 with a relative Location, as the Hub does for a renamed repository. */
  readonly renamed?: Readonly<Record<string, string>>;
  /** Serve https with this key and certificate (PEM) instead of http, on both origins. */
  readonly tls?: { readonly key: string; readonly cert: string };
  /** Entries per tree page; more are paginated with `Link: <...&cursor=N>; rel="next"` as the Hub does. Default: one page. */
  readonly treePageSize?: number;
}

interface ServedFile {
  readonly path: string;
  readonly content: Buffer;
  readonly sha256: string;
  readonly gitOid: string;
  readonly lfs: boolean;
}

interface ServedRepo {
  readonly id: string;
  readonly commit: string;
  readonly token: string | undefined;
  readonly files: Map<string, ServedFile>;
}

interface ActiveFault {
  fault: StandInFault;
  left: number;
}

const BUNDLED = path.join(ROOT, 'models', 'autoglm-coder');
const LFS_THRESHOLD = 10 * 1024 * 1024;

function gitOid(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

function lfsPointer(sha256: string, size: number): Buffer {
  return Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`);
}

function serveFile(repoPath: string, source: Buffer | string): ServedFile {
  const content = typeof source === 'string' ? readFileSync(source) : source;
  const sha256 = createHash('sha256').update(content).digest('hex');
  const lfs = /\.onnx(_data(_\d+)?)?$/.test(repoPath) || content.length > LFS_THRESHOLD;
  return { path: repoPath, content, sha256, gitOid: gitOid(lfs ? lfsPointer(sha256, content.length) : content), lfs };
}

function buildRepo(repo: StandInRepo): ServedRepo {
  const files = new Map(Object.entries(repo.files).map(([p, source]) => [p, serveFile(p, source)]));
  const commit = createHash('sha1')
    .update(repo.id)
    .update([...files.values()].map((f) => `${f.path}:${f.sha256}`).join('\n'))
    .digest('hex');
  return { id: repo.id, commit, token: repo.token, files };
}

const BUNDLED_COMMON = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

/** The bundled model's folder as a repository: `open-autoglm/autoglm-coder`. */
export function bundledRepo(id = 'open-autoglm/autoglm-coder'): StandInRepo {
  const files: Record<string, string> = {};
  for (const name of [...BUNDLED_COMMON, 'README.md']) {
    files[name] = path.join(BUNDLED, name);
  }
  for (const name of ['model.onnx', 'model_int8.onnx', 'model_q4.onnx']) {
    files[`onnx/${name}`] = path.join(BUNDLED, 'onnx', name);
  }
  return { id, files };
}

/**
 * The bundled model's files renamed as onnx-community names its exports: `model_q4.onnx`,
 * `model_int8.onnx`, `model_fp16.onnx` (the fp32 weights under that name: the stand-in checks
 * bytes, not dtypes), and a variant with external data split as `model_q4f16.onnx` +
 * `model_q4f16.onnx_data` (the int8 file cut in two: a listing fixture, not a loadable model).
 */
export function onnxCommunityRepo(id = 'onnx-community/Qwen2.5-Coder-0.5B-Instruct', token?: string): StandInRepo {
  const files: Record<string, Buffer | string> = {};
  for (const name of BUNDLED_COMMON) {
    files[name] = path.join(BUNDLED, name);
  }
  files['onnx/model_q4.onnx'] = path.join(BUNDLED, 'onnx', 'model_q4.onnx');
  files['onnx/model_int8.onnx'] = path.join(BUNDLED, 'onnx', 'model_int8.onnx');
  files['onnx/model_fp16.onnx'] = path.join(BUNDLED, 'onnx', 'model.onnx');
  const int8 = readFileSync(path.join(BUNDLED, 'onnx', 'model_int8.onnx'));
  files['onnx/model_q4f16.onnx'] = int8.subarray(0, 4096);
  files['onnx/model_q4f16.onnx_data'] = int8.subarray(4096);
  files['.gitattributes'] = Buffer.from('*.onnx filter=lfs diff=lfs merge=lfs -text\n');
  return { id, files, ...(token !== undefined ? { token } : {}) };
}

/** The usual set: the bundled model, its onnx-community renaming, and a gated copy (token 'hf_test_token'). */
export function standardRepos(): StandInRepo[] {
  return [bundledRepo(), onnxCommunityRepo(), onnxCommunityRepo('gated-org/Gated-Coder', 'hf_test_token')];
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d+)-(\d*)$/.exec(header ?? '');
  if (!match) {
    return undefined;
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return start >= size || end < start ? 'unsatisfiable' : { start, end };
}

class StandIn {
  readonly requests: StandInRequest[] = [];
  connections = 0;
  private readonly repos: Map<string, ServedRepo>;
  private readonly byHash = new Map<string, ServedFile>();
  private faults: ActiveFault[] = [];

  constructor(
    repos: readonly StandInRepo[],
    private readonly base: () => string,
    private readonly cdnBase: () => string,
    private readonly pageSize: number,
    private readonly renamed: Readonly<Record<string, string>>,
  ) {
    this.repos = new Map(repos.map((r) => [r.id, buildRepo(r)]));
    for (const repo of this.repos.values()) {
      for (const file of repo.files.values()) {
        this.byHash.set(file.sha256, file);
      }
    }
  }

  setFaults(faults: StandInFault[]): void {
    this.faults = faults.map((fault) => ({ fault, left: 'times' in fault && fault.times !== undefined ? fault.times : fault.kind === 'reset' || fault.kind === 'stall' || fault.kind === 'wrong-hash' ? 1 : Infinity }));
  }

  repo(id: string): ServedRepo {
    const repo = this.repos.get(id);
    if (!repo) {
      throw new Error(`stand-in has no repository ${id}`);
    }
    return repo;
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const record = (status: number): void => {
      this.requests.push({ method: req.method ?? '', path: decodeURIComponent(url.pathname), range: req.headers.range, status, token: req.headers.authorization !== undefined, via: req.headers['x-test-proxy'] as string | undefined });
    };
    res.on('finish', () => record(res.statusCode));
    res.on('close', () => {
      if (!res.writableFinished) {
        record(res.statusCode);
      }
    });
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    const old = api?.[1] ?? resolve?.[1];
    if (old !== undefined && this.renamed[old] !== undefined) {
      res.writeHead(307, { Location: `${url.pathname.replace(old, this.renamed[old])}${url.search}` });
      res.end();
      return;
    }
    if (api) {
      this.api(req, res, api[1]!, api[2]!, decodeURIComponent(api[3]!), Number(url.searchParams.get('cursor') ?? 0));
    } else if (resolve) {
      this.resolve(req, res, resolve[1]!, decodeURIComponent(resolve[2]!), decodeURIComponent(resolve[3]!));
    } else if (cdn) {
      this.cdn(req, res, cdn[1]!);
    } else {
      this.fail(res, 404, 'EntryNotFound');
    }
  }

  private fail(res: http.ServerResponse, status: number, code: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': code });
    res.end(JSON.stringify({ error: code }));
  }

  /** The repository and commit a request may see, or undefined after answering the error. */
  private access(req: http.IncomingMessage, res: http.ServerResponse, id: string, revision: string): ServedRepo | undefined {
    const repo = this.repos.get(id);
    if (!repo) {
      // The Hub answers 401 to an anonymous request for a repository it does not have (it might be private).
      this.fail(res, req.headers.authorization === undefined ? 401 : 404, 'RepoNotFound');
      return undefined;
    }
    if (repo.token !== undefined && req.headers.authorization !== `Bearer ${repo.token}`) {
      this.fail(res, 401, 'GatedRepo');
      return undefined;
    }
    if (revision !== 'main' && revision !== repo.commit) {
      this.fail(res, 404, 'RevisionNotFound');
      return undefined;
    }
    return repo;
  }

  private api(req: http.IncomingMessage, res: http.ServerResponse, id: string, kind: string, revision: string, cursor: number): void {
    const repo = this.access(req, res, id, revision);
    if (!repo) {
      return;
    }
    const files = [...repo.files.values()];
    const body =
      kind === 'revision'
        ? { id: repo.id, sha: repo.commit, siblings: files.map((f) => ({ rfilename: f.path })) }
        : [
            ...[...new Set(files.filter((f) => f.path.includes('/')).map((f) => f.path.slice(0, f.path.lastIndexOf('/'))))].map((dir) => ({ type: 'directory', oid: gitOid(Buffer.from(dir)), size: 0, path: dir })),
            ...files.map((f) => ({
              type: 'file',
              oid: f.gitOid,
              size: f.content.length,
              path: f.path,
              ...(f.lfs ? { lfs: { oid: f.sha256, size: f.content.length, pointerSize: lfsPointer(f.sha256, f.content.length).length } } : {}),
            })),
          ];
    const page = Array.isArray(body) ? body.slice(cursor, cursor + this.pageSize) : body;
    const more = Array.isArray(body) && cursor + this.pageSize < body.length;
    const next = `${this.base()}/api/models/${id}/tree/${encodeURIComponent(revision)}?recursive=true&cursor=${cursor + this.pageSize}`;
    res.writeHead(200, { 'Content-Type': 'application/json', ...(more ? { Link: `<${next}>; rel="next"` } : {}) });
    res.end(JSON.stringify(page));
  }

  private takeFault<K extends StandInFault['kind']>(kind: K, file: string): Extract<StandInFault, { kind: K }> | undefined {
    const active = this.faults.find((f) => f.fault.kind === kind && f.left > 0 && (!('path' in f.fault) || f.fault.path === undefined || f.fault.path === file));
    if (!active) {
      return undefined;
    }
    if (kind !== 'throttle' && kind !== 'ignore-range') {
      active.left--;
    }
    return active.fault as Extract<StandInFault, { kind: K }>;
  }

  private resolve(req: http.IncomingMessage, res: http.ServerResponse, id: string, revision: string, file: string): void {
    const repo = this.access(req, res, id, revision);
    if (!repo) {
      return;
    }
    const served = repo.files.get(file);
    if (!served) {
      this.fail(res, 404, 'EntryNotFound');
      return;
    }
    const status = req.method === 'GET' ? this.takeFault('status', file) : undefined;
    if (status) {
      this.fail(res, status.status, 'ServerError');
      return;
    }
    if (served.lfs) {
      res.writeHead(302, {
        Location: `${this.cdnBase()}/cdn/${served.sha256}`,
        'X-Linked-Size': String(served.content.length),
        'X-Linked-Etag': `"${served.sha256}"`,
        ETag: `"${served.gitOid}"`,
        'X-Repo-Commit': repo.commit,
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    this.body(req, res, served, { ETag: `"${served.gitOid}"`, 'X-Repo-Commit': repo.commit });
  }

  private cdn(req: http.IncomingMessage, res: http.ServerResponse, sha256: string): void {
    const served = this.byHash.get(sha256);
    if (!served) {
      this.fail(res, 404, 'EntryNotFound');
      return;
    }
    const status = req.method === 'GET' ? this.takeFault('status', served.path) : undefined;
    if (status) {
      this.fail(res, status.status, 'ServerError');
      return;
    }
    this.body(req, res, served, { ETag: `"${served.sha256}"` });
  }

  private body(req: http.IncomingMessage, res: http.ServerResponse, served: ServedFile, headers: Record<string, string>): void {
    const size = served.content.length;
    const range = this.takeFault('ignore-range', served.path) ? undefined : parseRange(req.headers.range, size);
    if (range === 'unsatisfiable') {
      res.writeHead(416, { 'Content-Range': `bytes */${size}` });
      res.end();
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'Accept-Ranges': 'bytes',
      'Content-Length': String(end - start + 1),
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let content = served.content.subarray(start, end + 1);
    if (this.takeFault('wrong-hash', served.path)) {
      content = Buffer.from(content);
      content[content.length >> 1] = content[content.length >> 1]! ^ 0xff;
    }
    const reset = this.takeFault('reset', served.path);
    const stall = this.takeFault('stall', served.path);
    void this.stream(res, content, reset?.afterBytes ?? stall?.afterBytes, stall ? 'stall' : 'reset', this.takeFault('throttle', served.path)?.bytesPerSecond);
  }

  private async stream(res: http.ServerResponse, content: Buffer, resetAfter: number | undefined, how: 'reset' | 'stall', bytesPerSecond: number | undefined): Promise<void> {
    const chunk = bytesPerSecond !== undefined ? Math.max(1024, Math.floor(bytesPerSecond / 20)) : 256 * 1024;
    for (let offset = 0; offset < content.length && !res.destroyed; offset += chunk) {
      const piece = content.subarray(offset, Math.min(offset + chunk, resetAfter ?? Infinity, content.length));
      if (piece.length > 0 && !res.write(piece)) {
        await new Promise((r) => res.once('drain', r));
      }
      if (resetAfter !== undefined && offset + chunk >= resetAfter) {
        if (how === 'reset') {
          await new Promise((r) => setTimeout(r, 20));
          res.socket?.destroy();
        }
        return;
      }
      if (bytesPerSecond !== undefined) {
        await new Promise((r) => setTimeout(r, (piece.length / bytesPerSecond) * 1000));
      }
    }
    res.end();
  }
}

export async function startHubStandIn(options: HubStandInOptions = { repos: standardRepos() }): Promise<HubStandIn> {
  let base = '';
  let cdnBase = '';
  const standIn = new StandIn(options.repos, () => base, () => cdnBase, options.treePageSize ?? Infinity, options.renamed ?? {});
  const listen = async (): Promise<{ server: http.Server; url: string }> => {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => standIn.handle(req, res);
    const server = options.tls ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler) : http.createServer(handler);
    server.on('connection', () => standIn.connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}` };
  };
  const hubServer = await listen();
  const cdnServer = await listen();
  base = hubServer.url;
  cdnBase = cdnServer.url;
  const stop = (server: http.Server): Promise<void> =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: base,
    requests: standIn.requests,
    get connections() {
      return standIn.connections;
    },
    setFault: (...faults) => standIn.setFaults(faults),
    commitOf: (repo) => standIn.repo(repo).commit,
    sha256Of: (repo, file) => {
      const served = standIn.repo(repo).files.get(file);
      if (!served) {
        throw new Error(`stand-in repository ${repo} has no ${file}`);
      }
      return served.sha256;
    },
    cdnUrl: cdnBase,
    close: async () => {
      await Promise.all([stop(hubServer.server), stop(cdnServer.server)]);
    },
  };
}
