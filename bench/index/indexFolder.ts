/** The workspace index of a folder as the extension builds it, for the benchmarks. */
import { IndexBuilder, type BuildReport, type Outliner } from '../../src/codeIndex/indexBuilder';
import { languageOfPath } from '../../src/codeIndex/languages';
import { syntaxAssetsFromPackages } from '../../src/codeIndex/packageAssets';
import { SyntaxOutliner } from '../../src/codeIndex/syntax';
import { WorkerOutliner } from '../../src/codeIndex/workerOutliner';
import { WorkspaceIndex } from '../../src/codeIndex/workspaceIndex';

export interface BuiltIndex {
  index: WorkspaceIndex;
  builder: IndexBuilder;
  report: BuildReport;
  /** Bytes of wasm memory of the in-thread outliner (undefined with the worker). */
  wasmBytes: number | undefined;
  dispose(): void;
}

/**
 * `worker`: the extension's outliner, parsing in a worker thread; `thread`: the same outliner on
 * the caller's thread, as a baseline for what a keystroke would feel without the worker.
 */
export async function buildIndex(root: string, options: { storeFile?: string; outliner?: 'worker' | 'thread' } = {}): Promise<BuiltIndex> {
  const assets = syntaxAssetsFromPackages();
  let outliner: Outliner & { dispose(): void };
  let wasm: (() => number) | undefined;
  if (options.outliner === 'thread') {
    const inThread = await SyntaxOutliner.create(assets, { parseTimeoutMs: 2000 });
    outliner = { id: 'tree-sitter/bench', outline: (f) => inThread.outline(f), dispose: () => inThread.dispose() };
    wasm = () => inThread.wasmMemoryBytes();
  } else {
    const worker = new WorkerOutliner(assets, 'tree-sitter/bench');
    await worker.start();
    outliner = worker;
  }
  const index = new WorkspaceIndex();
  const builder = new IndexBuilder(index, outliner, { root, walk: {}, languageOf: languageOfPath, ...(options.storeFile ? { storeFile: options.storeFile } : {}), changeDelayMs: 0 });
  const report = await builder.build();
  return { index, builder, report, wasmBytes: wasm?.(), dispose: () => outliner.dispose() };
}

export async function indexFolder(root: string): Promise<WorkspaceIndex> {
  const built = await buildIndex(root);
  built.dispose();
  return built.index;
}
