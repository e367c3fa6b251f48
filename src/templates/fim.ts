import type { TokenCounter } from '../common/tokens';
import { fimFamilyRecord, repoName, type FimRenderContext, type FimTemplate } from '../completion/fimTemplates';
import type { TemplateCatalog } from './catalog';
import type { LoadedTemplate } from './pack';

/** What the completion pipeline passes besides prefix and suffix. */
export type FimContext = FimRenderContext;

/**
 * A model family's fill-in-the-middle format backed by pack templates: the repository-level
 * template when there are snippets and the pack has one, the plain template otherwise. It is
 * built on the family's record, so it carries the family's traits (cross-file context, trained
 * window) and, where the pack lists none, its stop tokens: a pack replaces the format only.
 */
export interface PackFimTemplate extends FimTemplate {
  /** The templates behind it, for logs and "where does this prompt come from". */
  readonly sources: readonly LoadedTemplate[];
}

/** Undefined when no pack has a plain `fim` template for `family`. */
export function packFimTemplate(catalog: TemplateCatalog, family: string, countTokens?: TokenCounter): PackFimTemplate | undefined {
  const plain = catalog.fim(family, false);
  if (!plain) {
    return undefined;
  }
  const repo = catalog.fim(family, true);
  const options = countTokens ? { countTokens } : {};
  const record = fimFamilyRecord(family);
  return {
    ...record,
    stop: plain.meta.params.stop ?? record.stop,
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

/**
 * The fill-in-the-middle formats of every family the catalog has a plain `fim` template for, by
 * family id; they win over the built-in formats of the same family.
 */
export function packFimTemplates(catalog: TemplateCatalog, countTokens?: TokenCounter): Record<string, FimTemplate> {
  const families = new Set(catalog.entries.flatMap((e) => (e.template.meta.kind === 'fim' && e.template.meta.family !== undefined ? [e.template.meta.family] : [])));
  return Object.fromEntries(
    [...families].flatMap((family) => {
      const template = packFimTemplate(catalog, family, countTokens);
      return template ? [[family, template] as const] : [];
    }),
  );
}
