/**
 * Downloads a plan (some files of one repository revision) into a model folder.
 *
 * Files go to a staging folder beside the target (`<parent>/.<name>.download/`), at most
 * `concurrency` at a time, each as `<file>.part` until its size and hash are checked. Only when
 * every file is verified and the manifest written is the staging folder renamed to the target
 * (same file system, so the rename is atomic); a model folder is therefore complete or absent.
 * A cancelled, crashed or failed download leaves its `.part` files in the staging folder and
 * nothing at the target; the next download of the same target resumes them with `Range`.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { abortError, isAbortError } from '../common/errors';
import { isRetryable, ModelDownloadError } from './errors';
import { fetchFile, stagedPath, type FetchContext, type FetchJob, type WriteStreamFactory } from './fileFetch';
import { digestFile, FileDigest, sha256OfFile } from './hashing';
import { endpointOf, fileMetadata, type HubOptions } from './hubApi';
import { MANIFEST_FILE, readManifest, writeManifest, type ModelManifest } from './manifest';
import { checkRepoId, checkRepoPath, checkRevision } from './names';
import { runPool, sleep } from './pool';
import { lockStaging, makeStaging, moveIntoPlace, pruneStaging, removeIfEmpty, stagingFolder } from './staging';
import { ProgressMeter, type DownloadProgress } from './progress';

export interface PlannedFile {
  readonly path: string;
  /** Exact size when known from the Hub's metadata; null: taken from the Hub at download time. */
  readonly size: number | null;
  /** SHA-256 when known; null: the Hub's X-Linked-Etag (LFS) or git oid is checked instead. */
  readonly sha256: string | null;
}

export interface DownloadPlan {
  readonly repo: string;
  /** Branch, tag or (preferably) the commit; the manifest records the commit the Hub reports. */
  readonly revision: string;
  readonly files: readonly PlannedFile[];
  /** The ONNX variant the plan picked, recorded in the manifest. */
  readonly variant?: string;
}

export interface StatFs {
  readonly bavail: number;
  readonly bsize: number;
}

export interface DownloadOptions {
  readonly hub: HubOptions;
  /** The model folder to create (or replace once the new one is verified). */
  readonly target: string;
  /** Files fetched at once; default 4. */
  readonly concurrency?: number;
  /** Further attempts per file after a 5xx, a reset or a timeout; default 5. */
  readonly retries?: number;
  /** First backoff in milliseconds, doubled per attempt up to 30 s; default 500. */
  readonly backoffMs?: number;
  /** Bytes of free space to leave on the disk beyond the download; default 64 MiB. */
  readonly reserveBytes?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Test hooks: the part-file writer and the free-space probe (default fs.createWriteStream, fs.statfs). */
  readonly createWriteStream?: WriteStreamFactory;
  readonly statfs?: (dir: string) => Promise<StatFs>;
}

export interface DownloadResult {
  readonly dir: string;
  readonly manifest: ModelManifest;
  /** Files fetched over the network (resumed ones included). */
  readonly downloaded: readonly string[];
  /** Files taken from a previous copy at the target or in staging, after their hash matched. */
  readonly reused: readonly string[];
}

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_RETRIES = 5;
const DEFAULT_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
const DEFAULT_RESERVE = 64 * 1024 * 1024;

interface Resolved extends FetchJob {
  readonly commit: string | null;
}

function checkPlan(plan: DownloadPlan): void {
  checkRepoId(plan.repo);
  checkRevision(plan.revision);
  const seen = new Set<string>();
  for (const file of plan.files) {
    checkRepoPath(plan.repo, file.path);
    if (seen.has(file.path) || file.path === MANIFEST_FILE) {
      throw new ModelDownloadError('unsafe-path', `${plan.repo}: '${file.path}' is listed twice or is the manifest's name`);
    }
    seen.add(file.path);
  }
}

async function withRetries<T>(what: () => Promise<T>, options: DownloadOptions, signal: AbortSignal): Promise<T> {
  const retries = options.retries ?? DEFAULT_RETRIES;
  for (let attempt = 0; ; attempt++) {
    try {
      return await what();
    } catch (err) {
      if (signal.aborted) {
        throw abortError();
      }
      if (attempt >= retries || isAbortError(err) || !isRetryable(err)) {
        throw err;
      }
      await sleep(Math.min(MAX_BACKOFF_MS, (options.backoffMs ?? DEFAULT_BACKOFF_MS) * 2 ** attempt), signal);
    }
  }
}

async function resolveFile(plan: DownloadPlan, file: PlannedFile, options: DownloadOptions, signal: AbortSignal): Promise<Resolved> {
  const meta = await withRetries(() => fileMetadata(options.hub, plan.repo, plan.revision, file.path, signal), options, signal);
  const what = `${plan.repo}@${plan.revision}: ${file.path}`;
  if (file.size !== null && file.size !== meta.size) {
    throw new ModelDownloadError('integrity', `${what}: the catalog says ${file.size} bytes, the Hub says ${meta.size}: refresh the catalog`);
  }
  if (file.sha256 !== null && meta.sha256 !== null && file.sha256 !== meta.sha256) {
    throw new ModelDownloadError('integrity', `${what}: the catalog's SHA-256 differs from the Hub's: refresh the catalog`);
  }
  const sha256 = file.sha256 ?? meta.sha256;
  const gitOid = sha256 === null && /^[0-9a-f]{40}$/.test(meta.etag) ? meta.etag : null;
  return { path: file.path, size: meta.size, sha256, gitOid, url: meta.location, commit: meta.commit };
}

/** Whether `file` holds the job's bytes, by SHA-256 or, for small git files, by git oid. */
async function matches(file: string, job: Resolved): Promise<boolean> {
  const stat = await fs.lstat(file).catch(() => undefined);
  if (!stat?.isFile() || stat.size !== job.size || (job.sha256 === null && job.gitOid === null)) {
    return false;
  }
  const digest = new FileDigest(job.size, job.sha256 === null);
  await digestFile(file, digest);
  const { sha256, gitOid } = digest.digests();
  return job.sha256 !== null ? sha256 === job.sha256 : gitOid === job.gitOid;
}

/** A verified copy of the file already in staging or at the target: reused instead of fetched. */
async function reuse(job: Resolved, target: string, staging: string): Promise<boolean> {
  const staged = stagedPath(staging, job.path);
  for (const candidate of [staged, path.join(target, ...job.path.split('/'))]) {
    if (await matches(candidate, job)) {
      if (candidate !== staged) {
        await fs.mkdir(path.dirname(staged), { recursive: true });
        await fs.rm(staged, { force: true });
        // A hard link costs no space (staging and target share the file system); copy where links are refused.
        await fs.link(candidate, staged).catch(() => fs.copyFile(candidate, staged));
      }
      return true;
    }
  }
  return false;
}

async function partBytes(staging: string, jobs: readonly Resolved[]): Promise<number> {
  const sizes = await Promise.all(jobs.map((j) => fs.lstat(`${stagedPath(staging, j.path)}.part`).then((s) => (s.isFile() ? Math.min(s.size, j.size) : 0), () => 0)));
  return sizes.reduce((a, b) => a + b, 0);
}

async function checkDiskSpace(staging: string, needed: number, options: DownloadOptions): Promise<void> {
  const stat = await (options.statfs ?? fs.statfs)(staging);
  const free = stat.bavail * stat.bsize;
  const reserve = options.reserveBytes ?? DEFAULT_RESERVE;
  if (free < needed + reserve) {
    const mb = (n: number): string => `${Math.ceil(n / 1024 / 1024)} MB`;
    throw new ModelDownloadError('disk-full', `not enough disk space in ${path.dirname(staging)}: the download needs ${mb(needed)} (plus ${mb(reserve)} to spare), ${mb(free)} are free`);
  }
}

/**
 * The plan plus the files a verified folder of the same repository and commit already holds
 * at the target, so pulling a second variant adds to the folder instead of replacing it.
 */
async function withPreviousFiles(plan: DownloadPlan, target: string): Promise<{ plan: DownloadPlan; variants: string[] }> {
  const own = plan.variant !== undefined ? [plan.variant] : [];
  const read = await readManifest(target);
  if (read.kind !== 'ok' || read.manifest.repo !== plan.repo || read.manifest.revision !== plan.revision) {
    return { plan, variants: own };
  }
  const listed = new Set(plan.files.map((f) => f.path));
  const kept = read.manifest.files.filter((f) => !listed.has(f.path));
  return { plan: { ...plan, files: [...plan.files, ...kept] }, variants: [...new Set([...read.manifest.variants, ...own])] };
}

function manifestOf(plan: DownloadPlan, variants: readonly string[], jobs: readonly Resolved[], hub: HubOptions): ModelManifest {
  const commit = jobs.find((j) => j.commit !== null)?.commit ?? plan.revision;
  return {
    format: 1,
    repo: plan.repo,
    revision: commit,
    endpointHost: endpointOf(hub).host,
    variants,
    files: jobs.map((j) => ({ path: j.path, size: j.size, sha256: j.sha256! })),
    downloadedAt: new Date().toISOString(),
  };
}

async function fetchWithRetries(job: Resolved, ctx: FetchContext, options: DownloadOptions, signal: AbortSignal): Promise<void> {
  ctx.meter.started(job.path);
  let integrityRetried = false;
  await withRetries(
    async () => {
      try {
        await fetchFile(job, ctx, signal);
      } catch (err) {
        // One fresh download after a hash mismatch: a corrupted part or a glitch on the link, not a wrong catalog.
        if (err instanceof ModelDownloadError && err.reason === 'integrity' && !integrityRetried) {
          integrityRetried = true;
          throw new ModelDownloadError('network', err.message, { cause: err });
        }
        throw err;
      }
    },
    options,
    signal,
  );
  ctx.meter.finished(job.path);
}

/** Splits the jobs into those a verified local copy satisfies and those to fetch. */
async function sortReusable(jobs: readonly Resolved[], target: string, staging: string, concurrency: number, signal: AbortSignal): Promise<{ reused: Resolved[]; toFetch: Resolved[] }> {
  const flags = await runPool(jobs, concurrency, (job) => reuse(job, target, staging), signal);
  return { reused: jobs.filter((_, i) => flags[i]), toFetch: jobs.filter((_, i) => !flags[i]) };
}

function startMeter(jobs: readonly Resolved[], reused: readonly Resolved[], report: DownloadOptions['onProgress']): ProgressMeter {
  const meter = new ProgressMeter(
    jobs.reduce((sum, j) => sum + j.size, 0),
    jobs.length,
    report,
  );
  for (const job of reused) {
    meter.present(job.size);
    meter.finished(job.path);
  }
  return meter;
}

/** The manifest of the verified staging folder, written into it once stray files are gone. */
async function finishStaging(plan: DownloadPlan, variants: readonly string[], jobs: readonly Resolved[], staging: string, hub: HubOptions): Promise<ModelManifest> {
  const withDigests = await Promise.all(jobs.map(async (j) => ({ ...j, sha256: j.sha256 ?? (await sha256OfFile(stagedPath(staging, j.path), j.size)) })));
  const manifest = manifestOf(plan, variants, withDigests, hub);
  await pruneStaging(staging, new Set(jobs.map((j) => j.path)));
  await writeManifest(staging, manifest);
  return manifest;
}

async function downloadLocked(asked: DownloadPlan, target: string, staging: string, options: DownloadOptions, signal: AbortSignal): Promise<DownloadResult> {
  const { plan, variants } = await withPreviousFiles(asked, target);
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const jobs = await runPool(plan.files, concurrency, (file, s) => resolveFile(plan, file, options, s), signal);
  const { reused, toFetch } = await sortReusable(jobs, target, staging, concurrency, signal);
  await checkDiskSpace(staging, toFetch.reduce((sum, j) => sum + j.size, 0) - (await partBytes(staging, toFetch)), options);
  const meter = startMeter(jobs, reused, options.onProgress);
  const ctx: FetchContext = { hub: options.hub, staging, meter, ...(options.createWriteStream ? { createWriteStream: options.createWriteStream } : {}) };
  await runPool(toFetch, concurrency, (job, s) => fetchWithRetries(job, ctx, options, s), signal);
  const manifest = await finishStaging(plan, variants, jobs, staging, options.hub);
  if (signal.aborted) {
    throw abortError();
  }
  await moveIntoPlace(staging, target);
  return { dir: target, manifest, downloaded: toFetch.map((j) => j.path), reused: reused.map((j) => j.path) };
}

/** Downloads, verifies and moves a plan's files into `options.target`; see the file comment. */
export async function downloadModel(plan: DownloadPlan, options: DownloadOptions): Promise<DownloadResult> {
  checkPlan(plan);
  const signal = options.signal ?? new AbortController().signal;
  const target = path.resolve(options.target);
  const staging = stagingFolder(target);
  await makeStaging(staging);
  const release = await lockStaging(staging);
  try {
    return await downloadLocked(plan, target, staging, options, signal);
  } finally {
    await removeIfEmpty(staging);
    await release();
  }
}

export { stagingFolder };
