import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describeKind, readRegularFile } from '../common/regularFile';

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

/** Reads a regular file that need not be in a pack (the lock file), with the same refusals; a final link is not followed. */
export async function readLocalFile(file: string, maxBytes: number): Promise<FileRead> {
  const read = await readRegularFile(file, maxBytes, { followLinks: false });
  switch (read.kind) {
    case 'text':
      return { text: read.text };
    case 'missing':
      return problem('missing', 'file does not exist');
    case 'link':
      return problem('not-a-file', 'this is a link; it is not followed');
    case 'not-a-file':
      return problem('not-a-file', `this is ${read.what}, not a regular file; it is not read`);
    case 'too-large':
      return problem('file-too-large', read.size === undefined ? `file is over the limit of ${maxBytes} bytes` : `file is ${read.size} bytes, over the limit of ${maxBytes}`);
    case 'changed':
      return problem('unreadable', 'cannot read file: it changed while it was being read');
    case 'unreadable':
      return problem('unreadable', `cannot read file: ${read.error.message}`);
    default: {
      const never: never = read;
      throw new Error(`unexpected read outcome ${JSON.stringify(never)}`);
    }
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
