/**
 * An MCP tool result as text for the model: text items as they are, embedded text resources with
 * their URI, and for what is not text (images, audio, binary resources, links) a line saying what
 * it is. The whole is cut at a size the chat can hold. The result comes from a server, so every
 * field is checked rather than trusted.
 */
import type { ToolResult } from '../types';

export const DEFAULT_MAX_RESULT_CHARS = 32_000;

type Item = Record<string, unknown>;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Bytes that base64 `data` decodes to, without decoding it. */
function base64Bytes(data: unknown): number {
  const text = str(data) ?? '';
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((text.length * 3) / 4) - padding);
}

function describeResource(resource: unknown): string {
  if (typeof resource !== 'object' || resource === null) return '[resource]';
  const r = resource as Item;
  const uri = str(r['uri']) ?? 'unknown URI';
  const mime = str(r['mimeType']);
  const text = str(r['text']);
  if (text !== undefined) return `[resource ${uri}${mime ? ` (${mime})` : ''}]\n${text}`;
  return `[binary resource ${uri}${mime ? ` (${mime})` : ''}, ${base64Bytes(r['blob'])} bytes, not shown]`;
}

function itemText(item: unknown): string {
  if (typeof item !== 'object' || item === null) return '[unreadable content item]';
  const it = item as Item;
  switch (it['type']) {
    case 'text':
      return str(it['text']) ?? '';
    case 'image':
      return `[image (${str(it['mimeType']) ?? 'unknown type'}), ${base64Bytes(it['data'])} bytes, not shown]`;
    case 'audio':
      return `[audio (${str(it['mimeType']) ?? 'unknown type'}), ${base64Bytes(it['data'])} bytes, not shown]`;
    case 'resource':
      return describeResource(it['resource']);
    case 'resource_link':
      return `[resource link ${str(it['uri']) ?? 'unknown URI'}${str(it['name']) ? ` "${str(it['name'])}"` : ''}]`;
    default:
      return `[content of type ${JSON.stringify(String(it['type']))}, not shown]`;
  }
}

/** Cuts `text` to `maxChars`, saying how much was left out so the model knows it saw a part. */
export function capText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const note = `\n[... ${text.length - maxChars} more characters cut]`;
  return `${text.slice(0, Math.max(0, maxChars - note.length))}${note}`;
}

function structuredText(result: Item): string | undefined {
  const structured = result['structuredContent'] ?? result['toolResult'];
  if (structured === undefined) return undefined;
  try {
    return JSON.stringify(structured);
  } catch {
    return '[structured content that cannot be shown as JSON]';
  }
}

/** The text the model is told, and whether the server said the call failed. */
export function flattenToolResult(result: unknown, maxChars = DEFAULT_MAX_RESULT_CHARS): ToolResult {
  const r = typeof result === 'object' && result !== null ? (result as Item) : {};
  const content = Array.isArray(r['content']) ? r['content'] : [];
  const parts: string[] = [];
  let length = 0;
  // Stop reading items once past the cap: a hostile server may send a great many.
  for (const item of content) {
    if (length > maxChars) break;
    const text = itemText(item);
    parts.push(text);
    length += text.length + 1;
  }
  const text = parts.length > 0 ? parts.join('\n') : (structuredText(r) ?? '');
  return { text: capText(text, maxChars), ...(r['isError'] === true ? { isError: true } : {}) };
}
