/**
 * Conversations of one workspace in one JSON file. Writes are atomic (temporary file, then
 * rename), so a crash leaves either the old or the new file.
 *
 * Several windows can share the file (every window without a folder uses the global one), so a
 * save never simply overwrites it: under a lock file it re-reads what another window wrote since
 * this one last looked, and merges by conversation id. The union is kept, the newer `updatedAt`
 * wins for a conversation both have, and only a conversation this window had and no longer has
 * (deleted here) is left out.
 */
import { randomUUID } from 'node:crypto';
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { withFileLock } from './fileLock';
import { HISTORY_FORMAT, readHistoryFile, type HistoryFile } from './historyFile';
import type { Conversation } from './types';

export { HISTORY_FORMAT } from './historyFile';

export interface LoadedHistory {
  conversations: Conversation[];
  /** Set when the file had to be moved aside, lost malformed parts, or could not be used. */
  problem?: string;
}

/** While an answer streams, the wait between saves grows with the file: each save rewrites all of it (ms per MB). */
export const STREAM_SAVE_MS_PER_MB = 200;

/** How long a streaming answer waits between saves of a history of `bytes` (ms). */
export function streamingSaveIntervalMs(baseMs: number, bytes: number): number {
  return Math.max(baseMs, (bytes / (1 << 20)) * STREAM_SAVE_MS_PER_MB);
}

/** Identifies one version of the file: every save replaces it with a new inode. */
interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

function stampOf(stat: Stats): FileStamp {
  return { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs };
}

function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  return a !== undefined && b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/** Where the history lives when its path is taken by a directory; the same for every window. */
function siblingOf(file: string): string {
  return path.join(path.dirname(file), `${path.basename(file, '.json')}.fallback.json`);
}

async function isDirectory(file: string): Promise<boolean> {
  return (await fs.stat(file).catch(() => undefined))?.isDirectory() ?? false;
}

export class HistoryStore {
  private writing: Promise<void> = Promise.resolve();
  private target: string;
  /** Set when no file can be used: the history then lives in memory for this window. */
  private memoryOnly = false;
  /** Ids of the conversations this window has; one that disappears from it was deleted here. */
  private known = new Set<string>();
  /** The file as this window last read or wrote it; another stamp means another window saved. */
  private seen: FileStamp | undefined;
  private size = 0;

  constructor(private readonly requested: string) {
    this.target = requested;
  }

  /** The file the history is kept in: the requested one, or its sibling when that is a directory. */
  get file(): string {
    return this.target;
  }

  /** Size of the history file as last read or written (bytes). */
  get bytes(): number {
    return this.size;
  }

  async load(): Promise<LoadedHistory> {
    const moved = await this.chooseTarget();
    if (this.memoryOnly) {
      return { conversations: [], problem: moved };
    }
    let read;
    try {
      read = await readHistoryFile(this.target);
    } catch (err) {
      this.memoryOnly = true;
      return { conversations: [], problem: `Chat history ${this.target} cannot be read (${(err as Error).message}); this window keeps its chats in memory only.` };
    }
    this.known = new Set(read.conversations.map((c) => c.id));
    this.size = read.bytes;
    this.seen = await this.stamp();
    const problem = [moved, read.problem].filter(Boolean).join(' ');
    return problem ? { conversations: read.conversations, problem } : { conversations: read.conversations };
  }

  /** Saves are serialized so that an older snapshot never overwrites a newer one. */
  save(conversations: readonly Conversation[]): Promise<void> {
    const ours = [...conversations];
    const next = this.writing.then(async () => {
      if (this.memoryOnly) {
        return;
      }
      await fs.mkdir(path.dirname(this.target), { recursive: true });
      await withFileLock(`${this.target}.lock`, () => this.mergeAndWrite(ours));
    });
    this.writing = next.catch(() => undefined);
    return next;
  }

  private async chooseTarget(): Promise<string | undefined> {
    if (!(await isDirectory(this.requested))) {
      this.target = this.requested;
      return undefined;
    }
    const sibling = siblingOf(this.requested);
    if (await isDirectory(sibling)) {
      this.memoryOnly = true;
      return `Chat history ${this.requested} and ${sibling} are directories (left as they are); this window keeps its chats in memory only.`;
    }
    this.target = sibling;
    return `Chat history ${this.requested} is a directory (left as it is); the history is kept in ${sibling} instead.`;
  }

  private async mergeAndWrite(ours: Conversation[]): Promise<void> {
    const merged = mergeConversations(ours, await this.othersSince(), this.known);
    const body: HistoryFile = { format: HISTORY_FORMAT, conversations: merged };
    const text = JSON.stringify(body);
    const tmp = `${this.target}.${process.pid}-${randomUUID().slice(0, 8)}.tmp`;
    await fs.writeFile(tmp, text, 'utf8');
    await fs.rename(tmp, this.target);
    this.known = new Set(ours.map((c) => c.id));
    this.size = Buffer.byteLength(text);
    this.seen = await this.stamp();
  }

  /** What another window saved since this one last read or wrote the file; nothing when unchanged. */
  private async othersSince(): Promise<Conversation[]> {
    const now = await this.stamp();
    if (now === undefined || sameStamp(now, this.seen)) {
      return [];
    }
    return (await readHistoryFile(this.target)).conversations;
  }

  private async stamp(): Promise<FileStamp | undefined> {
    const stat = await fs.stat(this.target).catch(() => undefined);
    return stat ? stampOf(stat) : undefined;
  }
}

/**
 * Ours, each replaced by the file's version when that is newer, then the file's conversations
 * this window never had. One this window had and dropped was deleted here and stays out.
 */
export function mergeConversations(ours: readonly Conversation[], onDisk: readonly Conversation[], known: ReadonlySet<string>): Conversation[] {
  const disk = new Map(onDisk.map((c) => [c.id, c]));
  const oursIds = new Set(ours.map((c) => c.id));
  const merged = ours.map((c) => {
    const theirs = disk.get(c.id);
    return theirs && theirs.updatedAt > c.updatedAt ? theirs : c;
  });
  const foreign = onDisk.filter((c) => !oursIds.has(c.id) && !known.has(c.id));
  return [...merged, ...foreign];
}
