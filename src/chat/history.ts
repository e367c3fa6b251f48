/**
 * Conversations of one workspace in one JSON file. Writes are atomic (temporary file, then
 * rename), so a crash leaves either the old or the new file. A file that cannot be read is moved
 * aside, never deleted, and the history starts empty with a message saying where it went.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ChatTurn, Conversation } from './types';

export const HISTORY_FORMAT = 1;

interface HistoryFile {
  format: number;
  conversations: Conversation[];
}

export interface LoadedHistory {
  conversations: Conversation[];
  /** Set when the file was unreadable and was moved aside. */
  problem?: string;
}

function isTurn(value: unknown): value is ChatTurn {
  const t = value as Partial<ChatTurn> | null;
  return (
    typeof t === 'object' && t !== null &&
    typeof t.id === 'string' &&
    (t.role === 'user' || t.role === 'assistant') &&
    typeof t.content === 'string' &&
    typeof t.createdAt === 'number'
  );
}

function isConversation(value: unknown): value is Conversation {
  const c = value as Partial<Conversation> | null;
  return (
    typeof c === 'object' && c !== null &&
    typeof c.id === 'string' &&
    typeof c.title === 'string' &&
    typeof c.createdAt === 'number' &&
    typeof c.updatedAt === 'number' &&
    Array.isArray(c.turns) &&
    c.turns.every(isTurn)
  );
}

export class HistoryStore {
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  async load(): Promise<LoadedHistory> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return { conversations: [] };
      }
      throw err;
    }
    let reason: string | undefined;
    try {
      const parsed = JSON.parse(text) as Partial<HistoryFile>;
      if (parsed.format !== HISTORY_FORMAT) {
        reason = `unknown format ${JSON.stringify(parsed.format)}`;
      } else if (!Array.isArray(parsed.conversations) || !parsed.conversations.every(isConversation)) {
        reason = 'conversations are malformed';
      } else {
        return { conversations: parsed.conversations };
      }
    } catch (err) {
      reason = `invalid JSON (${err instanceof Error ? err.message : String(err)})`;
    }
    const backup = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await fs.rename(this.file, backup);
    return {
      conversations: [],
      problem: `Chat history ${this.file} could not be read: ${reason}. It was moved to ${backup} and the history starts empty.`,
    };
  }

  /** Saves are serialized so that an older snapshot never overwrites a newer one. */
  save(conversations: readonly Conversation[]): Promise<void> {
    const body: HistoryFile = { format: HISTORY_FORMAT, conversations: [...conversations] };
    const text = JSON.stringify(body);
    const next = this.writing.then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fs.writeFile(tmp, text, 'utf8');
      await fs.rename(tmp, this.file);
    });
    this.writing = next.catch(() => undefined);
    return next;
  }
}
