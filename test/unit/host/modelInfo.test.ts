import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { BackendInfo } from '../../../src/backends/backend';
import type { AutoGlmConfig } from '../../../src/host/configuration';
import { describeBackend, modelDisplayName, statusDetail } from '../../../src/host/modelInfo';

function config(variant = 'auto', executionProvider = 'auto'): AutoGlmConfig {
  return { model: { path: '', variant }, engine: { executionProvider } } as unknown as AutoGlmConfig;
}

const notLoaded: BackendInfo = { kind: 'local', modelName: 'autoglm-coder', device: 'not loaded', loaded: false };
const serviceHoldsQ4: BackendInfo = { kind: 'local', modelName: 'autoglm-coder', device: 'cpu', variant: 'q4', loaded: true };

describe('engine status description', () => {
  it('reports the variant the shared service runs and that it is loaded, not the settings', () => {
    const view = describeBackend(config(), '/ext', serviceHoldsQ4);
    assert.equal(view.loaded, true);
    assert.equal(view.variant, 'q4');
    assert.equal(view.executionProvider, 'auto → cpu');
    assert.equal(view.modelPath, path.join('/ext', 'models', 'autoglm-coder'));
    assert.equal(statusDetail(view), `Model autoglm-coder (bundled) at ${view.modelPath}; variant q4; execution provider auto → cpu; loaded.`);
  });

  it('names the provider once when the settings asked for the one that runs', () => {
    assert.equal(describeBackend(config('q4', 'cpu'), '/ext', serviceHoldsQ4).executionProvider, 'cpu');
  });

  it('says what the settings ask for while nothing is loaded', () => {
    const view = describeBackend(config('fp16', 'cuda'), '/ext', notLoaded);
    assert.deepEqual([view.loaded, view.variant, view.executionProvider], [false, 'fp16', 'cuda']);
    assert.match(statusDetail(view), /variant fp16; execution provider cuda; not loaded yet\.$/);
  });

  it('names the remote server and its model for a remote backend', () => {
    const view = describeBackend(config(), '/ext', { kind: 'remote', modelName: 'served', device: 'http://gpu:8000/v1', loaded: true });
    assert.deepEqual([view.modelName, view.modelPath, view.bundled, view.executionProvider], ['served', 'http://gpu:8000/v1', false, 'remote server']);
  });
});

describe('model display names', () => {
  it('names a download by its repository, not by the commit folder it lives in', () => {
    const commit = 'a'.repeat(40);
    assert.equal(modelDisplayName(path.join('/cache', 'onnx-community', 'Qwen2.5-Coder-1.5B', commit)), 'Qwen2.5-Coder-1.5B');
    assert.equal(modelDisplayName('/models/my-export'), 'my-export');
  });

  it('shows a loaded download by that name in the status', () => {
    const dir = path.join('/cache', 'onnx-community', 'Qwen2.5-Coder-1.5B', 'b'.repeat(40));
    const view = describeBackend(config(), '/ext', { kind: 'local', modelName: 'b'.repeat(40), device: 'cpu', loaded: true }, { answeringDir: dir });
    assert.deepEqual([view.modelName, view.modelPath, view.bundled], ['Qwen2.5-Coder-1.5B', dir, false]);
  });
});
