import { Template } from '@huggingface/jinja';
import { ModelLoadError } from '../common/errors';
import { hermesMessages, parsedArguments, type TemplateTool } from './hermesTools';
import { TemplateSandbox, type SandboxResult } from './templateSandbox';
import type { ChatMessage } from './types';

/** A prompt is at most this many times the characters of its messages, plus `OUTPUT_BASE_CHARS`. */
const OUTPUT_PER_INPUT_CHAR = 4;
const OUTPUT_BASE_CHARS = 1 << 20;

/** Rendered once at load, so that a template that never ends is rejected with the model. */
const TRIAL_MESSAGES: readonly ChatMessage[] = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Hello' },
  { role: 'assistant', content: 'Hi!' },
  { role: 'user', content: 'Write a function.' },
];

/** Rendered with and without to tell whether a template has a tools branch. */
const PROBE_TOOLS: readonly TemplateTool[] = [{ type: 'function', function: { name: 'probe', description: 'Probe.', parameters: { type: 'object', properties: {} } } }];

/**
 * Options of one render. `tools` are function descriptions in the OpenAI / transformers form
 * (`{type: 'function', function: {name, description, parameters}}`), handed to the template as its
 * `tools` variable; templates with a tools branch (Qwen2.5, Qwen3) list them in the system turn.
 */
export interface ChatRenderOptions {
  addGenerationPrompt?: boolean;
  tools?: readonly TemplateTool[];
}

/** One render worker for every template of the process; it starts with the first model that has one. */
let sharedSandbox: TemplateSandbox | undefined;

/**
 * The model's own chat template (chat_template.jinja, else tokenizer_config.json `chat_template`), parsed once at load.
 * A template is code from the model folder: it renders in a worker with a time and a heap limit
 * (see `templateSandbox.ts`) and its output length is bounded; a breach is a ModelLoadError with
 * code `chat-template-limit` naming the file, and the engine stays usable.
 */
export class ChatTemplate {
  private toolAware: boolean | undefined;

  private constructor(
    private readonly file: string,
    private readonly source: string,
    private readonly specials: Record<string, string>,
    private readonly sandbox: TemplateSandbox,
  ) {}

  /**
   * The template `value` read from `file` (chat_template.jinja's text or tokenizer_config.json's
   * `chat_template`), with the special tokens of `tokenizerConfig`; undefined when there is none.
   */
  static create(file: string, value: unknown, tokenizerConfig: Record<string, unknown>, sandbox?: TemplateSandbox): ChatTemplate | undefined {
    const source = pickTemplate(value);
    if (source === undefined) {
      return undefined;
    }
    try {
      new Template(source);
    } catch (err) {
      throw new ModelLoadError(file, `chat_template does not parse: ${(err as Error).message}`, 'invalid-chat-template', { cause: err });
    }
    const specials: Record<string, string> = {};
    for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
      const value = tokenText(tokenizerConfig[key]);
      if (value !== undefined) {
        specials[key] = value;
      }
    }
    const template = new ChatTemplate(file, source, specials, sandbox ?? (sharedSandbox ??= new TemplateSandbox()));
    template.trial();
    return template;
  }

  /**
   * The prompt for `messages`. A template without a tools branch gets the conversation with the
   * tools, calls and results written into plain turns (see `hermesTools.ts`); one with it gets
   * them as transformers passes them (`tools`, assistant `tool_calls`, tool `tool_call_id`).
   */
  render(messages: readonly ChatMessage[], options: ChatRenderOptions = {}): string {
    const tools = options.tools && options.tools.length > 0 ? options.tools : undefined;
    const plain = !this.readsTools() && (tools !== undefined || messages.some((m) => m.role === 'tool' || (m.toolCalls?.length ?? 0) > 0));
    return plain ? this.renderRaw(hermesMessages(messages, tools), undefined, options) : this.renderRaw(messages, tools, options);
  }

  /** Whether the template lists tools it is given (Qwen2.5's and Qwen3's do; the bundled model's does not). */
  readsTools(): boolean {
    if (this.toolAware === undefined) {
      const probe = TRIAL_MESSAGES.slice(0, 2);
      try {
        this.toolAware = this.renderRaw(probe, PROBE_TOOLS, {}) !== this.renderRaw(probe, undefined, {});
      } catch {
        // A template that refuses the probe is given the tools as plain turns, which any template renders.
        this.toolAware = false;
      }
    }
    return this.toolAware;
  }

  private renderRaw(messages: readonly ChatMessage[], tools: readonly TemplateTool[] | undefined, options: ChatRenderOptions): string {
    const inputChars = messages.reduce((sum, m) => sum + m.content.length + toolCallChars(m), 0) + (tools ? JSON.stringify(tools).length : 0);
    const maxChars = OUTPUT_PER_INPUT_CHAR * inputChars + OUTPUT_BASE_CHARS;
    const context = { ...this.context(messages, options.addGenerationPrompt ?? true), ...(tools ? { tools } : {}) };
    return this.outcome(this.sandbox.render(this.source, context, maxChars), maxChars);
  }

  /** A template may refuse the sample conversation (raise_exception); only a breached limit rejects it. */
  private trial(): void {
    const maxChars = OUTPUT_BASE_CHARS;
    const result = this.sandbox.render(this.source, this.context(TRIAL_MESSAGES, true), maxChars);
    if (result.kind !== 'error') {
      this.outcome(result, maxChars);
    }
  }

  private context(messages: readonly ChatMessage[], addGenerationPrompt: boolean): Record<string, unknown> {
    return { ...this.specials, messages: messages.map(templateMessage), add_generation_prompt: addGenerationPrompt };
  }

  private outcome(result: SandboxResult, maxChars: number): string {
    switch (result.kind) {
      case 'ok':
        return result.text;
      case 'too-long':
        throw new ModelLoadError(this.file, `chat_template rendered ${result.chars} characters, over the limit of ${maxChars}`, 'chat-template-limit');
      case 'over-limit':
        throw new ModelLoadError(
          this.file,
          `chat_template did not finish within ${this.sandbox.limits.timeMs} ms and ${this.sandbox.limits.heapMb} MB of memory; it was stopped`,
          'chat-template-limit',
        );
      case 'error':
        throw new ModelLoadError(this.file, `chat_template failed to render: ${result.message}`, 'chat-template-render');
      default: {
        const never: never = result;
        throw new Error(`unknown render result ${JSON.stringify(never)}`);
      }
    }
  }
}

/** A message as transformers hands it to templates: calls with parsed `arguments`, as Qwen's templates read them. */
function templateMessage(m: ChatMessage): Record<string, unknown> {
  const calls = m.toolCalls && m.toolCalls.length > 0 ? m.toolCalls : undefined;
  return {
    role: m.role,
    content: m.content,
    ...(calls ? { tool_calls: calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: parsedArguments(c) } })) } : {}),
    ...(m.toolCallId !== undefined ? { tool_call_id: m.toolCallId } : {}),
  };
}

function toolCallChars(m: ChatMessage): number {
  return (m.toolCalls ?? []).reduce((sum, c) => sum + c.name.length + c.arguments.length, 0) + (m.toolCallId?.length ?? 0);
}

function pickTemplate(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  // Some configs hold named templates: [{name: 'default', template: '...'}, ...].
  if (Array.isArray(value)) {
    const named = value as Array<{ name?: unknown; template?: unknown }>;
    const chosen = named.find((t) => t.name === 'default') ?? named[0];
    return typeof chosen?.template === 'string' ? chosen.template : undefined;
  }
  return undefined;
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}
