/**
 * Bounded reads of a model folder's metadata files. A model folder may come from anywhere (a
 * download, a shared drive), so a file where config.json should be may be a FIFO that never
 * ends, a device, or hundreds of megabytes: each is refused before it is read, with a
 * ModelLoadError naming the file and the limit.
 */
import * as path from 'node:path';
import { ModelLoadError } from '../common/errors';
import { readRegularFile } from '../common/regularFile';

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

/** The UTF-8 text of `file`, or undefined when it does not exist; anything but a regular file of at most `limit` bytes is a ModelLoadError. */
export async function readModelText(file: string, limit = modelFileLimit(path.basename(file))): Promise<string | undefined> {
  // Links are followed on purpose: Hugging Face cache folders link every file to a blob; the
  // target must still be a regular file within the limit.
  const read = await readRegularFile(file, limit, { followLinks: true });
  switch (read.kind) {
    case 'text':
      return read.text;
    case 'missing':
      return undefined;
    case 'not-a-file':
    case 'link':
      throw new ModelLoadError(file, 'is not a regular file (a FIFO, device, socket or folder is refused)', 'not-a-file');
    case 'too-large':
      throw tooLarge(file, read.size, limit);
    case 'changed':
      throw new ModelLoadError(file, 'changed while it was being read', 'unreadable-file');
    case 'unreadable':
      throw new ModelLoadError(file, `cannot be read: ${read.error.message}`, 'unreadable-file', { cause: read.error });
    default: {
      const never: never = read;
      throw new Error(`unexpected read outcome ${JSON.stringify(never)}`);
    }
  }
}
