/**
 * The chat's token budget from the model that answers: its window is the shorter of what its
 * config declares and what its family was trained on (the bundled model declares 2,048 positions
 * but learned on 512-token windows), and the answer keeps at most half of it, so that a question
 * always has room.
 */
import type { BackendInfo } from '../backends/backend';
import { fimFamilyRecord } from '../completion/fimTemplates';

/** Until the backend knows the chat model's context window. */
export const DEFAULT_CONTEXT_TOKENS = 2048;
/** The share of the window an answer may take at most. */
const ANSWER_SHARE = 0.5;

export interface ChatBudget {
  contextTokens: number;
  answerTokens: number;
}

/** The window the model works well in: the declared one, cut to the trained window its family records. */
export function chatContextTokens(info: Pick<BackendInfo, 'contextLength' | 'modelFamily' | 'modelName'>): number {
  const declared = info.contextLength ?? DEFAULT_CONTEXT_TOKENS;
  // The family record is the one place the trained window is written down; completion reads it too.
  const trained = fimFamilyRecord(info.modelFamily ?? info.modelName).trainedContext;
  return Math.min(declared, trained ?? Infinity);
}

/** The window, and the answer tokens of the setting cut to its share of that window. */
export function chatBudget(info: Pick<BackendInfo, 'contextLength' | 'modelFamily' | 'modelName'>, answerSetting: number): ChatBudget {
  const contextTokens = chatContextTokens(info);
  return { contextTokens, answerTokens: Math.min(answerSetting, Math.floor(contextTokens * ANSWER_SHARE)) };
}
