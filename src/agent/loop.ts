/**
 * The agent loop: the model's turn may call tools; each call is checked, approved where it must
 * be, run, and its result fed back, until the model answers without calling, the step limit, the
 * user's stop, or the context budget. Plain TypeScript over the generation contract: the chat runs
 * it with the real backend and tools, tests with scripted ones.
 */
import type { ChatGenerationRequest, ChatMessage, GenerationChunk, GenerationStats, ToolCall } from '../protocol/generation';
import { fitMessages, toolTokens, type AgentBudget } from './budget';
import type { PermissionPolicy } from './permissions';
import { ArgumentChecker } from './toolArguments';
import { runCall, type CallRecord } from './toolCall';
import type { AgentTool, Approval } from './types';

export type { CallRecord };

export type AgentEvent =
  | { type: 'text'; text: string }
  /** A call was made or changed state; `call` is a snapshot. */
  | { type: 'call'; call: CallRecord }
  | { type: 'notice'; message: string };

/** How the loop ended. */
export type AgentStop = 'answer' | 'step-limit' | 'cancelled' | 'context-budget';

export interface AgentRunOptions {
  chat(request: ChatGenerationRequest, signal: AbortSignal): AsyncIterable<GenerationChunk>;
  /** System prompt, the conversation so far and the question. */
  messages: readonly ChatMessage[];
  tools: readonly AgentTool[];
  permissions: PermissionPolicy;
  /** Asks the user about a call that must ask first; it settles when they answer. */
  approve(call: CallRecord): Promise<Approval>;
  /** Most model turns (each may call tools). */
  maxSteps: number;
  budget: AgentBudget;
  generation: Pick<ChatGenerationRequest, 'maxTokens' | 'temperature' | 'priority' | 'traceId'>;
  signal: AbortSignal;
  onEvent(event: AgentEvent): void;
}

export interface AgentOutcome {
  stop: AgentStop;
  /** Model turns taken. */
  steps: number;
  calls: CallRecord[];
  /** Stats of the last model turn. */
  stats: GenerationStats | undefined;
}

interface TurnOutput {
  text: string;
  calls: ToolCall[];
  stats: GenerationStats | undefined;
}

export async function runAgent(options: AgentRunOptions): Promise<AgentOutcome> {
  const messages: ChatMessage[] = [...options.messages];
  const calls: CallRecord[] = [];
  const definitionTokens = toolTokens(options.tools.map((t) => t.definition), options.budget.countTokens);
  const context = { ...options, checker: new ArgumentChecker() };
  let stats: GenerationStats | undefined;
  let dropped = 0;
  for (let step = 1; step <= options.maxSteps; step++) {
    const fitted = fitMessages(messages, definitionTokens, options.budget);
    if (fitted.dropped > dropped) {
      options.onEvent({ type: 'notice', message: `${fitted.dropped - dropped} earlier tool result${fitted.dropped - dropped === 1 ? ' was' : 's were'} left out to fit the model's context window.` });
      dropped = fitted.dropped;
    }
    if (!fitted.fits) {
      options.onEvent({ type: 'notice', message: 'The conversation and tool results no longer fit the model\'s context window; the agent stopped.' });
      return { stop: 'context-budget', steps: step - 1, calls, stats };
    }
    const turn = await modelTurn(options, fitted.messages);
    stats = turn.stats;
    if (options.signal.aborted) {
      return { stop: 'cancelled', steps: step, calls, stats };
    }
    if (turn.calls.length === 0) {
      return { stop: 'answer', steps: step, calls, stats };
    }
    messages.push({ role: 'assistant', content: turn.text, toolCalls: turn.calls });
    for (const call of turn.calls) {
      const record = await runCall(call, context);
      calls.push(record);
      messages.push({ role: 'tool', content: record.result ?? '', toolCallId: call.id });
      if (options.signal.aborted) {
        return { stop: 'cancelled', steps: step, calls, stats };
      }
    }
  }
  options.onEvent({ type: 'notice', message: `The agent stopped after ${options.maxSteps} steps without a final answer.` });
  return { stop: 'step-limit', steps: options.maxSteps, calls, stats };
}

/** One model turn: text streamed out as it comes, tool calls collected. */
async function modelTurn(options: AgentRunOptions, messages: readonly ChatMessage[]): Promise<TurnOutput> {
  const request: ChatGenerationRequest = {
    ...options.generation,
    messages,
    ...(options.tools.length > 0 ? { tools: options.tools.map((t) => t.definition), toolChoice: 'auto' as const } : {}),
  };
  const out: TurnOutput = { text: '', calls: [], stats: undefined };
  for await (const chunk of options.chat(request, options.signal)) {
    switch (chunk.type) {
      case 'text':
        if (chunk.text !== '') {
          out.text += chunk.text;
          options.onEvent({ type: 'text', text: chunk.text });
        }
        break;
      case 'tool-call':
        out.calls.push(chunk.call);
        break;
      case 'done':
        out.stats = chunk.stats;
        break;
      default: {
        const never: never = chunk;
        throw new Error(`unknown chunk ${JSON.stringify(never)}`);
      }
    }
  }
  return out;
}
