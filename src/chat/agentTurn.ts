/**
 * An answer in agent mode: the conversation's window goes to the agent loop with the tools that
 * fit the model's window, and what the loop reports lands in the turn (text, tool calls where they
 * came in the text, notices) for the view to show and the history to keep.
 */
import { toolTokens } from '../agent/budget';
import { runAgent, type AgentEvent, type AgentStop, type CallRecord } from '../agent/loop';
import type { PermissionPolicy } from '../agent/permissions';
import type { AgentTool, Approval } from '../agent/types';
import type { Backend, GenerationStats } from '../backends/backend';
import type { ChatMessage } from '../protocol/generation';
import type { ChatTurn, ToolCallEntry } from './types';

/** What the chat needs to answer with tools; the host supplies it. */
export interface ChatAgent {
  /** Agent mode is on for the next answer. */
  enabled(): boolean;
  tools(): readonly AgentTool[];
  permissions: PermissionPolicy;
  /** The agent's system message (the pack's `agent-system`). */
  systemPrompt(): string;
  /** Most model turns per answer. */
  maxSteps: number;
}

/** The tools' definitions may take at most this share of the model's window. */
const TOOL_SHARE = 0.4;

export interface AgentTurnInput {
  agent: ChatAgent;
  backend: Backend;
  messages: readonly ChatMessage[];
  turn: ChatTurn;
  contextTokens: number;
  answerTokens: number;
  temperature: number;
  signal: AbortSignal;
  countTokens(text: string): number;
  approve(call: CallRecord): Promise<Approval>;
  /** The turn's text grew by `text`. */
  onDelta(text: string): void;
  /** Calls or notices of the turn changed. */
  onChange(): void;
}

export interface AgentTurnResult {
  stop: AgentStop;
  stats: GenerationStats | undefined;
}

/** The tools in their order while their definitions fit `share` of the window; the rest left out. */
export function toolsThatFit(tools: readonly AgentTool[], contextTokens: number, countTokens: (text: string) => number): { fit: AgentTool[]; left: AgentTool[] } {
  const room = Math.floor(contextTokens * TOOL_SHARE);
  let used = 0;
  let kept = 0;
  for (const tool of tools) {
    used += toolTokens([tool.definition], countTokens);
    if (used > room) {
      break;
    }
    kept++;
  }
  return { fit: tools.slice(0, kept), left: tools.slice(kept) };
}

export async function answerWithTools(input: AgentTurnInput): Promise<AgentTurnResult> {
  const { fit, left } = toolsThatFit(input.agent.tools(), input.contextTokens, input.countTokens);
  if (left.length > 0) {
    note(input, `${left.length} of ${fit.length + left.length} tools do not fit the model's ${input.contextTokens}-token window and were left out: ${left.map((t) => t.definition.name).join(', ')}.`);
  }
  const outcome = await runAgent({
    chat: (request, signal) => input.backend.chat(request, signal),
    messages: input.messages,
    tools: fit,
    permissions: input.agent.permissions,
    approve: input.approve,
    maxSteps: input.agent.maxSteps,
    budget: { contextTokens: input.contextTokens, answerTokens: input.answerTokens, countTokens: input.countTokens },
    generation: { maxTokens: input.answerTokens, temperature: input.temperature, priority: 'chat', traceId: input.turn.id },
    signal: input.signal,
    onEvent: (event) => apply(input, event),
  });
  return { stop: outcome.stop, stats: outcome.stats };
}

function apply(input: AgentTurnInput, event: AgentEvent): void {
  switch (event.type) {
    case 'text':
      input.turn.content += event.text;
      input.onDelta(event.text);
      return;
    case 'call':
      upsertCall(input.turn, event.call);
      input.onChange();
      return;
    case 'notice':
      note(input, event.message);
      return;
    default: {
      const never: never = event;
      throw new Error(`unknown agent event ${JSON.stringify(never)}`);
    }
  }
}

function upsertCall(turn: ChatTurn, call: CallRecord): void {
  const calls = (turn.toolCalls ??= []);
  const index = calls.findIndex((c) => c.id === call.id);
  if (index < 0) {
    calls.push({ ...call, at: turn.content.length });
  } else {
    calls[index] = { ...call, at: calls[index]!.at };
  }
}

function note(input: AgentTurnInput, message: string): void {
  (input.turn.notices ??= []).push(message);
  input.onChange();
}

/** A call left waiting or running when its answer ended (a crash, a reload) did not finish. */
export function settleUnfinishedCalls(calls: readonly ToolCallEntry[] | undefined): void {
  for (const call of calls ?? []) {
    if (call.state === 'waiting-approval' || call.state === 'running') {
      call.state = 'cancelled';
    }
  }
}
