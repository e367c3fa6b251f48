/**
 * Checks the packaged linux-x64 VSIX: what a user installs must run offline (bundles, prompts,
 * media, the bundled model, onnxruntime-node's own binary) and carry nothing else.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { vsixPath } from '../harness/workbench';

const EXT = 'extension/';

describe('linux-x64 VSIX contents', () => {
  let entries: string[];
  let manifest: string;

  before(() => {
    const vsix = vsixPath();
    assert.ok(fs.existsSync(vsix), `${vsix} exists (built by tools/package.mjs)`);
    entries = execFileSync('unzip', ['-Z1', vsix], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
      .split('\n')
      .filter((e) => e.startsWith(EXT) && !e.endsWith('/'))
      .map((e) => e.slice(EXT.length));
    manifest = execFileSync('unzip', ['-p', vsix, 'extension.vsixmanifest'], { encoding: 'utf8' });
  });

  const under = (prefix: string): string[] => entries.filter((e) => e.startsWith(prefix));

  it('declares linux-x64 as its target platform', () => {
    assert.match(manifest, /TargetPlatform="linux-x64"/);
  });

  it('carries no sources, tests, tools or benchmarks', () => {
    const leaked = entries.filter((e) => /^(src|test|tools|bench|out|test-results|\.ci)\//.test(e) || /(^|\/)tsconfig\.json$/.test(e));
    assert.deepEqual(leaked, []);
    assert.deepEqual(entries.filter((e) => e.endsWith('.ts') && !e.endsWith('.d.ts')), []);
  });

  it('contains the bundles and the worker scripts', () => {
    for (const bundle of ['extension.js', 'cli.js', 'service.js', 'webview.js', 'chatTemplateWorker.js', 'outlineWorker.js']) {
      assert.ok(entries.includes(`dist/${bundle}`), `dist/${bundle}`);
    }
  });

  it('contains the built-in prompt pack and the media', () => {
    assert.ok(entries.includes('prompts/pack.json'), 'prompts/pack.json');
    assert.ok(under('prompts/').some((e) => e.endsWith('.hbs')), 'at least one template');
    assert.ok(entries.includes('media/autoglm.svg'));
  });

  it('contains the bundled model in the Hugging Face ONNX layout', () => {
    for (const file of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'README.md']) {
      assert.ok(entries.includes(`models/autoglm-coder/${file}`), `models/autoglm-coder/${file}`);
    }
  });

  it('contains the model catalog', () => {
    assert.ok(entries.includes('models/catalog.json'), 'models/catalog.json');
  });

  it('contains the tree-sitter runtime and the eight grammars the workspace index uses, nothing else, with their notices', () => {
    const grammars = ['cpp', 'go', 'java', 'javascript', 'python', 'rust', 'tsx', 'typescript'].map((g) => `dist/grammars/tree-sitter-${g}.wasm`);
    assert.deepEqual(under('dist/grammars/').sort(), [...grammars, 'dist/grammars/web-tree-sitter.wasm'].sort());
    assert.deepEqual(under('node_modules/').filter((e) => /tree-sitter/.test(e)), []);
    assert.ok(entries.includes('THIRD-PARTY-NOTICES.md'), 'THIRD-PARTY-NOTICES.md');
  });

  it("contains onnxruntime-node's linux-x64 binary and no other platform's", () => {
    const binaries = under('node_modules/onnxruntime-node/bin/');
    assert.ok(binaries.includes('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node'));
    assert.ok(binaries.some((e) => /linux\/x64\/libonnxruntime\.so/.test(e)));
    assert.deepEqual(binaries.filter((e) => !e.startsWith('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/')), []);
    assert.ok(entries.includes('node_modules/onnxruntime-node/dist/index.js'));
    assert.ok(entries.includes('node_modules/onnxruntime-common/dist/cjs/index.js'));
  });
});
