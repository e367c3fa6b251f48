import type { ChatMessage, ToolDefinition } from '../protocol/generation';

export interface AgentBudget {
  /** The model's context window in tokens. */
  contextTokens: number;
  /** Tokens kept free for the model's next turn. */
  answerTokens: number;
  countTokens(text: string): number;
}

export interface FittedMessages {
  messages: ChatMessage[];
  /** Tool results replaced by a note, oldest first. */
  dropped: number;
  promptTokens: number;
  fits: boolean;
}

/** Token cost of one message as the budget sees it: its text and its calls' arguments. */
function messageTokens(message: ChatMessage, count: (text: string) => number): number {
  const calls = (message.toolCalls ?? []).map((c) => `${c.name}${c.arguments}`).join('');
  // A few tokens per message for the template's role markers.
  return count(message.content) + (calls === '' ? 0 : count(calls)) + 4;
}

/** Tokens of the tools' definitions, each counted as the JSON the prompt carries. */
export function toolTokens(tools: readonly ToolDefinition[], count: (text: string) => number): number {
  return tools.reduce((sum, tool) => sum + count(JSON.stringify(tool)), 0);
}

/**
 * Fits a tool-using conversation into the model's window: the oldest tool results give way first
 * (each replaced by a one-line note naming what it was), since the model has already acted on
 * them; the question and the model's own turns stay. `definitionTokens`: what the tools take
 * (`toolTokens`). `fits` is false when even that is not enough.
 */
export function fitMessages(messages: readonly ChatMessage[], definitionTokens: number, budget: AgentBudget): FittedMessages {
  const out = messages.map((m) => ({ ...m }));
  const limit = budget.contextTokens - budget.answerTokens - definitionTokens;
  let total = out.reduce((sum, m) => sum + messageTokens(m, budget.countTokens), 0);
  let dropped = 0;
  for (let i = 0; i < out.length && total > limit; i++) {
    const message = out[i]!;
    if (message.role !== 'tool' || message.content.startsWith(DROPPED_PREFIX)) {
      continue;
    }
    const before = messageTokens(message, budget.countTokens);
    message.content = `${DROPPED_PREFIX} (${message.content.length} characters) to fit the context window.]`;
    total += messageTokens(message, budget.countTokens) - before;
    dropped++;
  }
  return { messages: out, dropped, promptTokens: total, fits: total <= limit };
}

const DROPPED_PREFIX = '[This tool result was left out';
