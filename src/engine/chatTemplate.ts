import { Template } from '@huggingface/jinja';
import { ModelLoadError } from '../common/errors';
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

/**
 * Options of one render. `tools` are function descriptions in the OpenAI / transformers form
 * (`{type: 'function', function: {name, description, parameters}}`), handed to the template as its
 * `tools` variable; templates with a tools branch (Qwen2.5, Qwen3) list them in the system turn.
 */
export interface ChatRenderOptions {
  addGenerationPrompt?: boolean;
  tools?: ReadonlyArray<Record<string, unknown>>;
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

  render(messages: readonly ChatMessage[], options: ChatRenderOptions = {}): string {
    const tools = options.tools && options.tools.length > 0 ? options.tools : undefined;
    const inputChars = messages.reduce((sum, m) => sum + m.content.length, 0) + (tools ? JSON.stringify(tools).length : 0);
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
    return { ...this.specials, messages: messages.map((m) => ({ role: m.role, content: m.content })), add_generation_prompt: addGenerationPrompt };
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
