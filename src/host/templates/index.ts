import type * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import type { TemplateCatalog } from '../../templates/catalog';
import type { TokenCounting } from '../../common/tokens';
import { registerTemplateCommands, type RenderedPrompt } from './templateCommands';
import { TemplateHost } from './templateHost';

export { TEMPLATE_COMMANDS, type RenderedPrompt } from './templateCommands';
export { TemplateHost, type WorkspaceTrust } from './templateHost';

export interface TemplateFeatureDeps {
  readonly logger: Logger;
  readonly extensionPath: string;
  /** `autoglm.templates.userPacks`: absolute folders (or `~/...`) of user prompt packs. */
  readonly userPackFolders: readonly string[];
  /** Token counts of rendered prompts: the model's tokenizer once loaded, an estimate before (and it says which). */
  readonly tokens: TokenCounting;
  /** Receives the prompt of "Run template..."; default opens it in an untitled editor. */
  readonly onPrompt?: (prompt: RenderedPrompt) => void | Thenable<void>;
  /** `autoglm.templates.fileContextTokens`: tokens of file content a prompt may carry. Default 4000. */
  readonly fileContentTokens?: number;
}

export interface TemplateFeatures extends vscode.Disposable {
  /** The templates as last loaded; undefined until the first load ends (see `ready`). */
  readonly catalog: TemplateCatalog | undefined;
  readonly ready: Promise<TemplateCatalog>;
  readonly onDidChange: vscode.Event<TemplateCatalog>;
  setUserPackFolders(folders: readonly string[]): Promise<TemplateCatalog>;
}

/**
 * Prompt templates in the editor: loads the packs (workspace packs only when trusted), reloads on
 * change, shows problems in the Problems panel, and registers the template commands.
 */
export function registerTemplateFeatures(deps: TemplateFeatureDeps): TemplateFeatures {
  const logger = deps.logger.child({ component: 'templates' });
  const host = new TemplateHost({ logger, extensionPath: deps.extensionPath, userPackFolders: deps.userPackFolders });
  const commands = registerTemplateCommands({
    logger,
    host,
    tokens: deps.tokens,
    ...(deps.onPrompt ? { onPrompt: deps.onPrompt } : {}),
    ...(deps.fileContentTokens !== undefined ? { fileContentTokens: deps.fileContentTokens } : {}),
  });
  return {
    get catalog() {
      return host.catalog;
    },
    ready: host.ready,
    onDidChange: host.onDidChange,
    setUserPackFolders: (folders) => host.setUserPackFolders(folders),
    dispose: () => {
      commands.dispose();
      host.dispose();
    },
  };
}
