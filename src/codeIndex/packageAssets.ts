/**
 * The tree-sitter assets inside the installed packages, for tests and benchmarks that run from a
 * checkout. Kept apart from syntax.ts: bundles cannot resolve packages at run time, and the
 * extension and CLI bundles take their assets from `dist/grammars/` (syntaxAssetsIn).
 */
import * as path from 'node:path';
import type { SyntaxAssets } from './syntax';

export function syntaxAssetsFromPackages(): SyntaxAssets {
  return {
    runtimeWasm: require.resolve('web-tree-sitter/web-tree-sitter.wasm'),
    grammarDir: path.join(path.dirname(require.resolve('@vscode/tree-sitter-wasm/package.json')), 'wasm'),
  };
}
