import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * Reading and writing the files a prompt pack names. A pack comes from a pull request as often as
 * from its author, so every file must stay inside the pack folder, be a regular file, and be small:
 * a link to /proc/self/environ, a FIFO or /dev/zero is refused with a reason, never read.
 */

/** Largest pack.json read, in bytes. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** Largest golden test file (tests/*.json) read, in bytes. */
export const MAX_TEST_FILE_BYTES = 1024 * 1024;
/** Largest expected output of a golden case read, in bytes: rendered prompts may hold whole files. */
export const MAX_EXPECTED_BYTES = 8 * 1024 * 1024;
/** Largest lock file read, in bytes: one entry per template of every pack of a repository. */
export const MAX_LOCK_BYTES = 4 * 1024 * 1024;

/** Where a platform lacks a flag (Windows has neither), the lstat and fstat checks still apply. */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

export type FileProblemCode = 'missing' | 'outside-pack' | 'not-a-file' | 'file-too-large' | 'unreadable';

export interface FileProblem {
  readonly code: FileProblemCode;
  readonly message: string;
}

export type FileRead = { readonly text: string; readonly problem?: undefined } | { readonly text?: undefined; readonly problem: FileProblem };

function problem(code: FileProblemCode, message: string): { problem: FileProblem } {
  return { problem: { code, message } };
}

function isInside(root: string, real: string): boolean {
  const rel = path.relative(root, real);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function errorCode(err: unknown): string | undefined {
  return (err as { code?: unknown }).code as string | undefined;
}

function describeKind(stat: { isSymbolicLink(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stat.isSymbolicLink()) {
    return 'a link';
  }
  if (stat.isDirectory()) {
    return 'a folder';
  }
  if (stat.isFIFO()) {
    return 'a named pipe';
  }
  if (stat.isSocket()) {
    return 'a socket';
  }
  return stat.isCharacterDevice() || stat.isBlockDevice() ? 'a device' : 'not a regular file';
}

/**
 * The real path of `file` when it and every folder above it resolve inside `realRoot` (the
 * pack's real path); a problem otherwise. Resolving first also settles `..` segments and links
 * that stay inside the pack, which are allowed.
 */
async function resolveInside(realRoot: string, file: string): Promise<{ real: string } | { problem: FileProblem }> {
  try {
    const real = await fs.realpath(file);
    if (!isInside(realRoot, real)) {
      return problem('outside-pack', 'this file is a link to a file outside the pack; packs may only use their own files');
    }
    return { real };
  } catch (err) {
    return errorCode(err) === 'ENOENT' ? problem('missing', 'file does not exist') : problem('unreadable', `cannot read file: ${(err as Error).message}`);
  }
}

/** Reads at most `maxBytes + 1` bytes from an open regular file, so a file growing while read is still caught. */
async function readCapped(handle: fs.FileHandle, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - total));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) {
      return Buffer.concat(chunks, total);
    }
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > maxBytes) {
      return undefined;
    }
  }
}

/** Opens without following a final link and without blocking on a pipe, then reads if it is a small regular file. */
async function readRegular(real: string, maxBytes: number): Promise<FileRead> {
  const before = await fs.lstat(real);
  if (!before.isFile()) {
    return problem('not-a-file', `this is ${describeKind(before)}, not a regular file; it is not read`);
  }
  if (before.size > maxBytes) {
    return problem('file-too-large', `file is ${before.size} bytes, over the limit of ${maxBytes}`);
  }
  const handle = await fs.open(real, READ_FLAGS);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      return problem('not-a-file', `this is ${describeKind(stat)}, not a regular file; it is not read`);
    }
    const bytes = await readCapped(handle, maxBytes);
    return bytes ? { text: bytes.toString('utf8') } : problem('file-too-large', `file is over the limit of ${maxBytes} bytes`);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a file of the pack whose real path is `realRoot`. Never throws, never blocks on a pipe or
 * device, never reads more than `maxBytes + 1` bytes.
 */
export async function readPackFile(realRoot: string, file: string, maxBytes: number): Promise<FileRead> {
  const resolved = await resolveInside(realRoot, file);
  if ('problem' in resolved) {
    return resolved;
  }
  return readLocalFile(resolved.real, maxBytes);
}

/** Reads a regular file that need not be in a pack (the lock file), with the same refusals. */
export async function readLocalFile(file: string, maxBytes: number): Promise<FileRead> {
  try {
    return await readRegular(file, maxBytes);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') {
      return problem('missing', 'file does not exist');
    }
    if (errorCode(err) === 'ELOOP') {
      return problem('not-a-file', 'this is a link; it is not followed');
    }
    return problem('unreadable', `cannot read file: ${(err as Error).message}`);
  }
}

/** The real path of a pack folder, or the folder itself when it cannot be resolved (then every read fails). */
export async function realPackRoot(dir: string): Promise<string> {
  try {
    return await fs.realpath(dir);
  } catch {
    return path.resolve(dir);
  }
}

/**
 * Replaces `file` with `text` through a new file in the same folder and a rename, so that a link
 * or a special file at `file` is never written through. `realRoot`, when given, is the pack the
 * file must stay inside. Returns a problem instead of writing when the target is not a plain file.
 */
export async function writeFileSafely(file: string, text: string, realRoot?: string): Promise<FileProblem | undefined> {
  const dir = path.dirname(path.resolve(file));
  if (realRoot !== undefined) {
    const folder = await resolveInside(realRoot, dir);
    if ('problem' in folder) {
      return folder.problem;
    }
  }
  try {
    const stat = await fs.lstat(file);
    if (!stat.isFile()) {
      return { code: 'not-a-file', message: `this is ${describeKind(stat)}, not a regular file; it is not written` };
    }
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') {
      return { code: 'unreadable', message: `cannot check file: ${(err as Error).message}` };
    }
  }
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(temp, text, { encoding: 'utf8', flag: 'wx' });
    await fs.rename(temp, file);
    return undefined;
  } catch (err) {
    await fs.rm(temp, { force: true });
    return { code: 'unreadable', message: `cannot write file: ${(err as Error).message}` };
  }
}
