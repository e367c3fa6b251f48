import type { TokenCounter } from '../common/tokens';
import type { TemplateCatalog } from '../templates';

export const DEFAULT_SYSTEM_PROMPT =
  'You are Open AutoGLM, a coding assistant that runs on the user\'s own machine. Answer precisely and concisely; put code in fenced Markdown blocks.';

export interface SystemPromptInput {
  /** The prompt packs as last loaded; undefined while they load. */
  catalog: TemplateCatalog | undefined;
  workspaceName: string;
  countTokens: TokenCounter;
  /** Told when the pack's system template fails; the chat goes on with the default prompt. */
  onRenderError(err: unknown): void;
}

/** The prompt packs' `system` template rendered for this workspace, or the built-in prompt. */
export function renderSystemPrompt({ catalog, workspaceName, countTokens, onRenderError }: SystemPromptInput): string {
  const system = catalog?.get('system');
  if (!system) {
    return DEFAULT_SYSTEM_PROMPT;
  }
  try {
    return system.render({ workspaceName }, { countTokens }).text;
  } catch (err) {
    onRenderError(err);
    return DEFAULT_SYSTEM_PROMPT;
  }
}
