/**
 * Reading one history file: parse, check the format, validate every conversation and turn. The
 * file is never deleted: one that cannot be used is moved aside, one that had malformed parts
 * dropped is copied aside before the history is saved over it.
 */
import { promises as fs } from 'node:fs';
import type { Conversation } from './types';
import { validateConversations } from './historyValidation';

export const HISTORY_FORMAT = 1;

export interface HistoryFile {
  format: number;
  conversations: Conversation[];
}

export interface ReadHistory {
  conversations: Conversation[];
  /** Bytes read; 0 when there was no file. */
  bytes: number;
  /** For the user: what was wrong, and where the original file went. */
  problem?: string;
}

function backupName(file: string): string {
  return `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
}

/** Undefined when the file is missing. Other read errors (a directory, no permission) throw. */
async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw err;
  }
}

function parse(text: string): { conversations: unknown[] } | { reason: string } {
  let parsed: Partial<HistoryFile>;
  try {
    parsed = JSON.parse(text) as Partial<HistoryFile>;
  } catch (err) {
    return { reason: `invalid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.format !== HISTORY_FORMAT) {
    return { reason: `unknown format ${JSON.stringify(parsed?.format)}` };
  }
  if (!Array.isArray(parsed.conversations)) {
    return { reason: 'conversations are malformed' };
  }
  return { conversations: parsed.conversations };
}

function plural(n: number, word: string): string {
  return `${n} malformed ${word}${n === 1 ? '' : 's'}`;
}

export async function readHistoryFile(file: string): Promise<ReadHistory> {
  const text = await readText(file);
  if (text === undefined) {
    return { conversations: [], bytes: 0 };
  }
  const bytes = Buffer.byteLength(text);
  const parsed = parse(text);
  if ('reason' in parsed) {
    const backup = backupName(file);
    await fs.rename(file, backup);
    return {
      conversations: [],
      bytes: 0,
      problem: `Chat history ${file} could not be read: ${parsed.reason}. It was moved to ${backup} and the history starts empty.`,
    };
  }
  const valid = validateConversations(parsed.conversations);
  if (valid.droppedTurns === 0 && valid.droppedConversations === 0) {
    return { conversations: valid.conversations, bytes };
  }
  const backup = backupName(file);
  await fs.copyFile(file, backup);
  const dropped = [valid.droppedTurns > 0 ? plural(valid.droppedTurns, 'turn') : '', valid.droppedConversations > 0 ? plural(valid.droppedConversations, 'conversation') : '']
    .filter(Boolean)
    .join(' and ');
  return {
    conversations: valid.conversations,
    bytes,
    problem: `Chat history ${file}: ${dropped} ${valid.droppedTurns + valid.droppedConversations === 1 ? 'was' : 'were'} dropped; the rest is kept. The file as it was is saved at ${backup}.`,
  };
}
