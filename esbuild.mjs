// Builds the four bundles: extension host, webview (browser), CLI and engine service.
// Usage: node esbuild.mjs [--watch] [--dev]
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const watch = process.argv.includes('--watch');
const dev = process.argv.includes('--dev');

/** Native or editor-provided modules are loaded at run time, never bundled. */
const nodeExternals = ['vscode', 'onnxruntime-node', 'mocha', '@huggingface/transformers', 'node-llama-cpp'];

/**
 * web-tree-sitter's ESM entry finds its wasm through import.meta.url, which a CommonJS bundle
 * does not have; its CommonJS entry reads the wasm with fs from the path locateFile gives
 * (dist/grammars/, see src/codeIndex/syntax.ts), so bundles take that one.
 */
const treeSitterCjs = {
  name: 'web-tree-sitter-cjs',
  setup(build) {
    const path = createRequire(import.meta.url).resolve('web-tree-sitter');
    build.onResolve({ filter: /^web-tree-sitter$/ }, () => ({ path }));
  },
};

const shared = {
  bundle: true,
  sourcemap: true,
  minify: !dev,
  keepNames: true,
  logLevel: 'info',
  define: { __AUTOGLM_VERSION__: JSON.stringify(pkg.version) },
};

const node = { ...shared, platform: 'node', target: 'node20', format: 'cjs', external: nodeExternals, plugins: [treeSitterCjs] };

const builds = [
  { ...node, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { service: 'src/service/main.ts' }, outdir: 'dist' },
  // Chat templates render in this worker (src/engine/templateSandbox.ts looks for it beside the bundle).
  { ...node, entryPoints: { chatTemplateWorker: 'src/engine/chatTemplateWorker.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { outlineWorker: 'src/codeIndex/outlineWorker.ts' }, outdir: 'dist' },
  {
    ...shared,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    entryPoints: { webview: 'src/webview/main.ts' },
    outdir: 'dist',
  },
  // The extension-host test suite runs inside VS Code; it is built beside the product, not into it.
  {
    ...node,
    minify: false,
    entryPoints: ['test/integration/index.ts', 'test/integration/**/*.test.ts'],
    outbase: 'test',
    outdir: 'out/test',
  },
];

// The chat webview loads codicons from the extension itself (no remote resources).
mkdirSync('dist/codicons', { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) {
  copyFileSync(`node_modules/@vscode/codicons/dist/${file}`, `dist/codicons/${file}`);
}

// The workspace index parses with tree-sitter: its runtime and the eight grammars it uses, nothing more.
const GRAMMARS = ['typescript', 'tsx', 'javascript', 'python', 'go', 'rust', 'java', 'cpp'];
rmSync('dist/grammars', { recursive: true, force: true });
mkdirSync('dist/grammars', { recursive: true });
copyFileSync('node_modules/web-tree-sitter/web-tree-sitter.wasm', 'dist/grammars/web-tree-sitter.wasm');
for (const grammar of GRAMMARS) {
  copyFileSync(`node_modules/@vscode/tree-sitter-wasm/wasm/tree-sitter-${grammar}.wasm`, `dist/grammars/tree-sitter-${grammar}.wasm`);
}

if (watch) {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
