/**
 * Checks every field of a history file read from disk. The chat view trusts these types, so one
 * wrong-typed field would break it for good: a malformed turn or conversation is dropped (and
 * counted) while the rest is kept.
 */
import { PERMISSION_CLASSES, TOOL_CALL_STATES, type PermissionClass, type ToolCallState } from '../agent/types';
import type { ChatTurn, ContextItem, ContextKind, Conversation, TurnStats } from './types';

export interface ValidatedHistory {
  conversations: Conversation[];
  droppedTurns: number;
  droppedConversations: number;
}

const CONTEXT_KINDS: readonly ContextKind[] = ['selection', 'file', 'diagnostics', 'mention', 'codebase'];

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function optional(value: unknown, check: (v: unknown) => boolean): boolean {
  return value === undefined || check(value);
}

const isString = (v: unknown): boolean => typeof v === 'string';
const isBoolean = (v: unknown): boolean => typeof v === 'boolean';

function isStringList(value: unknown): boolean {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function isSummary(value: unknown): boolean {
  return isObject(value) && isString(value['text']) && isStringList(value['turnIds']);
}

function isLocation(value: unknown): boolean {
  return isObject(value) && isString(value['path']) && Number.isInteger(value['startLine']) && Number.isInteger(value['endLine']);
}

function isContextItem(value: unknown): value is ContextItem {
  return (
    isObject(value) &&
    isString(value['id']) &&
    CONTEXT_KINDS.includes(value['kind'] as ContextKind) &&
    isString(value['label']) &&
    optional(value['path'], isString) &&
    optional(value['languageId'], isString) &&
    isString(value['text']) &&
    optional(value['location'], isLocation) &&
    optional(value['auto'], isBoolean)
  );
}

function isStats(value: unknown): value is TurnStats {
  return (
    isObject(value) &&
    isFiniteNumber(value['promptTokens']) &&
    isFiniteNumber(value['generatedTokens']) &&
    isFiniteNumber(value['timeToFirstTokenMs']) &&
    isFiniteNumber(value['tokensPerSecond']) &&
    isString(value['stopReason'])
  );
}

function isChange(value: unknown): boolean {
  return isObject(value) && isString(value['path']) && optional(value['before'], isString) && isString(value['after']);
}

function isToolCall(value: unknown): boolean {
  return (
    isObject(value) &&
    isString(value['id']) &&
    isString(value['name']) &&
    isString(value['source']) &&
    optional(value['permission'], (p) => PERMISSION_CLASSES.includes(p as PermissionClass)) &&
    isString(value['arguments']) &&
    TOOL_CALL_STATES.includes(value['state'] as ToolCallState) &&
    Number.isInteger(value['at']) &&
    optional(value['summary'], isString) &&
    optional(value['changes'], (c) => Array.isArray(c) && c.every(isChange)) &&
    optional(value['acceptedPaths'], isStringList) &&
    optional(value['output'], isString) &&
    optional(value['result'], isString) &&
    optional(value['isError'], isBoolean)
  );
}

export function isTurn(value: unknown): value is ChatTurn {
  return (
    isObject(value) &&
    isString(value['id']) &&
    (value['role'] === 'user' || value['role'] === 'assistant') &&
    isString(value['content']) &&
    isFiniteNumber(value['createdAt']) &&
    optional(value['context'], (c) => Array.isArray(c) && c.every(isContextItem)) &&
    optional(value['prompt'], isString) &&
    optional(value['templateId'], isString) &&
    optional(value['contextInPrompt'], isStringList) &&
    optional(value['partial'], isBoolean) &&
    optional(value['stopped'], isBoolean) &&
    optional(value['error'], isString) &&
    optional(value['stats'], isStats) &&
    optional(value['toolCalls'], (c) => Array.isArray(c) && c.every(isToolCall)) &&
    optional(value['notices'], isStringList)
  );
}

function isConversationShell(value: unknown): value is Fields & { turns: unknown[] } {
  return (
    isObject(value) &&
    isString(value['id']) &&
    isString(value['title']) &&
    isFiniteNumber(value['createdAt']) &&
    isFiniteNumber(value['updatedAt']) &&
    Array.isArray(value['turns'])
  );
}

/** Keeps the valid conversations, each with its valid turns. */
export function validateConversations(values: readonly unknown[]): ValidatedHistory {
  const conversations: Conversation[] = [];
  let droppedTurns = 0;
  let droppedConversations = 0;
  for (const value of values) {
    if (!isConversationShell(value)) {
      droppedConversations++;
      continue;
    }
    const turns = value.turns.filter(isTurn);
    droppedTurns += value.turns.length - turns.length;
    const { summary, ...rest } = value;
    // A malformed summary is only a cache of what the model wrote: the extract stands in.
    conversations.push({ ...(rest as unknown as Conversation), turns, ...(isSummary(summary) ? { summary: summary as Conversation['summary'] } : {}) });
  }
  return { conversations, droppedTurns, droppedConversations };
}
