/**
 * The stream stage that turns the engine's text into text plus complete tool calls, for models
 * that write calls in the Hermes form (`<tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>`).
 * Text inside a call is held back until the call closes; a well-formed call becomes one
 * `tool-call` event, anything else is passed through as the text it was (and counted).
 * Every delta still comes out (possibly with its text held back), so token accounting and
 * log-probabilities reach the caller unchanged.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../common/logger';
import type { ToolCall } from '../protocol/generation';
import type { GenerateDelta, GenerateDone, GenerateEvent } from './types';

export interface ToolCallEvent {
  type: 'tool-call';
  call: ToolCall;
}

/** An engine stream with the calls parsed out: deltas of plain text, calls, and the end. */
export type ChatEvent = GenerateDelta | ToolCallEvent | GenerateDone;

export interface ToolCallStreamOptions {
  open: string;
  close: string;
  /** Names of the tools offered; a call to any other is passed through as text. */
  names: ReadonlySet<string>;
  /** Longest call body in characters; a longer one is passed through as text. Default 262 144. */
  maxCallChars?: number;
  logger?: Logger;
  /** Ids of new calls; default `call_` and 24 random hex digits. */
  newId?: () => string;
}

const DEFAULT_MAX_CALL_CHARS = 1 << 18;

const newCallId = (): string => `call_${randomBytes(12).toString('hex')}`;

/** What one piece of input produced, in order. */
type Output = { kind: 'text'; text: string } | { kind: 'call'; call: ToolCall };

/** The call in `body`, or why it is not one. */
export function parseCall(body: string, names: ReadonlySet<string>, id: string): ToolCall | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a JSON object';
  }
  const { name, arguments: args } = value as { name?: unknown; arguments?: unknown };
  if (typeof name !== 'string' || !names.has(name)) {
    return typeof name === 'string' ? `no tool is named '${name.slice(0, 64)}'` : 'no "name"';
  }
  const parsed = typeof args === 'string' ? tryParse(args) : (args ?? {});
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return '"arguments" is not a JSON object';
  }
  return { id, name, arguments: JSON.stringify(parsed) };
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `marker`. */
function partialMarker(text: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, text.length); n > 0; n--) {
    if (text.endsWith(marker.slice(0, n))) return n;
  }
  return 0;
}

/** The parser's state across deltas: outside a call (text waiting to be sure it is not a marker) or inside one. */
class CallSplitter {
  private inCall = false;
  /** Outside: text not yet emitted. Inside: the call's body so far. */
  private pending = '';
  /** The whitespace before the open marker of the call being read. */
  private layout = '';
  /** Characters of the call's body already searched for the close marker. */
  private scanned = 0;
  calls = 0;
  malformed = 0;

  constructor(private readonly options: ToolCallStreamOptions) {}

  push(text: string): Output[] {
    this.pending += text;
    const out: Output[] = [];
    for (;;) {
      const progressed = this.inCall ? this.inside(out) : this.outside(out);
      if (!progressed) return out;
    }
  }

  /** At the end: a call cut short is text, and so is text held back. */
  end(): Output[] {
    const out: Output[] = [];
    if (this.inCall) {
      this.reject(out, this.pending, 'the output ended inside the call');
    } else if (this.pending !== '' && (this.calls === 0 || this.pending.trim() !== '')) {
      out.push({ kind: 'text', text: this.pending });
    }
    this.pending = '';
    return out;
  }

  private outside(out: Output[]): boolean {
    const at = this.pending.indexOf(this.options.open);
    if (at >= 0) {
      // The whitespace a model writes before a call is layout, not text (unless the call is not one).
      const before = this.pending.slice(0, at).trimEnd();
      if (before !== '') out.push({ kind: 'text', text: before });
      this.layout = this.pending.slice(before.length, at);
      this.pending = this.pending.slice(at + this.options.open.length);
      this.scanned = 0;
      this.inCall = true;
      return true;
    }
    // A possible start of the marker and the whitespace before it wait for the next piece.
    const partial = partialMarker(this.pending, this.options.open);
    const ready = this.pending.slice(0, this.pending.length - partial).trimEnd();
    if (ready !== '') out.push({ kind: 'text', text: ready });
    this.pending = this.pending.slice(ready.length);
    return false;
  }

  private inside(out: Output[]): boolean {
    // Only the new text (and a marker it may complete) is searched, so a long call costs linear time.
    const at = this.pending.indexOf(this.options.close, Math.max(0, this.scanned - this.options.close.length + 1));
    const max = this.options.maxCallChars ?? DEFAULT_MAX_CALL_CHARS;
    if (at < 0) {
      this.scanned = this.pending.length;
      if (this.pending.length > max) {
        this.reject(out, this.pending, `the call is longer than ${max} characters`);
        return true;
      }
      return false;
    }
    const body = this.pending.slice(0, at);
    this.pending = this.pending.slice(at + this.options.close.length);
    this.inCall = false;
    const call = parseCall(body.trim(), this.options.names, (this.options.newId ?? newCallId)());
    if (typeof call === 'string') {
      this.reject(out, `${body}${this.options.close}`, call);
    } else {
      this.calls++;
      out.push({ kind: 'call', call });
    }
    return true;
  }

  /** A block that is not a call goes out as the text the model wrote. */
  private reject(out: Output[], rest: string, why: string): void {
    this.malformed++;
    this.options.logger?.warn('the model wrote a tool call that is not well formed; passing it on as text', { why, chars: rest.length });
    out.push({ kind: 'text', text: `${this.layout}${this.options.open}${rest}` });
    if (this.inCall) {
      this.inCall = false;
      this.pending = '';
    }
  }
}

function* emit(delta: GenerateDelta | undefined, outputs: Output[]): Generator<ChatEvent> {
  let first = delta;
  for (const o of outputs) {
    if (o.kind === 'call') {
      if (first) yield { ...first, text: '' };
      first = undefined;
      yield { type: 'tool-call', call: o.call };
    } else {
      yield first ? { ...first, text: o.text } : { type: 'delta', text: o.text, tokenIds: [] };
      first = undefined;
    }
  }
  if (first) yield { ...first, text: '' };
}

/**
 * The events of `events` with the calls parsed out. The end's `text` is the text that was
 * emitted; its stop reason is `tool-calls` when a call was made.
 */
export async function* splitToolCalls(events: AsyncIterable<GenerateEvent>, options: ToolCallStreamOptions): AsyncGenerator<ChatEvent> {
  const splitter = new CallSplitter(options);
  let text = '';
  for await (const event of events) {
    if (event.type === 'delta') {
      const outputs = splitter.push(event.text);
      text += textOf(outputs);
      yield* emit(event, outputs);
      continue;
    }
    const rest = splitter.end();
    text += textOf(rest);
    yield* emit(undefined, rest);
    if (splitter.malformed > 0) {
      options.logger?.info('tool calls passed on as text', { malformed: splitter.malformed, calls: splitter.calls });
    }
    yield { ...event, text, stats: { ...event.stats, stopReason: splitter.calls > 0 ? 'tool-calls' : event.stats.stopReason } };
  }
}

function textOf(outputs: readonly Output[]): string {
  return outputs.map((o) => (o.kind === 'text' ? o.text : '')).join('');
}
