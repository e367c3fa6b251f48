/**
 * A bounded read of a file that must be a regular file: what a model folder, a prompt pack or
 * any other folder the user did not write may name as a file can be a FIFO that never ends, a
 * device, or hundreds of megabytes. Each is refused before it is read; callers turn the outcome
 * into their own errors or diagnostics.
 */
import { constants, promises as fs, type Stats } from 'node:fs';

export type RegularFileRead =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'missing' }
  /** `what` names what was found instead, e.g. 'a named pipe'. */
  | { readonly kind: 'not-a-file'; readonly what: string }
  /** `size` is undefined when the size was found only by reading past the limit. */
  | { readonly kind: 'too-large'; readonly size: number | undefined }
  /** The file held more than its size said while it was read (it grew, or it is a /proc-like file). */
  | { readonly kind: 'changed' }
  /** A final symbolic link that `followLinks: false` does not follow. */
  | { readonly kind: 'link' }
  | { readonly kind: 'unreadable'; readonly error: Error };

export interface RegularFileOptions {
  /** Follow a final symbolic link (its target must still be a regular file within the limit). */
  readonly followLinks: boolean;
}

/** Where a platform lacks a flag (Windows has neither), the stat and fstat checks still apply. */
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** What a non-regular file is, for messages. */
export function describeKind(stat: Pick<Stats, 'isSymbolicLink' | 'isDirectory' | 'isFIFO' | 'isSocket' | 'isCharacterDevice' | 'isBlockDevice'>): string {
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

function errorCode(err: unknown): string | undefined {
  return (err as { code?: unknown }).code as string | undefined;
}

/** The stat checks, on the path before opening and again on the open descriptor. */
function checkStat(stat: Stats, maxBytes: number): RegularFileRead | undefined {
  if (!stat.isFile()) {
    return { kind: 'not-a-file', what: describeKind(stat) };
  }
  return stat.size > maxBytes ? { kind: 'too-large', size: stat.size } : undefined;
}

/**
 * Reads at most `min(size, maxBytes) + 1` bytes: one byte more than the file should hold, to
 * notice one that holds more than its size said.
 */
async function readOpen(handle: fs.FileHandle, size: number, maxBytes: number): Promise<RegularFileRead> {
  const buffer = Buffer.alloc(Math.min(size, maxBytes) + 1);
  let length = 0;
  let bytesRead = -1;
  while (bytesRead !== 0 && length < buffer.length) {
    ({ bytesRead } = await handle.read(buffer, length, buffer.length - length, length));
    length += bytesRead;
  }
  if (length > maxBytes) {
    return { kind: 'too-large', size: undefined };
  }
  if (length > size) {
    return { kind: 'changed' };
  }
  return { kind: 'text', text: buffer.subarray(0, length).toString('utf8') };
}

async function readChecked(file: string, maxBytes: number, options: RegularFileOptions): Promise<RegularFileRead> {
  const refused = checkStat(await (options.followLinks ? fs.stat(file) : fs.lstat(file)), maxBytes);
  if (refused) {
    return refused;
  }
  // O_NONBLOCK: opening a FIFO swapped in after the check returns at once instead of waiting for a writer.
  const handle = await fs.open(file, constants.O_RDONLY | NONBLOCK | (options.followLinks ? 0 : NOFOLLOW));
  try {
    const stat = await handle.stat();
    return checkStat(stat, maxBytes) ?? (await readOpen(handle, stat.size, maxBytes));
  } finally {
    await handle.close();
  }
}

/** The UTF-8 text of `file` if it is a regular file of at most `maxBytes` bytes; never throws, never blocks on a pipe. */
export async function readRegularFile(file: string, maxBytes: number, options: RegularFileOptions): Promise<RegularFileRead> {
  try {
    return await readChecked(file, maxBytes, options);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT') {
      return { kind: 'missing' };
    }
    if (code === 'ELOOP' && !options.followLinks) {
      return { kind: 'link' };
    }
    return { kind: 'unreadable', error: err instanceof Error ? err : new Error(String(err)) };
  }
}
