import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { gpuProvidersFor } from '../../../src/engine/providers';
import { missingRuntime } from '../../../src/engine/providerRuntime';
import { MODEL_DIR, modelPresent } from './modelFixture';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * Loads the bundled model with provider `auto` in a fresh process (onnxruntime's native prints go
 * to the process's own stderr, out of reach of an in-process capture) and prints the engine's
 * log records as JSON lines on stdout.
 */
const CHILD = `
const { MemoryLogger } = require('./src/common/logger');
const { Engine } = require('./src/engine');
(async () => {
  const logger = new MemoryLogger('debug');
  const engine = await Engine.load({ modelDir: process.argv[1], provider: 'auto', variant: 'fp32', logger });
  const provider = engine.model.provider;
  await engine.dispose();
  for (const r of logger.records) process.stdout.write(JSON.stringify(r) + '\\n');
  process.stdout.write(JSON.stringify({ provider }) + '\\n');
})().catch((e) => { console.error(e); process.exit(1); });
`;

(modelPresent ? describe : describe.skip)('provider probing under auto (skipped without the bundled model)', function () {
  this.timeout(300_000);

  it('writes nothing to stderr and logs one readable line per GPU provider that did not load (skipped where a GPU provider loads)', function () {
    const child = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', CHILD, MODEL_DIR], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const lines = child.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const provider = lines.at(-1)!['provider'];
    if (provider !== 'cpu') {
      this.skip(); // a GPU provider loaded here: nothing was probed in vain
    }
    assert.equal(child.stderr, '', 'no native error block, no Dawn/Vulkan warning');
    for (const gpu of gpuProvidersFor(process.platform)) {
      const records = lines.filter((r) => r['provider'] === gpu && String(r['msg']).startsWith(`execution provider ${gpu} did not load`));
      assert.equal(records.length, 1, `one line for ${gpu}`);
      const msg = String(records[0]!['msg']);
      assert.ok(!msg.includes('\n') && msg.length < 400, `readable: ${msg}`);
      assert.ok(!/onnxruntime_src|\.cc:\d+/.test(msg), `without native source locations: ${msg}`);
      assert.equal(records[0]!['level'], 'info', 'expected under auto, so not a warning');
    }
  });

  it('WebGPU on Linux without the Vulkan loader is skipped with the reason, before onnxruntime is asked', () => {
    const reason = missingRuntime('webgpu', 'linux', { LD_LIBRARY_PATH: '/nonexistent' });
    if (reason === undefined) {
      assert.equal(missingRuntime('webgpu', 'linux', {}), undefined, 'the loader is installed on this machine');
      return;
    }
    assert.match(reason, /Vulkan loader \(libvulkan\.so\.1\) is not installed/);
    assert.equal(missingRuntime('webgpu', 'win32', {}), undefined, 'Windows runs WebGPU on Direct3D');
    assert.equal(missingRuntime('cuda', 'linux', {}), undefined);
  });
});
