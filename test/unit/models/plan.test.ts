import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelDownloadError } from '../../../src/models/errors';
import type { HubFile, RepoListing } from '../../../src/models/hubApi';
import { installedModels, modelFolderFor, removeModel } from '../../../src/models/installed';
import { isSafeRepoPath, parseRepoSpec } from '../../../src/models/names';
import { defaultModelsRoot, modelFolder } from '../../../src/models/paths';
import { availableVariants, pickModelFiles } from '../../../src/models/plan';
import { proxyFor, proxyFromEnv } from '../../../src/models/proxy';
import { tempRoot } from './helpers';

function file(p: string, size = 10, sha256: string | null = null): HubFile {
  return { path: p, size, oid: '0'.repeat(40), sha256 };
}

function listing(paths: string[]): RepoListing {
  return { repo: 'org/model', revision: 'main', commit: 'c'.repeat(40), files: paths.map((p) => file(p, 10, p.endsWith('.onnx') ? 'a'.repeat(64) : null)) };
}

const COMMON = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'special_tokens_map.json', 'README.md', '.gitattributes'];

describe('models/plan: any repository id', () => {
  it('picks the engine files and one variant with its external-data parts, pinned to the commit', () => {
    const plan = pickModelFiles(listing([...COMMON, 'onnx/model.onnx', 'onnx/model_q4.onnx', 'onnx/model_fp16.onnx', 'onnx/model_fp16.onnx_data', 'onnx/model_fp16.onnx_data_1', 'onnx/model_fp16_other.onnx_data']), 'fp16');
    assert.equal(plan.revision, 'c'.repeat(40));
    assert.equal(plan.variant, 'fp16');
    assert.deepEqual(
      plan.files.map((f) => f.path),
      ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'special_tokens_map.json', 'onnx/model_fp16.onnx', 'onnx/model_fp16.onnx_data', 'onnx/model_fp16.onnx_data_1'],
    );
  });

  it('prefers q4, then q4f16, and finds models at the root when there is no onnx/ folder', () => {
    assert.equal(pickModelFiles(listing([...COMMON, 'onnx/model_fp16.onnx', 'onnx/model_q4f16.onnx', 'onnx/model_q4.onnx'])).variant, 'q4');
    assert.equal(pickModelFiles(listing([...COMMON, 'onnx/model_fp16.onnx', 'onnx/model_q4f16.onnx'])).variant, 'q4f16');
    const root = pickModelFiles(listing([...COMMON, 'model.onnx', 'model.onnx.data']));
    assert.deepEqual(root.files.slice(-2).map((f) => f.path), ['model.onnx', 'model.onnx.data']);
    assert.deepEqual(availableVariants(listing([...COMMON, 'onnx/model_bnb4.onnx', 'onnx/model_uint8.onnx', 'onnx/model_quantized.onnx'])), ['bnb4', 'uint8', 'quantized']);
  });

  it('says which variants exist when the asked one does not, and refuses a repository without config or tokenizer', () => {
    assert.throws(() => pickModelFiles(listing([...COMMON, 'onnx/model_q4.onnx']), 'int8'), /no ONNX variant 'int8' \(it has q4\)/);
    assert.throws(() => pickModelFiles(listing(['config.json', 'onnx/model_q4.onnx'])), /no tokenizer\.json at the repository root/);
  });

  it('refuses listed paths that would leave the model folder', () => {
    for (const bad of ['../config.json', '/etc/config.json', 'onnx/../../model_q4.onnx', 'onnx\\model_q4.onnx', 'a/b/c/d/e/model.onnx']) {
      assert.throws(
        () => pickModelFiles(listing([...COMMON, 'onnx/model_q4.onnx', bad])),
        (err: unknown) => err instanceof ModelDownloadError && err.reason === 'unsafe-path' && err.message.includes(bad),
        bad,
      );
    }
    assert.equal(isSafeRepoPath('onnx/model_q4.onnx'), true);
    assert.equal(isSafeRepoPath('onnx/mo del.onnx'), false);
    assert.equal(isSafeRepoPath('.hidden'), false);
  });

  it('parses owner/name[@revision] and refuses what is not one', () => {
    assert.deepEqual(parseRepoSpec('onnx-community/Qwen2.5-Coder-0.5B@refs/pr/1'), { repo: 'onnx-community/Qwen2.5-Coder-0.5B', revision: 'refs/pr/1' });
    assert.deepEqual(parseRepoSpec('a/b'), { repo: 'a/b', revision: undefined });
    for (const bad of ['a', 'a/b/c', '../a/b', 'a/..', 'a/b@../x', 'a/b@']) {
      assert.throws(() => parseRepoSpec(bad), ModelDownloadError, bad);
    }
  });
});

describe('models/paths, proxy and installed models', () => {
  it('puts models under the XDG cache or ~/.cache, overridable', () => {
    assert.equal(defaultModelsRoot({}, '/home/u'), '/home/u/.cache/open-autoglm/models');
    assert.equal(defaultModelsRoot({ XDG_CACHE_HOME: '/x/cache' }, '/home/u'), '/x/cache/open-autoglm/models');
    assert.equal(defaultModelsRoot({ XDG_CACHE_HOME: 'relative' }, '/home/u'), '/home/u/.cache/open-autoglm/models');
    assert.equal(defaultModelsRoot({ AUTOGLM_MODELS_DIR: '/m' }, '/home/u'), '/m');
    assert.equal(modelFolder('/m', 'org/name', 'abc'), path.join('/m', 'org', 'name', 'abc'));
    assert.equal(modelFolderFor('/m', 'org/name', 'refs/pr/1'), path.join('/m', 'org', 'name', 'refs--pr--1'));
    assert.throws(() => modelFolderFor('/m', 'org/name', '..'), /not a branch, tag or commit/);
  });

  it('reads HTTPS_PROXY and NO_PROXY and bypasses listed hosts', () => {
    const settings = proxyFromEnv({ https_proxy: 'http://proxy:3128', NO_PROXY: 'localhost,.corp.example, hf-mirror.com' });
    assert.equal(proxyFor(new URL('https://huggingface.co/x'), settings)?.href, 'http://proxy:3128/');
    assert.equal(proxyFor(new URL('https://hub.corp.example/x'), settings), undefined);
    assert.equal(proxyFor(new URL('https://hf-mirror.com/x'), settings), undefined);
    assert.equal(proxyFor(new URL('https://cdn.hf-mirror.com/x'), settings), undefined);
    assert.equal(proxyFor(new URL('https://nothf-mirror.com/x'), settings)?.host, 'proxy:3128');
    assert.equal(proxyFor(new URL('https://a.b/'), { url: 'http://p:1', noProxy: '*' }), undefined);
    assert.deepEqual(proxyFromEnv({}), {});
  });

  it('removes a model folder inside the models folder only, and never through a link', async () => {
    const tmp = tempRoot();
    try {
      const root = path.join(tmp.root, 'models');
      const model = path.join(root, 'org', 'name', 'c'.repeat(40));
      await fs.mkdir(model, { recursive: true });
      await fs.writeFile(path.join(model, 'config.json'), '{}');
      const outside = path.join(tmp.root, 'precious');
      await fs.mkdir(outside);
      await fs.writeFile(path.join(outside, 'keep.txt'), 'x');
      await fs.symlink(outside, path.join(root, 'org', 'link'));
      await assert.rejects(removeModel(root, path.join(root, 'org', 'link')), /not through a link/);
      await assert.rejects(removeModel(root, path.join(root, 'org', 'link', 'keep.txt')), /not through a link/);
      await assert.rejects(removeModel(root, outside), /only model folders inside/);
      await assert.rejects(removeModel(root, root), /only model folders inside/);
      assert.equal(await fs.readFile(path.join(outside, 'keep.txt'), 'utf8'), 'x');
      await removeModel(root, model);
      assert.deepEqual(await fs.readdir(path.join(root, 'org', 'name')), []);
      assert.deepEqual(await installedModels(root), []);
    } finally {
      await tmp.cleanup();
    }
  });
});
