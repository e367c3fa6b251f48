import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelLoadError } from '../../../src/common/errors';
import { Engine } from '../../../src/engine';
import { effectiveContext, parseRopeScaling, parseSlidingWindow, parseTiedEmbeddings } from '../../../src/engine/configFeatures';
import { MAX_CONTEXT_POSITIONS, parseConfig } from '../../../src/engine/modelFolder';
import { MODEL_DIR, modelPresent } from './modelFixture';

const FILE = '/models/m/config.json';
const BASE = { model_type: 'qwen2', num_hidden_layers: 28, num_attention_heads: 14, num_key_value_heads: 2, hidden_size: 896, vocab_size: 151936, max_position_embeddings: 32768 };

function configError(json: Record<string, unknown>): ModelLoadError {
  try {
    parseConfig(FILE, json);
  } catch (err) {
    assert.ok(err instanceof ModelLoadError);
    assert.equal(err.file, FILE);
    return err;
  }
  return assert.fail('the config should be refused');
}

describe('config.json: rope_scaling, sliding_window, tie_word_embeddings', () => {
  it('Qwen2.5-Coder-0.5B as published: tied embeddings, no rope scaling, window switched off, context = max_position_embeddings', () => {
    const config = parseConfig(FILE, { ...BASE, tie_word_embeddings: true, rope_scaling: null, sliding_window: 32768, use_sliding_window: false, max_window_layers: 24 });
    assert.equal(config.tieWordEmbeddings, true);
    assert.equal(config.ropeScaling, undefined);
    assert.equal(config.slidingWindow, undefined);
    assert.equal(config.contextLength, 32768);
  });

  it('YaRN as Qwen2.5 documents it for long context: original_max_position_embeddings x factor', () => {
    const config = parseConfig(FILE, { ...BASE, rope_scaling: { type: 'yarn', factor: 4.0, original_max_position_embeddings: 32768 } });
    assert.deepEqual(config.ropeScaling, { type: 'yarn', factor: 4, originalMaxPositions: 32768 });
    assert.equal(config.contextLength, 131072);
  });

  it('linear and dynamic stretch max_position_embeddings; llama3 and longrope state their context themselves', () => {
    assert.equal(effectiveContext(4096, { type: 'linear', factor: 2, originalMaxPositions: undefined }, undefined, MAX_CONTEXT_POSITIONS), 8192);
    assert.equal(effectiveContext(4096, { type: 'dynamic', factor: 1.5, originalMaxPositions: undefined }, undefined, MAX_CONTEXT_POSITIONS), 6144);
    assert.equal(effectiveContext(131072, { type: 'llama3', factor: 8, originalMaxPositions: 8192 }, undefined, MAX_CONTEXT_POSITIONS), 131072);
    assert.equal(parseRopeScaling(FILE, { rope_scaling: { rope_type: 'longrope', short_factor: [1], long_factor: [2] } })?.type, 'longrope');
    assert.equal(effectiveContext(1 << 19, { type: 'linear', factor: 8, originalMaxPositions: undefined }, undefined, MAX_CONTEXT_POSITIONS), MAX_CONTEXT_POSITIONS, 'bounded');
  });

  it('an unknown rope_scaling type is refused, naming it and the supported ones', () => {
    const err = configError({ ...BASE, rope_scaling: { type: 'ntk-by-parts', factor: 2 } });
    assert.equal(err.code, 'unsupported-rope-scaling');
    assert.match(err.problem, /rope_scaling type "ntk-by-parts" is not supported \(supported: default, linear, dynamic, yarn, longrope, llama3, su\)/);
  });

  it('malformed values are refused, naming the field', () => {
    assert.match(configError({ ...BASE, rope_scaling: { type: 'linear', factor: 0.5 } }).problem, /"rope_scaling\.factor" must be a number of at least 1/);
    assert.match(configError({ ...BASE, rope_scaling: 'yarn' }).problem, /"rope_scaling" must be an object or null/);
    assert.match(configError({ ...BASE, sliding_window: -4 }).problem, /"sliding_window" must be a positive integer or null/);
    assert.match(configError({ ...BASE, use_sliding_window: 'yes' }).problem, /"use_sliding_window" must be true or false/);
    assert.match(configError({ ...BASE, max_window_layers: 40 }).problem, /"max_window_layers" must be at most num_hidden_layers \(28\)/);
    assert.match(configError({ ...BASE, tie_word_embeddings: 1 }).problem, /"tie_word_embeddings" must be true or false/);
  });

  it('a sliding window limits the context where a layer uses it', () => {
    // Qwen2 switched on: layers from max_window_layers on are windowed.
    assert.deepEqual(parseSlidingWindow(FILE, { sliding_window: 4096, use_sliding_window: true, max_window_layers: 21 }, 28), { size: 4096, layers: 7 });
    assert.equal(parseSlidingWindow(FILE, { sliding_window: 4096, use_sliding_window: true, max_window_layers: 28 }, 28), undefined, 'no layer from 28 on');
    // Mistral: no switch, the window applies to every layer.
    assert.deepEqual(parseSlidingWindow(FILE, { sliding_window: 4096 }, 32), { size: 4096, layers: 32 });
    assert.equal(parseSlidingWindow(FILE, { sliding_window: null }, 32), undefined);
    assert.equal(parseConfig(FILE, { ...BASE, sliding_window: 4096, use_sliding_window: true, max_window_layers: 21 }).contextLength, 4096);
    assert.equal(parseConfig(FILE, { ...BASE, model_type: 'mistral', sliding_window: 4096 }).contextLength, 4096);
    assert.equal(parseTiedEmbeddings(FILE, {}), false);
  });
});

(modelPresent ? describe : describe.skip)('engine context with a sliding window (skipped without the bundled model)', function () {
  this.timeout(300_000);
  let dir: string;
  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-window-'));
    await fs.cp(MODEL_DIR, dir, { recursive: true });
    const file = path.join(dir, 'config.json');
    const config = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    await fs.writeFile(file, JSON.stringify({ ...config, sliding_window: 64, use_sliding_window: true, max_window_layers: 0 }));
  });
  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reports the window as its context and refuses a longer prompt', async () => {
    const engine = await Engine.load({ modelDir: dir, variant: 'fp32', provider: 'cpu' });
    try {
      assert.equal(engine.model.contextLength, 64);
      const long = Array.from({ length: 80 }, (_, i) => 100 + i);
      await assert.rejects(
        async () => {
          for await (const event of engine.generate({ prompt: long, maxTokens: 1 })) void event;
        },
        (err: Error & { code?: string }) => err.code === 'prompt-too-long' && /context window of .* is 64/.test(err.message),
      );
    } finally {
      await engine.dispose();
    }
  });
});
