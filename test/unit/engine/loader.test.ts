import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelLoadError } from '../../../src/common/errors';
import { MemoryLogger } from '../../../src/common/logger';
import { Engine, generateText } from '../../../src/engine';
import { gpuProvidersFor } from '../../../src/engine/providers';
import { MODEL_DIR, modelPresent } from './modelFixture';

const describeModel = modelPresent ? describe : describe.skip;

interface Broken {
  kind: string;
  /** Changes a copy of the good folder. */
  mutate: (dir: string) => Promise<void>;
  variant?: 'fp32' | 'fp16';
  code: string;
  /** The file the error must name, relative to the folder ('' for the folder itself). */
  file: string;
  problem: RegExp;
}

async function editJson(file: string, edit: (json: Record<string, unknown>) => void): Promise<void> {
  const json = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  await fs.writeFile(file, JSON.stringify(json));
}

async function replaceOnnx(dir: string, edit: (bytes: Buffer) => Buffer): Promise<void> {
  const file = path.join(dir, 'onnx', 'model.onnx');
  const bytes = await fs.readFile(path.join(MODEL_DIR, 'onnx', 'model.onnx'));
  await fs.rm(file);
  await fs.writeFile(file, edit(bytes));
}

/** Every byte string `from` replaced by `to` of the same length, which keeps the protobuf valid. */
function renameAll(bytes: Buffer, from: string, to: string): Buffer {
  assert.equal(from.length, to.length);
  const out = Buffer.from(bytes);
  const needle = Buffer.from(from);
  let at = out.indexOf(needle);
  assert.ok(at >= 0, `${from} occurs in the model`);
  while (at >= 0) {
    out.write(to, at);
    at = out.indexOf(needle, at + needle.length);
  }
  return out;
}

const BROKEN: Broken[] = [
  { kind: 'folder does not exist', mutate: (d) => fs.rm(d, { recursive: true }), code: 'missing-folder', file: '', problem: /does not exist/ },
  { kind: 'config.json missing', mutate: (d) => fs.rm(path.join(d, 'config.json')), code: 'missing-file', file: 'config.json', problem: /missing/ },
  { kind: 'config.json is not JSON', mutate: (d) => fs.writeFile(path.join(d, 'config.json'), '{"model_type": "qwen2",'), code: 'invalid-json', file: 'config.json', problem: /not valid JSON/ },
  { kind: 'unsupported model_type', mutate: (d) => editJson(path.join(d, 'config.json'), (j) => (j['model_type'] = 'bert')), code: 'unsupported-model-type', file: 'config.json', problem: /"bert" is not supported/ },
  { kind: 'config.json lacks a field', mutate: (d) => editJson(path.join(d, 'config.json'), (j) => delete j['num_hidden_layers']), code: 'invalid-config', file: 'config.json', problem: /num_hidden_layers/ },
  { kind: 'config.json of 300 MB (sparse)', mutate: (d) => fs.truncate(path.join(d, 'config.json'), 300 * 1024 * 1024), code: 'file-too-large', file: 'config.json', problem: /over the limit of 4194304 bytes/ },
  { kind: 'config.json is a folder', mutate: async (d) => { await fs.rm(path.join(d, 'config.json')); await fs.mkdir(path.join(d, 'config.json')); }, code: 'not-a-file', file: 'config.json', problem: /not a regular file/ },
  { kind: 'absurd max_position_embeddings', mutate: (d) => editJson(path.join(d, 'config.json'), (j) => (j['max_position_embeddings'] = 2 ** 40)), code: 'invalid-config', file: 'config.json', problem: /max_position_embeddings/ },
  { kind: 'tokenizer.json missing', mutate: (d) => fs.rm(path.join(d, 'tokenizer.json')), code: 'missing-file', file: 'tokenizer.json', problem: /missing/ },
  { kind: 'tokenizer.json is not a tokenizer', mutate: (d) => fs.writeFile(path.join(d, 'tokenizer.json'), '{"model": {"type": "NoSuchModel"}}'), code: 'invalid-tokenizer', file: 'tokenizer.json', problem: /not a usable tokenizer/ },
  { kind: 'tokenizer larger than the vocabulary', mutate: (d) => editJson(path.join(d, 'config.json'), (j) => (j['vocab_size'] = 1000)), code: 'vocab-mismatch', file: 'tokenizer.json', problem: /vocab_size = 1000/ },
  { kind: 'no onnx folder', mutate: (d) => fs.rm(path.join(d, 'onnx'), { recursive: true }), code: 'missing-onnx', file: 'onnx', problem: /no ONNX model file/ },
  { kind: 'requested variant missing', mutate: async () => undefined, variant: 'fp16', code: 'missing-variant', file: 'onnx/model_fp16.onnx', problem: /variant "fp16" is not in this model folder/ },
  { kind: 'truncated onnx', mutate: (d) => replaceOnnx(d, (b) => b.subarray(0, Math.floor(b.length * 0.6))), code: 'invalid-onnx', file: 'onnx/model.onnx', problem: /not a loadable ONNX model/ },
  { kind: 'corrupt onnx', mutate: (d) => replaceOnnx(d, (b) => Buffer.from(b.map((x, i) => (i % 7 === 0 ? x ^ 0x5a : x)))), code: 'invalid-onnx', file: 'onnx/model.onnx', problem: /not a loadable ONNX model/ },
  { kind: 'empty onnx', mutate: (d) => replaceOnnx(d, () => Buffer.alloc(0)), code: 'invalid-onnx', file: 'onnx/model.onnx', problem: /empty/ },
  { kind: 'unrecognised input names', mutate: (d) => replaceOnnx(d, (b) => renameAll(b, 'input_ids', 'token_ids')), code: 'unrecognised-io', file: 'onnx/model.onnx', problem: /unrecognised: token_ids/ },
  { kind: 'layer count differs from config', mutate: (d) => editJson(path.join(d, 'config.json'), (j) => (j['num_hidden_layers'] = (j['num_hidden_layers'] as number) + 1)), code: 'layer-mismatch', file: 'onnx/model.onnx', problem: /num_hidden_layers/ },
  { kind: 'chat template does not parse', mutate: (d) => editJson(path.join(d, 'tokenizer_config.json'), (j) => (j['chat_template'] = '{% for m in messages %}{{ m.content }')), code: 'invalid-chat-template', file: 'tokenizer_config.json', problem: /chat_template/ },
];

describeModel('engine model loading (skipped when models/autoglm-coder is absent)', function () {
  // Real model runs on shared, busy cores: allow far more than mocha's default per test.
  this.timeout(300_000);
  let tmp: string;

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-broken-'));
  });

  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  /** A copy of the good folder: JSON files copied, ONNX files linked (edits replace the link). */
  async function copyOfGood(name: string): Promise<string> {
    const dir = path.join(tmp, name.replace(/\W+/g, '-'));
    await fs.mkdir(path.join(dir, 'onnx'), { recursive: true });
    for (const entry of await fs.readdir(MODEL_DIR, { withFileTypes: true })) {
      if (entry.isFile()) await fs.copyFile(path.join(MODEL_DIR, entry.name), path.join(dir, entry.name));
    }
    for (const file of await fs.readdir(path.join(MODEL_DIR, 'onnx'))) {
      await fs.symlink(path.join(MODEL_DIR, 'onnx', file), path.join(dir, 'onnx', file));
    }
    return dir;
  }

  for (const broken of BROKEN) {
    it(`${broken.kind}: ModelLoadError (${broken.code}) naming ${broken.file || 'the folder'}`, async () => {
      const dir = await copyOfGood(broken.kind);
      await broken.mutate(dir);
      const err = await Engine.load({ modelDir: dir, variant: broken.variant ?? 'fp32', provider: 'cpu' }).then(
        () => assert.fail('loading should fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ModelLoadError, `got ${String(err)}`);
      assert.equal(err.code, broken.code, err.message);
      assert.equal(err.file, path.join(dir, broken.file));
      assert.match(err.problem, broken.problem);
      assert.ok(err.message.startsWith(err.file));
    });
  }

  it('after all the broken folders the good folder still loads and generates', async () => {
    const engine = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu' });
    try {
      const r = await generateText(engine, { prompt: 'const a = 1;\n', maxTokens: 4, stopAtEos: false });
      assert.equal(r.tokenIds.length, 4);
    } finally {
      await engine.dispose();
    }
  });

  it('variant selection: auto picks q4 on CPU when present, an explicit variant loads its own file', async () => {
    const auto = await Engine.load({ modelDir: MODEL_DIR, provider: 'cpu' });
    const int8 = await Engine.load({ modelDir: MODEL_DIR, provider: 'cpu', variant: 'int8' });
    try {
      assert.equal(auto.model.variant, 'q4');
      assert.equal(path.basename(auto.model.file), 'model_q4.onnx');
      assert.equal(int8.model.variant, 'int8');
      assert.match(path.basename(int8.model.file), /int8|quantized/);
      assert.equal((await generateText(int8, { prompt: 'x', maxTokens: 2, stopAtEos: false })).tokenIds.length, 2);
    } finally {
      await auto.dispose();
      await int8.dispose();
    }
  });

  it('requesting CUDA where it cannot load runs on CPU and logs why (skipped where CUDA loads: nothing to fall back from)', async function () {
    const logger = new MemoryLogger('info');
    const engine = await Engine.load({ modelDir: MODEL_DIR, provider: 'cuda', variant: 'fp32', logger });
    try {
      if (engine.model.provider === 'cuda') {
        this.skip(); // this machine has a working CUDA stack: nothing to fall back from
      }
      assert.equal(engine.model.provider, 'cpu');
      assert.equal(engine.model.fallbacks[0]?.provider, 'cuda');
      const warn = logger.records.find((r) => r.level === 'warn' && r['provider'] === 'cuda');
      assert.ok(warn, 'a warning names the provider');
      assert.ok(typeof warn['reason'] === 'string' && warn['reason'].length > 0, 'and the reason');
      assert.ok(logger.records.some((r) => r.msg === 'model loaded' && r['provider'] === 'cpu'));
      assert.equal((await generateText(engine, { prompt: 'x', maxTokens: 2, stopAtEos: false })).tokenIds.length, 2);
    } finally {
      await engine.dispose();
    }
  });

  it('auto tries each GPU provider of the platform, catches each failure and ends on CPU', async () => {
    const logger = new MemoryLogger('info');
    const tried: string[] = [];
    const engine = await Engine.load({
      modelDir: MODEL_DIR,
      provider: 'auto',
      logger,
      sessionFactory: async (file, options) => {
        const provider = String(options.executionProviders?.[0]);
        tried.push(provider);
        if (provider !== 'cpu') throw new Error(`${provider} is not available in this test`);
        return typeof file === 'string' ? ort.InferenceSession.create(file, options) : ort.InferenceSession.create(file, options);
      },
    });
    try {
      assert.deepEqual(tried, [...gpuProvidersFor(process.platform), 'cpu']);
      assert.equal(engine.model.provider, 'cpu');
      assert.equal(engine.model.variant, 'q4', 'the CPU choice of auto, not the GPU one');
      assert.deepEqual(engine.model.fallbacks.map((f) => f.provider), gpuProvidersFor(process.platform));
      assert.ok(engine.model.fallbacks.every((f) => f.reason.includes('not available in this test')));
    } finally {
      await engine.dispose();
    }
  });
});
