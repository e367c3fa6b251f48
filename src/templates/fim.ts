import type { TemplateCatalog } from './catalog';
import type { LoadedTemplate } from './pack';
import type { TokenCounter } from './types';

/** What the completion pipeline passes besides prefix and suffix. */
export interface FimContext {
  readonly filePath: string;
  readonly languageId: string;
  /** Neighbouring code, for repository-level formats. */
  readonly snippets: readonly { readonly path: string; readonly text: string }[];
  readonly repoName?: string;
}

/**
 * A model family's fill-in-the-middle format backed by pack templates: the repository-level
 * template when there are snippets and the pack has one, the plain template otherwise. The shape
 * matches the completion pipeline's own formats, so a pack can replace them.
 */
export interface PackFimTemplate {
  readonly family: string;
  readonly stop: readonly string[];
  render(prefix: string, suffix: string, context: FimContext): string;
  /** The templates behind it, for logs and "where does this prompt come from". */
  readonly sources: readonly LoadedTemplate[];
}

function repoName(context: FimContext): string {
  return context.repoName ?? (context.filePath.includes('/') ? context.filePath.split('/')[0] || 'workspace' : 'workspace');
}

/** Undefined when no pack has a plain `fim` template for `family`. */
export function packFimTemplate(catalog: TemplateCatalog, family: string, countTokens?: TokenCounter): PackFimTemplate | undefined {
  const plain = catalog.fim(family, false);
  if (!plain) {
    return undefined;
  }
  const repo = catalog.fim(family, true);
  const options = countTokens ? { countTokens } : {};
  return {
    family,
    stop: plain.meta.params.stop ?? [],
    sources: repo ? [plain, repo] : [plain],
    render(prefix, suffix, context) {
      const template = repo && context.snippets.length > 0 ? repo : plain;
      const input = {
        prefix,
        suffix,
        filePath: context.filePath,
        language: context.languageId,
        repoName: repoName(context),
        files: context.snippets.map((s) => ({ path: s.path, content: s.text })),
      };
      return template.render(input, options).text;
    },
  };
}
