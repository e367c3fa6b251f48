import type * as vscode from 'vscode';
import { Disposable } from '../../common/disposable';
import type { Logger } from '../../common/logger';
import type { TokenCounting } from '../../common/tokens';
import type { FimTemplate } from '../../completion';
import type { TemplateCatalog } from '../../templates';
import { packFimTemplates } from '../../templates/fim';
import type { ConfigurationChange, LiveConfiguration } from '../configuration';
import { registerTemplateFeatures, type TemplateFeatures } from '../templates';

export interface TemplatesFeatureDeps {
  settings: LiveConfiguration;
  logger: Logger;
  extensionPath: string;
  tokens: TokenCounting;
}

/** Prompt packs: built-in < user < workspace (trusted workspaces only), reloaded when they change. */
export class TemplatesFeature extends Disposable {
  private readonly templates: TemplateFeatures;

  constructor(private readonly deps: TemplatesFeatureDeps) {
    super();
    const config = deps.settings.current;
    this.templates = this.register(
      registerTemplateFeatures({
        logger: deps.logger,
        extensionPath: deps.extensionPath,
        userPackFolders: config.templates.userPacks,
        tokens: deps.tokens,
        fileContentTokens: config.templates.fileContextTokens,
      }),
    );
    this.register(deps.settings.onDidChange((change) => this.onConfigChanged(change)));
  }

  get catalog(): TemplateCatalog | undefined {
    return this.templates.catalog;
  }

  get onDidChange(): vscode.Event<TemplateCatalog> {
    return this.templates.onDidChange;
  }

  /** Fill-in-the-middle formats from the prompt packs, which win over the built-in ones. */
  fimTemplates(): Record<string, FimTemplate> {
    const catalog = this.catalog;
    return catalog ? packFimTemplates(catalog, this.deps.tokens.count) : {};
  }

  private onConfigChanged({ next, prev }: ConfigurationChange): void {
    if (JSON.stringify(next.templates.userPacks) !== JSON.stringify(prev.templates.userPacks)) {
      void this.templates.setUserPackFolders(next.templates.userPacks);
    }
  }
}
