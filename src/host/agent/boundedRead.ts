/**
 * Reads at most a given number of bytes from the start of a workspace file. Unlike
 * common/regularFile.ts, a file over the limit is not refused: its start is returned with its
 * full size, so that a tool can show it with a note. A folder, pipe or device is refused, a
 * pipe without waiting for a writer, and a file with NUL bytes near its start is called binary.
 */
import { constants, promises as fs } from 'node:fs';
import { describeKind } from '../../common/regularFile';

export type FileStart =
  | { readonly kind: 'text'; readonly text: string; readonly size: number; readonly truncated: boolean }
  | { readonly kind: 'binary'; readonly size: number }
  | { readonly kind: 'not-a-file'; readonly what: string }
  | { readonly kind: 'missing' };

const NONBLOCK = constants.O_NONBLOCK ?? 0;
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const BINARY_PROBE_BYTES = 8192;

/** Decodes a read cut at the limit; in stream mode a character cut at the end is left out, not garbled. */
function decodeTruncated(bytes: Buffer): string {
  return new TextDecoder('utf-8').decode(bytes, { stream: true });
}

/** `real` must be a real path (no link on the way): a final link is refused, not followed. */
export async function readFileStart(real: string, maxBytes: number): Promise<FileStart> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(real, constants.O_RDONLY | NONBLOCK | NOFOLLOW);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') {
      return { kind: 'missing' };
    }
    if (code === 'ELOOP') {
      return { kind: 'not-a-file', what: 'a link' };
    }
    if (code === 'EISDIR') {
      return { kind: 'not-a-file', what: 'a folder' };
    }
    throw err;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      return { kind: 'not-a-file', what: describeKind(stat) };
    }
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes));
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) {
      ({ bytesRead: n } = await handle.read(buffer, length, buffer.length - length, length));
    }
    const bytes = buffer.subarray(0, length);
    if (bytes.subarray(0, BINARY_PROBE_BYTES).includes(0)) {
      return { kind: 'binary', size: stat.size };
    }
    const truncated = stat.size > length;
    return { kind: 'text', text: truncated ? decodeTruncated(bytes) : bytes.toString('utf8'), size: stat.size, truncated };
  } finally {
    await handle.close();
  }
}
