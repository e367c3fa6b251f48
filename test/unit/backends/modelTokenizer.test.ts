/**
 * The model's tokenizer in the editor window: exact counts once loaded, none while loading or
 * when the folder has none, and no onnxruntime in the process for it.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ModelTokenizer } from '../../../src/backends/modelTokenizer';
import { MemoryLogger } from '../../../src/common/logger';
import { readModelFolder } from '../../../src/engine/modelFolder';
import { TextTokenizer } from '../../../src/engine/tokenizer';
import { modelDir, repoRoot, tempDir } from '../service/serviceProcess';

const text = 'def add(a, b):\n    return a + b  # größe 🎉\n<|fim_middle|>';

describe('model tokenizer in the window', function () {
  this.timeout(30_000);

  it("counts with the bundled model's tokenizer once loaded, and not before", async () => {
    const t = new ModelTokenizer(new MemoryLogger('debug'));
    assert.equal(t.count(text), undefined);
    t.use(modelDir);
    await t.whenSettled();
    const folder = await readModelFolder(modelDir);
    const expected = TextTokenizer.create('tokenizer.json', folder.tokenizerJson, folder.tokenizerConfig).encode(text).length;
    assert.equal(t.count(text), expected);
    assert.notEqual(expected, Math.ceil(text.length / 3));
  });

  it('has no count for a folder without a tokenizer, logs why at debug, and loads again for a good one', async () => {
    const logger = new MemoryLogger('debug');
    const t = new ModelTokenizer(logger);
    t.use(modelDir);
    await t.whenSettled();
    const empty = tempDir('agl-model-');
    t.use(empty);
    assert.equal(t.count(text), undefined, 'the old model no longer counts');
    await t.whenSettled();
    assert.equal(t.count(text), undefined);
    const record = logger.records.find((r) => r.msg === 'no tokenizer in this window; token counts are estimated');
    assert.equal(record?.level, 'debug');
    assert.equal(record?.['modelDir'], empty);
    t.use(modelDir);
    await t.whenSettled();
    assert.ok((t.count(text) ?? 0) > 0);
  });

  it('the service backend does not load onnxruntime into the window', () => {
    const probe = "require('./src/backends/serviceBackend'); process.stdout.write(String(Object.keys(require.cache).some((k) => k.includes('onnxruntime'))));";
    assert.equal(execFileSync(process.execPath, ['-r', 'tsx/cjs', '-e', probe], { cwd: repoRoot, encoding: 'utf8' }), 'false');
  });
});
