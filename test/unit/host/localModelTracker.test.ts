import * as assert from 'node:assert/strict';
import { LocalModelTracker } from '../../../src/host/models/localModelTracker';

describe('which local model answers', () => {
  const make = (): { t: LocalModelTracker; changes: () => number } => {
    let n = 0;
    const t = new LocalModelTracker('/m/bundled', () => n++);
    return { t, changes: () => n };
  };

  it('keeps the answering folder through a failed switch, and names the failure', () => {
    const { t, changes } = make();
    t.switching('/m/junk');
    assert.deepEqual(t.state, { answeringDir: '/m/bundled', pending: { state: 'loading', modelName: 'junk', modelPath: '/m/junk' } });
    t.failed('/m/junk', new Error('config.json is not JSON.'));
    assert.deepEqual(t.state, { answeringDir: '/m/bundled', pending: { state: 'failed', modelName: 'junk', modelPath: '/m/junk', error: 'config.json is not JSON' } });
    t.switched('/m/good');
    assert.deepEqual(t.state, { answeringDir: '/m/good' });
    assert.equal(changes(), 3);
  });

  it('shows a first load as loading until it ends, but keeps a failure that came meanwhile', () => {
    const { t } = make();
    const end = t.firstLoad();
    assert.equal(t.state.pending?.state, 'loading');
    end();
    assert.deepEqual(t.state, { answeringDir: '/m/bundled' });
    const again = t.firstLoad();
    t.failed('/m/bundled', new Error('no onnx file'));
    again();
    assert.equal(t.state.pending?.state, 'failed', 'the failure stays');
    t.answeringLoaded();
    assert.deepEqual(t.state, { answeringDir: '/m/bundled' }, 'a later successful load clears it');
  });

  it('does not start a first load over a switch in progress', () => {
    const { t } = make();
    t.switching('/m/next');
    const end = t.firstLoad();
    end();
    assert.equal(t.state.pending?.modelPath, '/m/next');
  });
});
