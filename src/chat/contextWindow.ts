/**
 * Fits a conversation into the model's context window with the model's real tokenizer:
 * the system prompt and the newest user turn (with its attached context) are always kept, then
 * the newest earlier exchanges while they fit. Dropped turns are reported so the view marks them.
 */
import type { ChatTurn, ContextItem } from './types';

export interface WindowMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface WindowInput {
  system: string;
  /** Oldest first; the last one is the user turn being answered. */
  turns: readonly ChatTurn[];
  /** Context window of the model in tokens. */
  contextTokens: number;
  /** Tokens kept free for the answer. */
  answerTokens: number;
  countTokens(text: string): number;
}

export interface WindowResult {
  messages: WindowMessage[];
  includedTurnIds: string[];
  droppedTurnIds: string[];
  /** Tokens of all messages sent (a per-message overhead included). */
  promptTokens: number;
}

export class ContextTooLargeError extends Error {
  constructor(readonly needed: number, readonly available: number) {
    super(`The message and its attached context need ${needed} tokens; the model has room for ${available}. Remove some context and send again.`);
    this.name = 'ContextTooLargeError';
  }
}

/** Chat templates add a few tokens of framing around each message. */
const MESSAGE_OVERHEAD_TOKENS = 4;

function fence(text: string): string {
  let ticks = '```';
  while (text.includes(ticks)) {
    ticks += '`';
  }
  return ticks;
}

export function renderContextItem(item: ContextItem): string {
  const f = fence(item.text);
  const title = item.kind === 'diagnostics' ? `Problems in ${item.label}` : item.label;
  return `${title}:\n${f}${item.languageId ?? ''}\n${item.text}\n${f}`;
}

/** The text the model sees for a turn: the rendered prompt or content, then attached context. */
export function turnText(turn: ChatTurn): string {
  const body = turn.prompt ?? turn.content;
  if (turn.role !== 'user' || !turn.context || turn.context.length === 0) {
    return body;
  }
  return [...turn.context.map(renderContextItem), body].join('\n\n');
}

export function buildContextWindow(input: WindowInput): WindowResult {
  const cost = (text: string): number => input.countTokens(text) + MESSAGE_OVERHEAD_TOKENS;
  const usable = input.contextTokens - input.answerTokens;
  const answered = input.turns.filter((t) => !(t.role === 'assistant' && (t.error !== undefined && t.content === '')));
  const last = answered[answered.length - 1];
  if (!last || last.role !== 'user') {
    throw new Error('The conversation must end with a user turn to be answered');
  }
  let used = cost(input.system) + cost(turnText(last));
  if (used > usable) {
    throw new ContextTooLargeError(used, usable);
  }
  const kept: ChatTurn[] = [last];
  const dropped: string[] = [];
  // Earlier turns go back in exchanges (a user turn with its answer) so no answer loses its question.
  const earlier = answered.slice(0, -1);
  let i = earlier.length - 1;
  let full = false;
  while (i >= 0) {
    const answer = earlier[i]!.role === 'assistant' ? earlier[i] : undefined;
    const question = answer ? earlier[i - 1] : earlier[i];
    const group = [question, answer].filter((t): t is ChatTurn => t !== undefined);
    const groupCost = group.reduce((sum, t) => sum + cost(turnText(t)), 0);
    if (!full && used + groupCost <= usable) {
      used += groupCost;
      kept.unshift(...group);
    } else {
      full = true;
      dropped.unshift(...group.map((t) => t.id));
    }
    i -= group.length;
  }
  return {
    messages: [{ role: 'system', content: input.system }, ...kept.map((t) => ({ role: t.role, content: turnText(t) }))],
    includedTurnIds: kept.map((t) => t.id),
    droppedTurnIds: dropped,
    promptTokens: used,
  };
}
