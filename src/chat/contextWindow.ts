/**
 * Fits a conversation into the model's context window with the model's real tokenizer:
 * the system prompt and the newest user turn (with its attached context) are always kept, then
 * the newest earlier exchanges while they fit. The exchanges that do not fit are dropped whole and
 * reported, so the view marks them; in their place goes one message with a short summary of them
 * and the context the user pinned to them (attached code and files), which outlives its exchange.
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
  /** A short summary of dropped turns (oldest first); without it, dropped turns leave no trace but their pinned context. */
  summarise?(dropped: readonly ChatTurn[]): string;
}

export interface WindowResult {
  messages: WindowMessage[];
  includedTurnIds: string[];
  droppedTurnIds: string[];
  /** The summary sent in place of the dropped turns, when one was sent. */
  summary?: string;
  /** Context items of dropped turns sent all the same, because the user attached them. */
  pinnedItemIds: string[];
  /** Tokens of all messages sent (a per-message overhead included). */
  promptTokens: number;
}

/** What the user attached stays with the conversation; chunks the index found were for one question. */
const PINNED_KINDS: ReadonlySet<ContextItem['kind']> = new Set(['selection', 'file', 'diagnostics', 'mention']);

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

/** The context of a turn the model sees beside its text: what a template did not render into the prompt already. */
function contextSent(turn: ChatTurn): ContextItem[] {
  const inPrompt = new Set(turn.contextInPrompt ?? []);
  return turn.role === 'user' ? (turn.context ?? []).filter((c) => !inPrompt.has(c.id)) : [];
}

/** The text the model sees for a turn: attached context, then the rendered prompt or content. */
export function turnText(turn: ChatTurn): string {
  const body = turn.prompt ?? turn.content;
  const context = contextSent(turn);
  return context.length === 0 ? body : [...context.map(renderContextItem), body].join('\n\n');
}

/** The message that stands for dropped exchanges: their summary, then the context pinned to them. */
export function earlierMessage(summary: string | undefined, pinned: readonly ContextItem[]): string {
  const parts = [
    ...(summary !== undefined && summary !== '' ? [`Earlier in this conversation (summarised):\n${summary}`] : []),
    ...(pinned.length > 0 ? ['Context attached earlier in this conversation:', ...pinned.map(renderContextItem)] : []),
  ];
  return parts.join('\n\n');
}

/** Earlier turns in exchanges (a user turn with its answer), oldest first, so no answer loses its question. */
function exchanges(earlier: readonly ChatTurn[]): ChatTurn[][] {
  const groups: ChatTurn[][] = [];
  for (const t of earlier) {
    const open = groups[groups.length - 1];
    if (t.role === 'assistant' && open && open.length === 1 && open[0]!.role === 'user') {
      open.push(t);
    } else {
      groups.push([t]);
    }
  }
  return groups;
}

const itemKey = (c: ContextItem): string => `${c.kind}\u0000${c.label}\u0000${c.text}`;

/** Pinned items of dropped turns, newest attachment of each once, none that a kept turn sends itself. */
function pinnedOf(dropped: readonly ChatTurn[], kept: readonly ChatTurn[]): ContextItem[] {
  const held = new Set(kept.flatMap(contextSent).map(itemKey));
  const seen = new Map<string, ContextItem>();
  for (const item of dropped.flatMap(contextSent)) {
    if (PINNED_KINDS.has(item.kind) && !held.has(itemKey(item))) {
      seen.delete(itemKey(item));
      seen.set(itemKey(item), item);
    }
  }
  return [...seen.values()];
}

export function buildContextWindow(input: WindowInput): WindowResult {
  const cost = (text: string): number => input.countTokens(text) + MESSAGE_OVERHEAD_TOKENS;
  const usable = input.contextTokens - input.answerTokens;
  const answered = input.turns.filter((t) => !(t.role === 'assistant' && (t.error !== undefined && t.content === '')));
  const last = answered[answered.length - 1];
  if (!last || last.role !== 'user') {
    throw new Error('The conversation must end with a user turn to be answered');
  }
  const base = cost(input.system) + cost(turnText(last));
  if (base > usable) {
    throw new ContextTooLargeError(base, usable);
  }
  const groups = exchanges(answered.slice(0, -1));
  // keptCost[k]: the exchanges from k on, sent as they are.
  const keptCost = groups.map((g) => g.reduce((sum, t) => sum + cost(turnText(t)), 0));
  for (let k = groups.length - 1; k >= 0; k--) {
    keptCost[k]! += keptCost[k + 1] ?? 0;
  }
  for (let k = 0; k <= groups.length; k++) {
    if (base + (keptCost[k] ?? 0) > usable) {
      continue;
    }
    const kept = [...groups.slice(k).flat(), last];
    const dropped = groups.slice(0, k).flat();
    const attempt = fitted(input, cost, base + (keptCost[k] ?? 0), kept, dropped, k === groups.length);
    if (attempt && attempt.promptTokens <= usable) {
      return attempt;
    }
  }
  throw new ContextTooLargeError(base, usable);
}

/**
 * The window that sends `kept` and stands for `dropped` with one message. When nothing but the
 * message being answered is left (`last`), pinned items give way oldest first, then the summary.
 */
function fitted(input: WindowInput, cost: (text: string) => number, keptTokens: number, kept: ChatTurn[], dropped: ChatTurn[], lastChance: boolean): WindowResult | undefined {
  const usable = input.contextTokens - input.answerTokens;
  let pinned = pinnedOf(dropped, kept);
  let summary = dropped.length > 0 ? input.summarise?.(dropped) : undefined;
  const noteCost = (): number => {
    const note = earlierMessage(summary, pinned);
    return note === '' ? 0 : cost(note);
  };
  while (lastChance && keptTokens + noteCost() > usable && (pinned.length > 0 || summary !== undefined)) {
    if (pinned.length > 0) {
      pinned = pinned.slice(1);
    } else {
      summary = undefined;
    }
  }
  const note = earlierMessage(summary, pinned);
  const used = keptTokens + noteCost();
  if (used > usable) {
    return undefined;
  }
  return {
    messages: [
      { role: 'system', content: input.system },
      ...(note !== '' ? [{ role: 'user' as const, content: note }] : []),
      ...kept.map((t) => ({ role: t.role, content: turnText(t) })),
    ],
    includedTurnIds: kept.map((t) => t.id),
    droppedTurnIds: dropped.map((t) => t.id),
    ...(summary !== undefined && summary !== '' ? { summary } : {}),
    pinnedItemIds: pinned.map((p) => p.id),
    promptTokens: used,
  };
}
