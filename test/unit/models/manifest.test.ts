import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { describeReport, MANIFEST_FILE, verifyModelFolder, writeManifest, type ModelManifest } from '../../../src/models/manifest';
import { modelFolderProblem } from '../../../src/models/pull';
import { tempRoot } from './helpers';

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('models/manifest: verifying a model folder', () => {
  let tmp: ReturnType<typeof tempRoot>;
  let dir: string;
  beforeEach(async () => {
    tmp = tempRoot();
    dir = path.join(tmp.root, 'model');
    await fs.mkdir(path.join(dir, 'onnx'), { recursive: true });
    await fs.writeFile(path.join(dir, 'config.json'), '{"a":1}');
    await fs.writeFile(path.join(dir, 'onnx', 'model_q4.onnx'), 'weights');
    const manifest: ModelManifest = {
      format: 1,
      repo: 'org/model',
      revision: 'c'.repeat(40),
      endpointHost: 'huggingface.co',
      variants: ['q4'],
      files: [
        { path: 'config.json', size: 7, sha256: sha('{"a":1}') },
        { path: 'onnx/model_q4.onnx', size: 7, sha256: sha('weights') },
      ],
      downloadedAt: '2026-12-01T00:00:00.000Z',
    };
    await writeManifest(dir, manifest);
  });
  afterEach(() => tmp.cleanup());

  it('accepts an intact folder', async () => {
    const report = await verifyModelFolder(dir, 'full');
    assert.equal(report.ok, true);
    assert.deepEqual(describeReport(report), []);
  });

  it('reports missing, resized, changed, extra and linked files', async () => {
    await fs.rm(path.join(dir, 'config.json'));
    await fs.writeFile(path.join(dir, 'onnx', 'model_q4.onnx'), 'WEIGHTS');
    await fs.writeFile(path.join(dir, 'stray.bin'), 'x');
    await fs.symlink('/etc/passwd', path.join(dir, 'onnx', 'link.onnx'));
    const fast = await verifyModelFolder(dir, 'fast');
    assert.deepEqual(fast.missing, ['config.json']);
    assert.deepEqual(fast.changed, [], 'same size: only the full check sees the change');
    assert.deepEqual([...fast.extra].sort(), ['onnx/link.onnx', 'stray.bin']);
    const full = await verifyModelFolder(dir, 'full');
    assert.equal(full.ok, false);
    assert.deepEqual(full.changed, [{ path: 'onnx/model_q4.onnx', problem: 'sha256 differs from the manifest' }]);
    await fs.writeFile(path.join(dir, 'onnx', 'model_q4.onnx'), 'short');
    assert.deepEqual((await verifyModelFolder(dir, 'fast')).changed, [{ path: 'onnx/model_q4.onnx', problem: 'size 5 instead of 7' }]);
    await fs.rm(path.join(dir, 'onnx', 'model_q4.onnx'));
    await fs.symlink('/etc/passwd', path.join(dir, 'onnx', 'model_q4.onnx'));
    assert.deepEqual((await verifyModelFolder(dir, 'fast')).changed, [{ path: 'onnx/model_q4.onnx', problem: 'a link' }]);
  });

  it('tells the host whether a folder may be loaded: a user folder without manifest yes, a changed download no', async () => {
    assert.equal(await modelFolderProblem(dir), undefined);
    await fs.appendFile(path.join(dir, 'config.json'), ' ');
    assert.match((await modelFolderProblem(dir)) ?? '', /no longer matches its download \(config\.json: size 8 instead of 7\)/);
    await fs.rm(path.join(dir, MANIFEST_FILE));
    assert.equal(await modelFolderProblem(dir), undefined);
  });

  it('reports a folder without a manifest, or with a broken one, as unverified', async () => {
    await fs.writeFile(path.join(dir, MANIFEST_FILE), '{"format":1,"repo":"../x"}');
    const broken = await verifyModelFolder(dir);
    assert.equal(broken.ok, false);
    assert.match(broken.problem ?? '', /repo is not a repository id/);
    await fs.rm(path.join(dir, MANIFEST_FILE));
    assert.match(describeReport(await verifyModelFolder(dir))[0] ?? '', /autoglm-manifest\.json is missing: not a verified download/);
  });
});
