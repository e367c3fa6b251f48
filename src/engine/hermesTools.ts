/**
 * Tools for a chat template that has no tools branch (the bundled model's): the conversation is
 * rewritten into plain system, user and assistant turns that say what Qwen2.5's template would
 * have rendered (the Hermes form the Qwen family is trained on), so that any ChatML template
 * renders the same prompt. Tool calls and responses become text in their turns.
 */
import type { ChatMessage, ToolCall } from '../protocol/generation';

/** A tool in the OpenAI / transformers form, as templates receive it. */
export type TemplateTool = Readonly<Record<string, unknown>>;

/** The markers Qwen's templates put around a call; the model writes them too. */
export const TOOL_CALL_OPEN = '<tool_call>';
export const TOOL_CALL_CLOSE = '</tool_call>';

/** Qwen2.5's tools section of the system turn, word for word. */
function toolsSection(tools: readonly TemplateTool[]): string {
  return (
    '# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>' +
    tools.map((t) => `\n${pythonJson(t)}`).join('') +
    '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>'
  );
}

/**
 * JSON as Python's `json.dumps` writes it (`", "` and `": "` separators, non-ASCII kept), which
 * is what transformers' `tojson` gives the templates and so what the models saw in training.
 */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(pythonJson).join(', ')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A call's arguments as the object the model wrote, or its text when that is not JSON. */
export function parsedArguments(call: ToolCall): unknown {
  try {
    return JSON.parse(call.arguments) as unknown;
  } catch {
    return call.arguments;
  }
}

function callText(call: ToolCall): string {
  const args = parsedArguments(call);
  return `${TOOL_CALL_OPEN}\n{"name": ${JSON.stringify(call.name)}, "arguments": ${typeof args === 'string' ? args : pythonJson(args)}}\n${TOOL_CALL_CLOSE}`;
}

function assistantText(message: ChatMessage): string {
  const calls = (message.toolCalls ?? []).map(callText);
  return [...(message.content ? [message.content] : []), ...calls].join('\n');
}

const responseText = (message: ChatMessage): string => `<tool_response>\n${message.content}\n</tool_response>`;

/**
 * The conversation in plain turns: the tools section appended to the system message (or as the
 * system message when there is none), assistant tool calls as `<tool_call>` blocks, and each run
 * of tool results as one user turn of `<tool_response>` blocks.
 */
export function hermesMessages(messages: readonly ChatMessage[], tools: readonly TemplateTool[] | undefined): ChatMessage[] {
  const out: ChatMessage[] = [];
  const rest = [...messages];
  if (tools && tools.length > 0) {
    const system = rest[0]?.role === 'system' ? rest.shift()!.content : undefined;
    out.push({ role: 'system', content: system === undefined ? toolsSection(tools) : `${system}\n\n${toolsSection(tools)}` });
  }
  let previousRole: string | undefined;
  for (const message of rest) {
    const last = out[out.length - 1];
    if (message.role === 'tool' && previousRole === 'tool' && last !== undefined) {
      out[out.length - 1] = { role: 'user', content: `${last.content}\n${responseText(message)}` };
    } else if (message.role === 'tool') {
      out.push({ role: 'user', content: responseText(message) });
    } else if (message.role === 'assistant') {
      out.push({ role: 'assistant', content: assistantText(message) });
    } else {
      out.push({ role: message.role, content: message.content });
    }
    previousRole = message.role;
  }
  return out;
}
