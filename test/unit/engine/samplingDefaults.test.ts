import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelLoadError } from '../../../src/common/errors';
import { Engine, generateText } from '../../../src/engine';
import { ENGINE_SAMPLING, parseSamplingDefaults, resolveSampling } from '../../../src/engine/samplingDefaults';
import { MODEL_DIR, modelPresent } from './modelFixture';

const FILE = '/models/m/generation_config.json';

describe('sampling defaults from generation_config.json', () => {
  it('Qwen2.5-Coder Instruct as published: sampling on, its temperature, top_p, top_k and repetition_penalty', () => {
    const defaults = parseSamplingDefaults(FILE, { do_sample: true, temperature: 0.7, top_p: 0.8, top_k: 20, repetition_penalty: 1.05, eos_token_id: [151645, 151643] });
    assert.deepEqual(defaults, { temperature: 0.7, topK: 20, topP: 0.8, repetitionPenalty: 1.05 });
  });

  it('do_sample false or absent decodes greedily, as transformers does; repetition_penalty still applies', () => {
    assert.deepEqual(parseSamplingDefaults(FILE, { do_sample: false, temperature: 0.7, top_p: 0.8, repetition_penalty: 1.1 }), { ...ENGINE_SAMPLING, repetitionPenalty: 1.1 });
    assert.deepEqual(parseSamplingDefaults(FILE, { temperature: 0.7 }), ENGINE_SAMPLING);
    assert.deepEqual(parseSamplingDefaults(FILE, undefined), ENGINE_SAMPLING, 'no file: greedy');
  });

  it('sampling on with fields left out takes transformers defaults for them (temperature 1, top_k 50, top_p 1)', () => {
    assert.deepEqual(parseSamplingDefaults(FILE, { do_sample: true }), { temperature: 1, topK: 50, topP: 1, repetitionPenalty: 1 });
  });

  it('invalid values are a ModelLoadError naming the file and the field', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ do_sample: true, temperature: -1 }, /"temperature" must be a number >= 0/],
      [{ do_sample: true, top_p: 1.5 }, /"top_p" must be a number in \(0, 1\]/],
      [{ do_sample: true, top_k: 2.5 }, /"top_k" must be an integer >= 0/],
      [{ repetition_penalty: 0 }, /"repetition_penalty" must be a number > 0/],
      [{ do_sample: 'yes' }, /"do_sample" must be true or false/],
    ];
    for (const [json, problem] of cases) {
      assert.throws(
        () => parseSamplingDefaults(FILE, json),
        (err: unknown) => err instanceof ModelLoadError && err.file === FILE && err.code === 'invalid-generation-config' && problem.test(err.problem),
        JSON.stringify(json),
      );
    }
  });

  it("a request's explicit values win, field by field, 0 included", () => {
    const defaults = { temperature: 0.7, topK: 20, topP: 0.8, repetitionPenalty: 1.05 };
    assert.deepEqual(resolveSampling({}, defaults), defaults);
    assert.deepEqual(resolveSampling({ temperature: 0, topK: 0 }, defaults), { temperature: 0, topK: 0, topP: 0.8, repetitionPenalty: 1.05 });
    assert.deepEqual(resolveSampling({ topP: 1, repetitionPenalty: 1 }, defaults), { temperature: 0.7, topK: 20, topP: 1, repetitionPenalty: 1 });
  });
});

(modelPresent ? describe : describe.skip)('engine with sampling defaults in generation_config.json (skipped without the bundled model)', function () {
  this.timeout(300_000);
  let dir: string;
  let engine: Engine;
  let reference: Engine;
  const SAMPLING = { temperature: 1.3, topK: 40, topP: 0.95, repetitionPenalty: 1.2 };
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-gencfg-'));
    await fs.cp(MODEL_DIR, dir, { recursive: true });
    const file = path.join(dir, 'generation_config.json');
    const config = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    await fs.writeFile(file, JSON.stringify({ ...config, do_sample: true, temperature: 1.3, top_k: 40, top_p: 0.95, repetition_penalty: 1.2 }));
    engine = await Engine.load({ modelDir: dir, variant: 'fp32', provider: 'cpu' });
    reference = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu' });
  });
  after(async () => {
    await engine?.dispose();
    await reference?.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const request = { prompt: 'def fibonacci(n):\n', maxTokens: 24, stopAtEos: false, seed: 7, usePrefixCache: false };

  it('a request without sampling options samples as if it had set the model defaults', async () => {
    assert.deepEqual(engine.model.sampling, SAMPLING);
    const implicit = await generateText(engine, request);
    const explicit = await generateText(reference, { ...request, ...SAMPLING });
    assert.deepEqual(implicit.tokenIds, explicit.tokenIds);
    const greedy = await generateText(reference, request);
    assert.notDeepEqual(implicit.tokenIds, greedy.tokenIds, 'the defaults really changed the output');
  });

  it('explicit greedy options win over the defaults', async () => {
    const greedy = await generateText(reference, request);
    const overridden = await generateText(engine, { ...request, temperature: 0, repetitionPenalty: 1 });
    assert.deepEqual(overridden.tokenIds, greedy.tokenIds);
    assert.deepEqual(reference.model.sampling, { ...ENGINE_SAMPLING, repetitionPenalty: 1 }, 'the bundled model: do_sample false');
  });
});
