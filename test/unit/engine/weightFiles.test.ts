import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelLoadError } from '../../../src/common/errors';
import { Engine, generateText } from '../../../src/engine';
import { checkModelFile } from '../../../src/engine/externalData';
import type { ConcreteVariant } from '../../../src/engine/modelFolder';
import { MODEL_DIR, modelPresent } from './modelFixture';
import { rewrittenModel, useRewrittenModel } from './rewrittenModel';

const PROMPTS = ['import { readFile } from "node:fs";\n', 'def main():\n    ', 'SELECT * FROM'];
const request = (prompt: string) => ({ prompt, maxTokens: 12, stopAtEos: false, usePrefixCache: false });

async function greedy(dir: string, variant: ConcreteVariant | 'auto'): Promise<{ variant: string; tokens: number[][] }> {
  const engine = await Engine.load({ modelDir: dir, variant, provider: 'cpu' });
  try {
    const tokens: number[][] = [];
    for (const p of PROMPTS) tokens.push((await generateText(engine, request(p))).tokenIds);
    return { variant: engine.model.variant, tokens };
  } finally {
    await engine.dispose();
  }
}

async function loadError(dir: string): Promise<ModelLoadError> {
  const err: unknown = await Engine.load({ modelDir: dir, variant: 'fp32', provider: 'cpu' }).then(
    async (engine) => {
      await engine.dispose();
      return undefined;
    },
    (e: unknown) => e,
  );
  assert.ok(err instanceof ModelLoadError, `expected a ModelLoadError, got ${String(err)}`);
  return err;
}

const describeModel = modelPresent ? describe : describe.skip;

describeModel('engine on the variant file names onnx-community repositories ship (skipped without the bundled model)', function () {
  this.timeout(300_000);
  let fp32: number[][];
  before(async () => {
    fp32 = (await greedy(MODEL_DIR, 'fp32')).tokens;
  });

  const NAMES: Array<[string, ConcreteVariant]> = [
    ['model_q4f16.onnx', 'q4f16'],
    ['model_bnb4.onnx', 'bnb4'],
    ['model_uint8.onnx', 'uint8'],
    ['model_quantized.onnx', 'int8'],
    ['model_fp16.onnx', 'fp16'],
  ];
  for (const [name, variant] of NAMES) {
    it(`${name} (the fp32 weights renamed) loads as ${variant} under auto and decodes as the fp32 file`, async () => {
      const dir = await rewrittenModel('autoglm-name-', [{ from: 'model.onnx', name }]);
      try {
        const got = await greedy(dir, 'auto');
        assert.equal(got.variant, variant);
        assert.deepEqual(got.tokens, fp32);
        assert.deepEqual((await greedy(dir, variant)).tokens, fp32, 'and when asked for by name');
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describeModel('engine on external weight data files (skipped without the bundled model)', function () {
  this.timeout(300_000);
  const single = useRewrittenModel('autoglm-ext-', [
    { from: 'model.onnx', name: 'model.onnx', options: { external: {} } },
    { from: 'model_q4.onnx', name: 'model_q4.onnx', options: { external: {} } },
  ]);
  // Parts of at most 8 MB: the 24 MB of fp32 weights span three files.
  const parts = useRewrittenModel('autoglm-parts-', [{ from: 'model.onnx', name: 'model.onnx', options: { external: { maxPartBytes: 8_500_000 } } }]);

  it('model.onnx + model.onnx_data and model_q4.onnx + model_q4.onnx_data decode as the inline files', async () => {
    const onnx = path.join(single(), 'onnx');
    assert.ok((await fs.stat(path.join(onnx, 'model.onnx'))).size < 1_000_000, 'the weights really are outside model.onnx');
    assert.ok((await fs.stat(path.join(onnx, 'model_q4.onnx_data'))).size > 1_000_000);
    assert.deepEqual((await greedy(single(), 'fp32')).tokens, (await greedy(MODEL_DIR, 'fp32')).tokens);
    assert.deepEqual((await greedy(single(), 'q4')).tokens, (await greedy(MODEL_DIR, 'q4')).tokens);
  });

  it('numbered parts (model.onnx_data, model.onnx_data_1, ...) decode as the inline file and all count as weights', async () => {
    const onnx = path.join(parts(), 'onnx');
    const names = (await fs.readdir(onnx)).filter((n) => n.startsWith('model.onnx_data')).sort();
    assert.deepEqual(names, ['model.onnx_data', 'model.onnx_data_1', 'model.onnx_data_2']);
    const check = await checkModelFile(path.join(onnx, 'model.onnx'), parts());
    assert.deepEqual(check.dataFiles.map((f) => path.basename(f)).sort(), names);
    let total = (await fs.stat(path.join(onnx, 'model.onnx'))).size;
    for (const n of names) total += (await fs.stat(path.join(onnx, n))).size;
    assert.equal(check.weightBytes, total);
    assert.deepEqual((await greedy(parts(), 'fp32')).tokens, (await greedy(MODEL_DIR, 'fp32')).tokens);
  });

  describe('a broken data file is a ModelLoadError naming it', () => {
    let dir: string;
    let outside: string;
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-extbad-'));
      outside = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-outside-'));
      await fs.cp(parts(), dir, { recursive: true });
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
      await fs.rm(outside, { recursive: true, force: true });
    });

    it('a missing part', async () => {
      await fs.rm(path.join(dir, 'onnx', 'model.onnx_data_1'));
      const err = await loadError(dir);
      assert.equal(err.code, 'missing-file');
      assert.equal(err.file, path.join(dir, 'onnx', 'model.onnx_data_1'));
      assert.match(err.problem, /external weight data of model\.onnx is missing/);
    });

    it('a truncated part', async () => {
      const file = path.join(dir, 'onnx', 'model.onnx_data_2');
      const size = (await fs.stat(file)).size;
      await fs.truncate(file, Math.floor(size / 2));
      const err = await loadError(dir);
      assert.equal(err.code, 'truncated-file');
      assert.equal(err.file, file);
      assert.match(err.problem, new RegExp(`is ${Math.floor(size / 2)} bytes but model\\.onnx needs ${size}`));
    });

    it('a part that is a link to a file outside the model folder', async () => {
      const file = path.join(dir, 'onnx', 'model.onnx_data');
      const target = path.join(outside, 'weights.bin');
      await fs.rename(file, target);
      await fs.symlink(target, file);
      const err = await loadError(dir);
      assert.equal(err.code, 'external-data-outside');
      assert.equal(err.file, file);
      assert.match(err.problem, /outside the model folder; refused/);
    });

    it('a location that climbs out of the folder', async () => {
      const file = path.join(dir, 'onnx', 'model.onnx');
      const bytes = await fs.readFile(file);
      // Same length, so the protobuf stays valid: model.onnx_data_2 -> ../escaped.data_2
      const from = Buffer.from('model.onnx_data_2');
      const to = Buffer.from('../escaped.data_2');
      assert.equal(from.length, to.length);
      let at = bytes.indexOf(from);
      assert.ok(at >= 0);
      while (at >= 0) {
        to.copy(bytes, at);
        at = bytes.indexOf(from, at + from.length);
      }
      await fs.writeFile(file, bytes);
      const err = await loadError(dir);
      assert.equal(err.code, 'external-data-outside');
      assert.equal(err.file, path.join(dir, 'escaped.data_2'));
      assert.match(err.problem, /model\.onnx names external data at "\.\.\/escaped\.data_2", outside its folder; refused/);
    });

    it('a link inside the model folder is followed', async () => {
      const file = path.join(dir, 'onnx', 'model.onnx_data');
      await fs.mkdir(path.join(dir, 'blobs'));
      await fs.rename(file, path.join(dir, 'blobs', 'part0'));
      await fs.symlink(path.join('..', 'blobs', 'part0'), file);
      const check = await checkModelFile(path.join(dir, 'onnx', 'model.onnx'), dir);
      assert.equal(check.dataFiles.length, 3);
    });
  });
});
