/**
 * Tools on an OpenAI-compatible server: the request fields (`tools`, `tool_choice`,
 * `response_format`, assistant `tool_calls` and `tool` messages) and the calls read back from a
 * stream, where each call arrives as fragments keyed by `index` (the first with its id and name,
 * the rest appending to its arguments). What the server sends is bounded and checked; a stream
 * that breaks the shape fails with a message that says so.
 */
import { randomBytes } from 'node:crypto';
import { BackendError } from '../common/errors';
import type { ChatGenerationRequest, ChatMessage, ResponseFormat, ToolCall, ToolChoice } from '../protocol/generation';

/** Bounds on what a server may stream as calls. */
export const REMOTE_CALL_LIMITS = { calls: 128, nameChars: 64, idChars: 256, argumentsChars: 1 << 20 } as const;

/** Messages in the API's shape: calls of an assistant turn and the call a tool result answers. */
export function openAiMessages(messages: readonly ChatMessage[]): Record<string, unknown>[] {
  return messages.map((m) => {
    if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content };
    if (m.role === 'assistant' && m.toolCalls && m.toolCalls.length > 0) {
      return { role: 'assistant', content: m.content === '' ? null : m.content, tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) };
    }
    return { role: m.role, content: m.content };
  });
}

function toolChoiceField(choice: ToolChoice): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

/** `tools` and `tool_choice` for a chat request (none when it offers no tools). */
export function toolsRequest(request: Pick<ChatGenerationRequest, 'tools' | 'toolChoice'>): Record<string, unknown> {
  if (!request.tools || request.tools.length === 0) return {};
  return {
    tools: request.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } })),
    ...(request.toolChoice !== undefined ? { tool_choice: toolChoiceField(request.toolChoice) } : {}),
  };
}

/** `response_format` in the API's shape (`json_schema` wants a name; 'response' when the request has none). */
export function responseFormatRequest(format: ResponseFormat | undefined): Record<string, unknown> {
  if (format === undefined || format.type === 'text') return {};
  if (format.type === 'json_object') return { response_format: { type: 'json_object' } };
  return { response_format: { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema } } };
}

interface PartialCall {
  id: string | undefined;
  name: string;
  arguments: string;
}

/** Collects the `delta.tool_calls` fragments of one streamed answer into whole calls. */
export class ToolCallAssembler {
  private readonly parts = new Map<number, PartialCall>();
  private argumentChars = 0;

  constructor(private readonly server: string) {}

  get size(): number {
    return this.parts.size;
  }

  /** Adds one chunk's `delta.tool_calls` (absent or null: nothing). */
  add(fragments: unknown): void {
    if (fragments === undefined || fragments === null) return;
    if (!Array.isArray(fragments)) throw this.broken('delta.tool_calls is not an array');
    for (const fragment of fragments) this.addOne(fragment);
  }

  private addOne(fragment: unknown): void {
    if (typeof fragment !== 'object' || fragment === null) throw this.broken('a tool_calls entry is not an object');
    const f = fragment as { index?: unknown; id?: unknown; function?: { name?: unknown; arguments?: unknown } | null };
    // Some servers send each call whole and leave out the index: the next one then is a new call.
    const index = f.index === undefined ? this.parts.size : f.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= REMOTE_CALL_LIMITS.calls) {
      throw this.broken(`a tool call's index is not an integer in [0, ${REMOTE_CALL_LIMITS.calls})`);
    }
    const part = this.parts.get(index) ?? { id: undefined, name: '', arguments: '' };
    this.parts.set(index, part);
    if (typeof f.id === 'string' && f.id !== '') {
      if (f.id.length > REMOTE_CALL_LIMITS.idChars) throw this.broken(`a tool call id is longer than ${REMOTE_CALL_LIMITS.idChars} characters`);
      part.id = f.id;
    }
    const name = f.function?.name;
    if (typeof name === 'string') {
      part.name += name;
      if (part.name.length > REMOTE_CALL_LIMITS.nameChars) throw this.broken(`a tool call's name is longer than ${REMOTE_CALL_LIMITS.nameChars} characters`);
    }
    const args = f.function?.arguments;
    if (typeof args === 'string') {
      this.argumentChars += args.length;
      if (this.argumentChars > REMOTE_CALL_LIMITS.argumentsChars) throw this.broken(`the tool calls' arguments are longer than ${REMOTE_CALL_LIMITS.argumentsChars} characters`);
      part.arguments += args;
    }
  }

  /** The calls in index order; a call without a name is the server's error. */
  calls(): ToolCall[] {
    return [...this.parts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, p]) => {
        if (p.name === '') throw this.broken(`tool call ${index} has no function name`);
        return { id: p.id ?? `call_${randomBytes(12).toString('hex')}`, name: p.name, arguments: p.arguments === '' ? '{}' : p.arguments };
      });
  }

  private broken(what: string): BackendError {
    return new BackendError(`${this.server}: the stream's tool calls are malformed: ${what}`, 'remote-protocol');
  }
}
