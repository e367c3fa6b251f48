/**
 * Bounded reads of a model folder's metadata: a FIFO, a device or a huge file where config.json
 * or tokenizer.json should be fails fast with a ModelLoadError naming the file and the limit.
 * Needs no ONNX session: the folder's metadata is read before any model file is opened.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelLoadError } from '../../../src/common/errors';
import { readModelFolder } from '../../../src/engine/modelFolder';
import { METADATA_FILE_LIMIT, TOKENIZER_FILE_LIMIT, modelFileLimit, readModelText } from '../../../src/engine/modelFiles';

const CONFIG = { model_type: 'qwen2', num_hidden_layers: 2, num_attention_heads: 2, hidden_size: 8, vocab_size: 16, max_position_embeddings: 64 };

const posix = process.platform !== 'win32';

/** A small model folder with a valid config.json and tokenizer.json and one (empty) ONNX name. */
async function smallFolder(root: string, name: string): Promise<string> {
  const dir = path.join(root, name);
  await fs.mkdir(path.join(dir, 'onnx'), { recursive: true });
  await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(CONFIG));
  await fs.writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'BPE', vocab: {}, merges: [] } }));
  await fs.writeFile(path.join(dir, 'onnx', 'model.onnx'), '');
  return dir;
}

async function loadError(dir: string): Promise<ModelLoadError> {
  const err = await readModelFolder(dir).then(
    () => assert.fail('reading the folder should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ModelLoadError, `got ${String(err)}`);
  return err;
}

describe('model folder: bounded metadata reads', function () {
  this.timeout(20_000);
  let tmp: string;

  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-model-files-'));
  });

  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('names its limits: 4 MiB for the small JSON and template files, 64 MiB for tokenizer.json', () => {
    assert.equal(METADATA_FILE_LIMIT, 4 * 1024 * 1024);
    assert.equal(TOKENIZER_FILE_LIMIT, 64 * 1024 * 1024);
    for (const name of ['config.json', 'generation_config.json', 'tokenizer_config.json', 'chat_template.jinja', 'special_tokens_map.json']) {
      assert.equal(modelFileLimit(name), METADATA_FILE_LIMIT, name);
    }
    assert.equal(modelFileLimit('tokenizer.json'), TOKENIZER_FILE_LIMIT);
  });

  it('the small folder itself reads (the cases below fail for their one change)', async () => {
    const folder = await readModelFolder(await smallFolder(tmp, 'good'));
    assert.equal(folder.config.maxPositions, 64);
  });

  (posix ? it : it.skip)('a FIFO as config.json fails fast with a ModelLoadError (skipped on Windows: no mkfifo)', async function () {
    this.timeout(5_000);
    const dir = await smallFolder(tmp, 'fifo');
    await fs.rm(path.join(dir, 'config.json'));
    execFileSync('mkfifo', [path.join(dir, 'config.json')]);
    const err = await loadError(dir);
    assert.equal(err.file, path.join(dir, 'config.json'));
    assert.equal(err.code, 'not-a-file');
    assert.match(err.problem, /not a regular file/);
  });

  it('a 300 MB sparse config.json is refused without being read', async () => {
    const dir = await smallFolder(tmp, 'huge');
    await fs.truncate(path.join(dir, 'config.json'), 300 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    const err = await loadError(dir);
    assert.equal(err.file, path.join(dir, 'config.json'));
    assert.equal(err.code, 'file-too-large');
    assert.match(err.problem, /314572800 bytes.*limit of 4194304 bytes \(4 MiB\)/);
    assert.ok(process.memoryUsage().rss - before < 100 * 1024 * 1024, 'the file was not read into memory');
  });

  it('a tokenizer.json over its own limit is refused, naming that limit', async () => {
    const dir = await smallFolder(tmp, 'huge-tokenizer');
    await fs.truncate(path.join(dir, 'tokenizer.json'), TOKENIZER_FILE_LIMIT + 1);
    const err = await loadError(dir);
    assert.equal(err.file, path.join(dir, 'tokenizer.json'));
    assert.equal(err.code, 'file-too-large');
    assert.match(err.problem, /64 MiB/);
  });

  it('a directory as tokenizer_config.json is refused as not a regular file', async () => {
    const dir = await smallFolder(tmp, 'dir-config');
    await fs.mkdir(path.join(dir, 'tokenizer_config.json'));
    const err = await loadError(dir);
    assert.equal(err.file, path.join(dir, 'tokenizer_config.json'));
    assert.equal(err.code, 'not-a-file');
  });

  it('a symlink to a regular file is followed (Hugging Face cache folders link every file to a blob; skipped where the user may not create symlinks)', async function () {
    const dir = await smallFolder(tmp, 'linked');
    const blob = path.join(tmp, 'config-blob.json');
    await fs.rename(path.join(dir, 'config.json'), blob);
    try {
      await fs.symlink(blob, path.join(dir, 'config.json'));
    } catch {
      this.skip(); // this system does not let the user create symlinks
    }
    assert.equal((await readModelFolder(dir)).config.layers, 2);
  });

  it('readModelText: undefined for a missing file, the text within the limit, refused at limit + 1', async () => {
    const file = path.join(tmp, 'exact.txt');
    assert.equal(await readModelText(file, 8), undefined);
    await fs.writeFile(file, '12345678');
    assert.equal(await readModelText(file, 8), '12345678');
    await fs.writeFile(file, '123456789');
    await assert.rejects(readModelText(file, 8), (e: unknown) => e instanceof ModelLoadError && e.code === 'file-too-large' && /limit of 8 bytes/.test(e.problem));
  });

  it('config.json with an absurd max_position_embeddings is refused', async () => {
    for (const value of [2 ** 40, 1e300, -1, 0, 1.5, '4096']) {
      const dir = await smallFolder(tmp, `positions-${String(value).replace(/\W/g, '')}`);
      await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify({ ...CONFIG, max_position_embeddings: value }));
      const err = await loadError(dir);
      assert.equal(err.code, 'invalid-config', String(value));
      assert.match(err.problem, /max_position_embeddings/);
    }
  });
});
