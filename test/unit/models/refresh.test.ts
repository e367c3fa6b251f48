import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { catalogPlan, findEntry, loadCatalog } from '../../../src/models/catalog';
import { downloadModel } from '../../../src/models/download';
import { verifyModelFolder } from '../../../src/models/manifest';
import { refreshCatalog } from '../../../tools/refreshCatalog';
import { onnxCommunityRepo, startHubStandIn, type HubStandIn } from '../../harness/hubStandIn';
import { ROOT } from '../../harness/paths';
import { tempRoot } from './helpers';

const ID = 'qwen2.5-coder-0.5b-instruct';
const REPO = 'onnx-community/Qwen2.5-Coder-0.5B-Instruct';

describe('tools/refreshCatalog against the Hub stand-in', () => {
  let hub: HubStandIn;
  before(async () => {
    const full = onnxCommunityRepo(REPO);
    // Without fp16 in the repository, so the refresh has a variant to drop.
    const files = Object.fromEntries(Object.entries(full.files).filter(([p]) => p !== 'onnx/model_fp16.onnx'));
    hub = await startHubStandIn({ repos: [{ id: REPO, files }] });
  });
  after(() => hub.close());

  it('pins the revision and records real sizes and hashes, then the catalog alone plans a download that verifies', async () => {
    const before = await loadCatalog(path.join(ROOT, 'models', 'catalog.json'));
    const { catalog, report } = await refreshCatalog(before, { endpoint: hub.url }, [ID, 'qwen2.5-coder-7b-instruct']);
    assert.deepEqual(report.refreshed, [ID]);
    assert.deepEqual(report.droppedVariants, [{ id: ID, variant: 'fp16' }]);
    assert.equal(report.failed.length, 1);
    assert.match(report.failed[0]!.problem, /no such repository/);
    const entry = findEntry(catalog, ID)!;
    assert.equal(entry.revision, hub.commitOf(REPO));
    assert.deepEqual(entry.variants.map((v) => v.name), ['q4', 'q4f16', 'int8']);
    const q4f16 = entry.variants.find((v) => v.name === 'q4f16')!;
    assert.deepEqual(q4f16.files.map((f) => f.path), ['onnx/model_q4f16.onnx', 'onnx/model_q4f16.onnx_data']);
    assert.equal(q4f16.files[1]!.sha256, hub.sha256Of(REPO, 'onnx/model_q4f16.onnx_data'));
    assert.equal(entry.files.find((f) => f.path === 'tokenizer.json')!.sha256, hub.sha256Of(REPO, 'tokenizer.json'));
    assert.deepEqual(findEntry(catalog, 'qwen2.5-coder-7b-instruct'), findEntry(before, 'qwen2.5-coder-7b-instruct'), 'a failed entry keeps its values');
    const plan = catalogPlan(entry, 'int8')!;
    assert.ok(plan, 'every file is now hub-metadata');
    const tmp = tempRoot();
    try {
      const result = await downloadModel(plan, { hub: { endpoint: hub.url }, target: path.join(tmp.root, 'm') });
      assert.equal((await verifyModelFolder(result.dir, 'full')).ok, true);
    } finally {
      await tmp.cleanup();
    }
  });
});
