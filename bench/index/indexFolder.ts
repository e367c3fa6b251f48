/** The workspace index of a folder as the extension builds it (tree-sitter outliner, no saved copy), for the benchmarks. */
import { IndexBuilder, type BuildReport } from '../../src/codeIndex/indexBuilder';
import { languageOfPath } from '../../src/codeIndex/languages';
import { syntaxAssetsFromPackages } from '../../src/codeIndex/packageAssets';
import { SyntaxOutliner } from '../../src/codeIndex/syntax';
import { WorkspaceIndex } from '../../src/codeIndex/workspaceIndex';

export interface BuiltIndex {
  index: WorkspaceIndex;
  builder: IndexBuilder;
  outliner: SyntaxOutliner;
  report: BuildReport;
}

export async function buildIndex(root: string, storeFile?: string): Promise<BuiltIndex> {
  const outliner = await SyntaxOutliner.create(syntaxAssetsFromPackages());
  const index = new WorkspaceIndex();
  const builder = new IndexBuilder(index, { id: 'tree-sitter/bench', outline: (f) => outliner.outline(f) }, { root, walk: {}, languageOf: languageOfPath, ...(storeFile ? { storeFile } : {}), changeDelayMs: 0 });
  const report = await builder.build();
  return { index, builder, outliner, report };
}

export async function indexFolder(root: string): Promise<WorkspaceIndex> {
  return (await buildIndex(root)).index;
}
