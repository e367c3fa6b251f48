/**
 * Bounded reads of a model folder's metadata files. A model folder may come from anywhere (a
 * download, a shared drive), so a file where config.json should be may be a FIFO that never
 * ends, a device, or hundreds of megabytes: each is refused before it is read, with a
 * ModelLoadError naming the file and the limit.
 */
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../common/errors';

const MiB = 1024 * 1024;

/** Largest config.json, generation_config.json, tokenizer_config.json, chat_template.jinja or special_tokens_map.json: 4 MiB (real ones are a few KB; a long chat template stays under 100 KB). */
export const METADATA_FILE_LIMIT = 4 * MiB;

/** Largest tokenizer.json: 64 MiB (a 256k-token vocabulary with its merges is about 20 MB). */
export const TOKENIZER_FILE_LIMIT = 64 * MiB;

const LIMITS: Readonly<Record<string, number>> = { 'tokenizer.json': TOKENIZER_FILE_LIMIT };

/** The size limit of the metadata file `name` (a base name) in bytes. */
export function modelFileLimit(name: string): number {
  return LIMITS[name] ?? METADATA_FILE_LIMIT;
}

function describeLimit(limit: number): string {
  return limit % MiB === 0 ? `${limit} bytes (${limit / MiB} MiB)` : `${limit} bytes`;
}

function tooLarge(file: string, size: number | undefined, limit: number): ModelLoadError {
  const found = size === undefined ? 'more' : `${size} bytes`;
  return new ModelLoadError(file, `is ${found}, over the limit of ${describeLimit(limit)} for this file`, 'file-too-large');
}

const notAFile = (file: string): ModelLoadError => new ModelLoadError(file, 'is not a regular file (a FIFO, device, socket or folder is refused)', 'not-a-file');

const unreadable = (file: string, err: unknown): ModelLoadError => new ModelLoadError(file, `cannot be read: ${(err as Error).message}`, 'unreadable-file', { cause: err });

/**
 * The checks before opening. `stat` follows a symbolic link on purpose: Hugging Face cache folders
 * link every file to a blob; the target must still be a regular file within the limit.
 */
async function checkPath(file: string, limit: number): Promise<boolean> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return false;
    }
    throw unreadable(file, err);
  }
  if (!stat.isFile()) {
    throw notAFile(file);
  }
  if (stat.size > limit) {
    throw tooLarge(file, stat.size, limit);
  }
  return true;
}

/**
 * Reads at most `size + 1 <= limit + 1` bytes from an open regular file. The file is checked
 * again on its descriptor, since the path may have been swapped between the check and the open.
 */
async function readOpen(handle: fs.FileHandle, file: string, limit: number): Promise<string> {
  const stat = await handle.stat();
  if (!stat.isFile()) {
    throw notAFile(file);
  }
  if (stat.size > limit) {
    throw tooLarge(file, stat.size, limit);
  }
  // One byte more than the file should hold, to notice a file that grew after the check.
  const buffer = Buffer.alloc(stat.size + 1);
  let length = 0;
  let bytesRead = -1;
  while (bytesRead !== 0 && length < buffer.length) {
    ({ bytesRead } = await handle.read(buffer, length, buffer.length - length, length));
    length += bytesRead;
  }
  if (length > stat.size) {
    throw new ModelLoadError(file, 'changed while it was being read', 'unreadable-file');
  }
  return buffer.subarray(0, length).toString('utf8');
}

/** O_NONBLOCK so that opening a FIFO returns at once instead of waiting for a writer; Windows has no such flag (nor FIFOs in a folder). */
const OPEN_FLAGS = constants.O_RDONLY | (typeof constants.O_NONBLOCK === 'number' ? constants.O_NONBLOCK : 0);

/** The UTF-8 text of `file`, or undefined when it does not exist; anything but a regular file of at most `limit` bytes is a ModelLoadError. */
export async function readModelText(file: string, limit = modelFileLimit(path.basename(file))): Promise<string | undefined> {
  if (!(await checkPath(file, limit))) {
    return undefined;
  }
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, OPEN_FLAGS);
  } catch (err) {
    throw unreadable(file, err);
  }
  try {
    return await readOpen(handle, file, limit);
  } catch (err) {
    throw err instanceof ModelLoadError ? err : unreadable(file, err);
  } finally {
    await handle.close();
  }
}
