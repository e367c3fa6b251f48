/** Plain data of conversations; persisted as JSON, shown by the webview, never editor types. */
import type { CallRecord } from '../agent/toolCall';

/** A tool call an agent answer made, where in the answer's text it came (`at`, characters). */
export interface ToolCallEntry extends CallRecord {
  at: number;
}

/** `codebase`: a chunk the workspace index found for the question. */
export type ContextKind = 'selection' | 'file' | 'diagnostics' | 'mention' | 'codebase';

/** Where a chunk of the workspace lies: workspace-relative path, zero-based inclusive lines. */
export interface CodeLocation {
  path: string;
  startLine: number;
  endLine: number;
}

/** Something attached to a message: shown as a chip, sent inside the user turn. */
export interface ContextItem {
  id: string;
  kind: ContextKind;
  /** Short label for the chip, e.g. `sample.ts:3-7`. */
  label: string;
  path?: string;
  languageId?: string;
  text: string;
  /** The lines the item covers, for chunks of the workspace index. */
  location?: CodeLocation;
  /** Attached by the chat itself (the question named a symbol or file), not by the user. */
  auto?: boolean;
}

export interface TurnStats {
  promptTokens: number;
  generatedTokens: number;
  timeToFirstTokenMs: number;
  tokensPerSecond: number;
  stopReason: string;
}

export interface ChatTurn {
  id: string;
  role: 'user' | 'assistant';
  /** What the user typed (for a slash command, the command line), or the answer so far. */
  content: string;
  createdAt: number;
  context?: ContextItem[];
  /** Ids of the context items a template rendered into `prompt`; they are not sent a second time. */
  contextInPrompt?: string[];
  /** The prompt actually sent for this user turn when a template rendered it. */
  prompt?: string;
  templateId?: string;
  /** An answer still streaming, or cut short by a crash or reload; kept and marked. */
  partial?: boolean;
  /** The answer was stopped by the user. */
  stopped?: boolean;
  error?: string;
  stats?: TurnStats;
  /** Agent mode: the tool calls of this answer, in order. */
  toolCalls?: ToolCallEntry[];
  /** Agent mode: what the chat said about the run (results left out, the step limit). */
  notices?: string[];
}

export interface Conversation {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  turns: ChatTurn[];
  /** A summary the model wrote of the first turns, for when they no longer fit the window. */
  summary?: ConversationSummaryText;
}

export interface ConversationSummaryText {
  text: string;
  /** The turns it summarises, oldest first. */
  turnIds: string[];
}

export interface ConversationSummary {
  id: string;
  title: string;
  updatedAt: number;
  turnCount: number;
}

export function summarize(c: Conversation): ConversationSummary {
  return { id: c.id, title: c.title, updatedAt: c.updatedAt, turnCount: c.turns.length };
}
