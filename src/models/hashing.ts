import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * The digests a downloaded file is checked against: SHA-256 of the content (the Hub's LFS oid),
 * and the git blob sha1 (`sha1("blob <size>\0" + content)`), which is all the Hub publishes for
 * the small files it keeps in git.
 */
export class FileDigest {
  private readonly sha256: Hash = createHash('sha256');
  private readonly gitSha1: Hash | undefined;

  /** `withGitOid` false skips the sha1 where a SHA-256 is known (LFS files, the large ones). */
  constructor(size: number, withGitOid = true) {
    this.gitSha1 = withGitOid ? createHash('sha1').update(`blob ${size}\0`) : undefined;
  }

  update(chunk: Buffer): void {
    this.sha256.update(chunk);
    this.gitSha1?.update(chunk);
  }

  digests(): { sha256: string; gitOid: string | undefined } {
    return { sha256: this.sha256.digest('hex'), gitOid: this.gitSha1?.digest('hex') };
  }
}

/** Feeds a file's first `length` bytes (all by default) to `digest`. */
export async function digestFile(file: string, digest: FileDigest, length?: number): Promise<void> {
  if (length === 0) {
    return;
  }
  const stream = createReadStream(file, length === undefined ? {} : { start: 0, end: length - 1 });
  for await (const chunk of stream) {
    digest.update(chunk as Buffer);
  }
}

export async function sha256OfFile(file: string, size: number): Promise<string> {
  const digest = new FileDigest(size);
  await digestFile(file, digest);
  return digest.digests().sha256;
}
