import './vscodeStub';
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { MemoryLogger } from '../../../src/common/logger';
import type { AutoGlmConfig } from '../../../src/host/configuration';
import { downloadContext } from '../../../src/host/models/modelDownload';

function config(models: Partial<AutoGlmConfig['models']>): AutoGlmConfig {
  return { models: { endpoint: 'https://huggingface.co', folder: '', offline: false, catalog: '', proxy: '', ...models } } as unknown as AutoGlmConfig;
}

describe('where a download goes and how it reaches the Hub', () => {
  const logger = new MemoryLogger('error');

  it('uses the endpoint, offline mode, the editor proxy and the stored token as set', () => {
    const ctx = downloadContext(config({ endpoint: 'https://hf-mirror.com', offline: true, proxy: 'http://proxy.corp:3128', folder: '/data/models' }), 'hf_secret', logger);
    assert.deepEqual(ctx.hub, { endpoint: 'https://hf-mirror.com', offline: true, token: 'hf_secret', proxy: { url: 'http://proxy.corp:3128' } });
    assert.equal(ctx.root, '/data/models');
  });

  it('connects directly without a token, into the cache folder, when nothing is set', () => {
    const before = process.env.AUTOGLM_MODELS_DIR;
    delete process.env.AUTOGLM_MODELS_DIR;
    try {
      const ctx = downloadContext(config({}), undefined, logger);
      assert.deepEqual(ctx.hub, { endpoint: 'https://huggingface.co', offline: false });
      const cache = process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME) ? process.env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
      assert.equal(ctx.root, path.join(cache, 'open-autoglm', 'models'));
    } finally {
      if (before !== undefined) {
        process.env.AUTOGLM_MODELS_DIR = before;
      }
    }
  });
});
