import { Template } from '@huggingface/jinja';
import { ModelLoadError } from '../common/errors';
import type { ChatMessage } from './types';

/** The model's own chat template (tokenizer_config.json `chat_template`), compiled once at load. */
export class ChatTemplate {
  private constructor(
    private readonly template: Template,
    private readonly specials: Record<string, string>,
  ) {}

  /** Undefined when the model has no chat template (a base model). */
  static create(file: string, tokenizerConfig: Record<string, unknown>): ChatTemplate | undefined {
    const source = pickTemplate(tokenizerConfig['chat_template']);
    if (source === undefined) {
      return undefined;
    }
    let template: Template;
    try {
      template = new Template(source);
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
    return new ChatTemplate(template, specials);
  }

  render(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string {
    return this.template.render({
      ...this.specials,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      add_generation_prompt: options.addGenerationPrompt ?? true,
    });
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
