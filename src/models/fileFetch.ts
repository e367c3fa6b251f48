/**
 * One file of a download: fetched into `<staging>/<path>.part`, resumed from the part's length
 * with `Range: bytes=N-` (kept only when the server answers 206 with a Content-Range starting
 * at N; a 200 means the server ignored the range, and the file starts over), hashed while it
 * is written, checked for size and SHA-256 (or the git blob sha1 for small files the Hub keeps
 * in git), and only then renamed to `<staging>/<path>`.
 */
import { createWriteStream, promises as fs } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import * as path from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ModelDownloadError } from './errors';
import { digestFile, FileDigest } from './hashing';
import { openFile, type HubOptions } from './hubApi';
import type { ProgressMeter } from './progress';

/** Opens the writer of a part file; a hook so tests can inject write errors such as ENOSPC. */
export type WriteStreamFactory = (file: string, options: { flags: 'w' | 'a' }) => Writable;

/** A file whose size and expected digest are known (from the plan or the Hub's headers). */
export interface FetchJob {
  readonly path: string;
  readonly size: number;
  /** Expected SHA-256; null when only the git oid is known. */
  readonly sha256: string | null;
  /** Expected git blob sha1, checked when there is no sha256. */
  readonly gitOid: string | null;
  /** Where to GET the bytes (resolve URL or the CDN location). */
  readonly url: URL;
}

export interface FetchContext {
  readonly hub: HubOptions;
  readonly staging: string;
  readonly meter: ProgressMeter;
  readonly createWriteStream?: WriteStreamFactory;
}

export function stagedPath(staging: string, file: string): string {
  return path.join(staging, ...file.split('/'));
}

/** Length of a regular part file, or 0 (anything else at that name is removed). */
async function partLength(part: string, size: number): Promise<number> {
  const stat = await fs.lstat(part).catch(() => undefined);
  if (stat?.isFile() && stat.size <= size) {
    return stat.size;
  }
  if (stat) {
    await fs.rm(part, { recursive: true, force: true });
  }
  return 0;
}

function rangeStart(res: IncomingMessage): number | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
  return match ? Number(match[1]) : undefined;
}

function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG';
}

function expectDigest(job: FetchJob, digest: FileDigest, written: number): void {
  if (written !== job.size) {
    throw new ModelDownloadError('network', `${job.path}: got ${written} of ${job.size} bytes`);
  }
  const { sha256, gitOid } = digest.digests();
  if (job.sha256 !== null ? sha256 !== job.sha256 : job.gitOid !== null && gitOid !== job.gitOid) {
    throw new ModelDownloadError('integrity', `${job.path}: the downloaded bytes do not match the Hub's ${job.sha256 !== null ? 'SHA-256' : 'git oid'}`);
  }
}

/** Which byte the response starts at: `start` when the range was honoured, 0 when the server sent the whole file. */
function responseOffset(res: IncomingMessage, start: number, job: FetchJob): number {
  if (res.statusCode === 206) {
    if (rangeStart(res) !== start) {
      res.resume();
      throw new ModelDownloadError('network', `${job.path}: the server answered a range other than bytes=${start}-`);
    }
    return start;
  }
  return 0;
}

/** Streams the body into the part file (appending from `offset`), hashing and counting it; returns the bytes the part holds. */
async function writeBody(res: IncomingMessage, part: string, offset: number, job: FetchJob, ctx: FetchContext, digest: FileDigest, signal: AbortSignal): Promise<number> {
  let written = offset;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      written += chunk.length;
      if (written > job.size) {
        done(new ModelDownloadError('integrity', `${job.path}: the server sent more than the ${job.size} bytes the Hub lists`));
        return;
      }
      digest.update(chunk);
      ctx.meter.received(chunk.length);
      done(null, chunk);
    },
  });
  const writer = (ctx.createWriteStream ?? createWriteStream)(part, { flags: offset > 0 ? 'a' : 'w' });
  try {
    await pipeline(res, count, writer, { signal });
  } catch (err) {
    ctx.meter.discarded(written);
    if (isDiskFull(err)) {
      throw new ModelDownloadError('disk-full', `no space left while writing ${job.path} into ${ctx.staging}: free some space and pull again (the download resumes)`, { cause: err });
    }
    throw err;
  }
  return written;
}

/** Downloads one file into the staging folder (resuming a part), verifies it and renames it into place there. */
export async function fetchFile(job: FetchJob, ctx: FetchContext, signal: AbortSignal): Promise<void> {
  const final = stagedPath(ctx.staging, job.path);
  const part = `${final}.part`;
  await fs.mkdir(path.dirname(final), { recursive: true });
  const start = await partLength(part, job.size);
  const res = await openFile(ctx.hub, job.url, start, job.path, signal);
  if (res.statusCode === 416) {
    res.resume();
    await fs.rm(part, { force: true });
    throw new ModelDownloadError('network', `${job.path}: the server refused the range bytes=${start}-; starting over`);
  }
  const offset = responseOffset(res, start, job);
  const digest = new FileDigest(job.size, job.sha256 === null);
  await digestFile(part, digest, offset);
  ctx.meter.present(offset);
  const written = await writeBody(res, part, offset, job, ctx, digest, signal);
  try {
    expectDigest(job, digest, written);
  } catch (err) {
    ctx.meter.discarded(written);
    if (err instanceof ModelDownloadError && err.reason === 'integrity') {
      await fs.rm(part, { force: true });
    }
    throw err;
  }
  await fs.rename(part, final);
}
