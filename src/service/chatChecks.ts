/**
 * Checks of the chat fields a caller of the service sends (an editor window over RPC, any local
 * program over HTTP): messages with their tool calls and results, tools, the tool choice and the
 * response format, each bounded in count and size, so that a hostile request is refused with the
 * field it got wrong before it reaches the engine.
 */
import type { ChatMessage, JsonSchema, ResponseFormat, ToolCall, ToolChoice, ToolDefinition } from '../protocol/generation';

/** A field that is not as the contract says; `path` names it (`tools[2].name`). */
export class FieldError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

/** OpenAI's limits where it has them (128 tools, 64-character names), generous ones elsewhere. */
export const CHAT_LIMITS = {
  /** Turns of one conversation (far more than any context window holds). */
  messages: 4096,
  tools: 128,
  descriptionChars: 16_384,
  /** Characters of one tool's parameters (or a response format's schema) as JSON. */
  schemaChars: 65_536,
  /** Nesting of a schema. */
  schemaDepth: 32,
  toolCallsPerMessage: 128,
  argumentsChars: 262_144,
  idChars: 256,
} as const;

export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

const ROLES: ReadonlySet<string> = new Set(['system', 'user', 'assistant', 'tool']);

type Fields = Record<string, unknown>;

export function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `value` nests no deeper than `max` (walked without recursion, so a deep one cannot overflow the stack). */
function depthAtMost(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

/** A JSON schema as plain data: an object, bounded in depth and size. */
export function checkSchema(value: unknown, path: string): JsonSchema {
  if (!isObject(value)) throw new FieldError(`${path} must be a JSON schema object`, path);
  if (!depthAtMost(value, CHAT_LIMITS.schemaDepth)) throw new FieldError(`${path} nests deeper than ${CHAT_LIMITS.schemaDepth} levels`, path);
  if (JSON.stringify(value).length > CHAT_LIMITS.schemaChars) throw new FieldError(`${path} is longer than ${CHAT_LIMITS.schemaChars} characters as JSON`, path);
  return value;
}

function checkString(value: unknown, path: string, maxChars: number): string {
  if (typeof value !== 'string') throw new FieldError(`${path} must be a string`, path);
  if (value.length > maxChars) throw new FieldError(`${path} is longer than ${maxChars} characters`, path);
  return value;
}

/** One tool in the contract's shape; `paths` name its fields as the caller spells them. */
export function checkToolDefinition(fields: { name: unknown; description: unknown; parameters: unknown }, paths: { name: string; description: string; parameters: string }): ToolDefinition {
  if (typeof fields.name !== 'string' || !TOOL_NAME.test(fields.name)) {
    throw new FieldError(`${paths.name} must match ${TOOL_NAME.source}`, paths.name);
  }
  const description = fields.description === undefined || fields.description === null ? '' : checkString(fields.description, paths.description, CHAT_LIMITS.descriptionChars);
  const parameters = fields.parameters === undefined || fields.parameters === null ? { type: 'object', properties: {} } : checkSchema(fields.parameters, paths.parameters);
  return { name: fields.name, description, parameters };
}

/** A list of tools with unique names, at most `CHAT_LIMITS.tools`. */
export function checkToolList(value: unknown, path: string, one: (item: unknown, path: string) => ToolDefinition): ToolDefinition[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > CHAT_LIMITS.tools) throw new FieldError(`${path} must be an array of at most ${CHAT_LIMITS.tools} tools`, path);
  const tools = value.map((item, i) => one(item, `${path}[${i}]`));
  const seen = new Set<string>();
  tools.forEach((t, i) => {
    if (seen.has(t.name)) throw new FieldError(`${path}[${i}]: another tool is already named '${t.name}'`, `${path}[${i}]`);
    seen.add(t.name);
  });
  return tools;
}

/** A tool choice naming, when it names one, a tool of `tools`. */
export function checkNamedChoice(name: unknown, tools: readonly ToolDefinition[] | undefined, path: string): ToolChoice {
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) throw new FieldError(`${path} must be a tool's name`, path);
  if (!tools?.some((t) => t.name === name)) throw new FieldError(`${path} names '${name}', which is not among the tools`, path);
  return { name };
}

export function checkToolCall(value: unknown, path: string): ToolCall {
  if (!isObject(value)) throw new FieldError(`${path} must be an object`, path);
  const id = checkString(value['id'], `${path}.id`, CHAT_LIMITS.idChars);
  const name = value['name'];
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) throw new FieldError(`${path}.name must match ${TOOL_NAME.source}`, `${path}.name`);
  return { id, name, arguments: checkString(value['arguments'], `${path}.arguments`, CHAT_LIMITS.argumentsChars) };
}

/** The calls of an assistant turn, at most `CHAT_LIMITS.toolCallsPerMessage`. */
export function checkToolCalls(value: unknown, path: string, one: (item: unknown, path: string) => ToolCall): ToolCall[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length > CHAT_LIMITS.toolCallsPerMessage) throw new FieldError(`${path} must be an array of at most ${CHAT_LIMITS.toolCallsPerMessage} calls`, path);
  return value.map((c, i) => one(c, `${path}[${i}]`));
}

/** A message of the contract: a known role, text content, calls only on assistant turns, a call id on tool turns. */
function checkMessage(value: unknown, path: string): ChatMessage {
  if (!isObject(value)) throw new FieldError(`${path} must be an object`, path);
  const role = value['role'];
  if (typeof role !== 'string' || !ROLES.has(role)) throw new FieldError(`${path}.role must be system, user, assistant or tool`, `${path}.role`);
  if (typeof value['content'] !== 'string') throw new FieldError(`${path}.content must be a string`, `${path}.content`);
  const toolCalls = checkToolCalls(value['toolCalls'], `${path}.toolCalls`, checkToolCall);
  if (toolCalls && role !== 'assistant') throw new FieldError(`${path}.toolCalls is only for assistant messages`, `${path}.toolCalls`);
  const toolCallId = value['toolCallId'] === undefined ? undefined : checkString(value['toolCallId'], `${path}.toolCallId`, CHAT_LIMITS.idChars);
  if (role === 'tool' && toolCallId === undefined) throw new FieldError(`${path}.toolCallId must name the call a tool message answers`, `${path}.toolCallId`);
  return { role, content: value['content'], ...(toolCalls && toolCalls.length > 0 ? { toolCalls } : {}), ...(toolCallId !== undefined ? { toolCallId } : {}) };
}

function checkContractTool(value: unknown, path: string): ToolDefinition {
  if (!isObject(value)) throw new FieldError(`${path} must be an object`, path);
  return checkToolDefinition({ name: value['name'], description: value['description'], parameters: value['parameters'] }, { name: `${path}.name`, description: `${path}.description`, parameters: `${path}.parameters` });
}

function checkContractChoice(value: unknown, tools: readonly ToolDefinition[] | undefined, path: string): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  if (isObject(value)) return checkNamedChoice(value['name'], tools, `${path}.name`);
  throw new FieldError(`${path} must be 'auto', 'none', 'required' or {name}`, path);
}

/** The contract's response format: `text`, `json_object`, or `json_schema` with a schema. */
export function checkResponseFormat(value: unknown, path: string): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new FieldError(`${path} must be an object`, path);
  const type = value['type'];
  if (type === 'text' || type === 'json_object') return { type };
  if (type !== 'json_schema') throw new FieldError(`${path}.type must be text, json_object or json_schema`, `${path}.type`);
  const name = value['name'] === undefined ? undefined : checkString(value['name'], `${path}.name`, 64);
  return { type, ...(name !== undefined ? { name } : {}), schema: checkSchema(value['schema'], `${path}.schema`) };
}

/** The chat fields of a contract request from the wire, checked; other fields are the engine's to check. */
export function checkChatFields(p: unknown): { messages: ChatMessage[]; tools?: ToolDefinition[]; toolChoice?: ToolChoice; responseFormat?: ResponseFormat } {
  if (!isObject(p)) throw new FieldError('the parameters must be an object', 'params');
  const raw = p['messages'];
  if (!Array.isArray(raw) || raw.length > CHAT_LIMITS.messages) throw new FieldError(`messages must be an array of at most ${CHAT_LIMITS.messages} messages`, 'messages');
  const messages = raw.map((m, i) => checkMessage(m, `messages[${i}]`));
  const tools = checkToolList(p['tools'], 'tools', checkContractTool);
  const toolChoice = checkContractChoice(p['toolChoice'], tools, 'toolChoice');
  if (toolChoice === 'required' && !tools?.length) throw new FieldError("toolChoice 'required' needs at least one tool", 'toolChoice');
  const responseFormat = checkResponseFormat(p['responseFormat'], 'responseFormat');
  return { messages, ...(tools ? { tools } : {}), ...(toolChoice ? { toolChoice } : {}), ...(responseFormat ? { responseFormat } : {}) };
}
