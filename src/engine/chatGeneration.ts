/**
 * One chat turn on the local engine, the same for the service and for an engine in the editor's
 * own process: the tools the choice offers are rendered with the model's template, the engine is
 * asked to keep each call well formed (the `tool-calls` constraint), and the calls are parsed out
 * of its text.
 */
import { AutoGlmError } from '../common/errors';
import type { Logger } from '../common/logger';
import type { ToolChoice, ToolDefinition } from '../protocol/generation';
import type { Engine } from './engine';
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN, type TemplateTool } from './hermesTools';
import { splitToolCalls, type ChatEvent } from './toolCallStream';
import type { ChatMessage, DecodingConstraint, GenerateRequest } from './types';

export type { ChatEvent, ToolCallEvent } from './toolCallStream';

/** What a chat turn needs of the engine (tests give a scripted one). */
export type ChatEngine = Pick<Engine, 'renderChat' | 'generate'>;

export interface ChatTurnRequest extends Omit<GenerateRequest, 'prompt' | 'constraint'> {
  messages: readonly ChatMessage[];
  tools?: readonly ToolDefinition[];
  toolChoice?: ToolChoice;
}

/** The tools the model is shown, and whether it must call one: `none` shows none, a named choice shows only that one. */
export function offeredTools(tools: readonly ToolDefinition[] | undefined, choice: ToolChoice | undefined): { tools: readonly ToolDefinition[]; required: boolean } {
  const all = tools ?? [];
  if (choice === undefined || choice === 'auto') return { tools: all, required: false };
  if (choice === 'none') return { tools: [], required: false };
  if (choice === 'required') {
    if (all.length === 0) throw new AutoGlmError("tool_choice 'required' needs at least one tool", 'invalid-request');
    return { tools: all, required: true };
  }
  const named = all.find((t) => t.name === choice.name);
  if (!named) throw new AutoGlmError(`tool_choice names '${choice.name}', which is not among the tools`, 'invalid-request');
  return { tools: [named], required: true };
}

/** A tool in the form chat templates read (`{type: 'function', function: {...}}`). */
export function templateTool(tool: ToolDefinition): TemplateTool {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

/**
 * Streams one chat turn. Without tools on offer the engine's events pass unchanged (a
 * `responseFormat` is the engine's to enforce); with them, each call comes out as one `tool-call`
 * event and the turn ends with stop reason `tool-calls`, and the tool-calls constraint is the
 * one the engine applies (an explicit constraint wins over a response format).
 */
export async function* generateChat(engine: ChatEngine, request: ChatTurnRequest, signal?: AbortSignal, logger?: Logger): AsyncGenerator<ChatEvent> {
  const { messages, tools: all, toolChoice, ...options } = request;
  const { tools, required } = offeredTools(all, toolChoice);
  const prompt = engine.renderChat(messages, { addGenerationPrompt: true, ...(tools.length > 0 ? { tools: tools.map(templateTool) } : {}) });
  if (tools.length === 0) {
    yield* engine.generate({ ...options, prompt }, signal);
    return;
  }
  const constraint: DecodingConstraint = { kind: 'tool-calls', tools, open: TOOL_CALL_OPEN, close: TOOL_CALL_CLOSE, required };
  const events = engine.generate({ ...options, prompt, constraint }, signal);
  yield* splitToolCalls(events, { open: TOOL_CALL_OPEN, close: TOOL_CALL_CLOSE, names: new Set(tools.map((t) => t.name)), ...(logger ? { logger } : {}) });
}
