import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { CliIO } from '../../../src/cli/command';
import { createModelsCommand, progressLine, type ModelsCommandEnv } from '../../../src/cli/models';
import { startHubStandIn, type HubStandIn } from '../../harness/hubStandIn';
import { ROOT } from '../../harness/paths';
import { tempRoot } from './helpers';

const GB = 1024 ** 3;
const REPO = 'open-autoglm/autoglm-coder';

function capture(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

describe('autoglm models (CLI) against the Hub stand-in', () => {
  let hub: HubStandIn;
  let tmp: ReturnType<typeof tempRoot>;
  let env: ModelsCommandEnv;

  before(async () => {
    hub = await startHubStandIn();
  });
  after(() => hub.close());
  beforeEach(() => {
    tmp = tempRoot();
    hub.setFault();
    env = { env: { AUTOGLM_MODELS_DIR: tmp.root, HF_ENDPOINT: hub.url }, isTTY: false, catalogFile: path.join(ROOT, 'models', 'catalog.json'), totalMemBytes: 8 * GB };
  });
  afterEach(() => tmp.cleanup());

  async function run(args: string[], ctx: ModelsCommandEnv = env): Promise<{ code: number; out: string; err: string }> {
    const io = capture();
    const code = await createModelsCommand(() => ctx).run(args, io);
    return { code, out: io.out, err: io.err };
  }

  it('pulls any repository, prints plain progress lines, then path, verify, list and rm work on it', async () => {
    const pulled = await run(['pull', `${REPO}@main`, '--variant', 'int8']);
    assert.equal(pulled.code, 0, pulled.err);
    const dir = path.join(tmp.root, 'open-autoglm', 'autoglm-coder', hub.commitOf(REPO));
    assert.match(pulled.out, new RegExp(`Verified 6 files .*: ${dir.replace(/[.]/g, '\\.')}`));
    assert.match(pulled.out, /^100% .* file 6\/6\n/m);
    assert.ok(!pulled.out.includes('\r'), 'no carriage returns when stdout is not a terminal');
    const where = await run(['path', REPO]);
    assert.equal(where.out, `${dir}\n`);
    const verified = await run(['verify', REPO]);
    assert.equal(verified.code, 0);
    assert.match(verified.out, /^ok .* \(6 files, SHA-256 checked\)/);
    const listed = await run(['list', '--json']);
    const json = JSON.parse(listed.out) as { downloaded: { repo: string; variants: string[] }[]; catalog: { id: string; fits: boolean }[] };
    assert.deepEqual(json.downloaded.map((d) => [d.repo, d.variants]), [[REPO, ['int8']]]);
    assert.equal(json.catalog.find((c) => c.id === 'qwen2.5-coder-7b-instruct')?.fits, false);
    const removed = await run(['rm', REPO]);
    assert.equal(removed.out, `removed ${dir}\n`);
    assert.equal((await run(['path', REPO])).code, 1);
  });

  it('rewrites one progress line on a terminal', async () => {
    const pulled = await run(['pull', REPO, '--variant', 'q4'], { ...env, isTTY: true });
    assert.equal(pulled.code, 0, pulled.err);
    assert.match(pulled.out, /\r100% [^\n]*\nVerified/);
    assert.equal(pulled.out.split('\n').filter((l) => l !== '').length, 3, 'heading, the rewritten line, the result');
  });

  it('reports a changed file with exit 1, and a second pull repairs it', async () => {
    assert.equal((await run(['pull', REPO, '--variant', 'int8'])).code, 0);
    const dir = path.join(tmp.root, 'open-autoglm', 'autoglm-coder', hub.commitOf(REPO));
    await fs.appendFile(path.join(dir, 'tokenizer.json'), ' ');
    const broken = await run(['verify', dir]);
    assert.equal(broken.code, 1);
    assert.match(broken.out, /tokenizer\.json: size \d+ instead of \d+/);
    const repaired = await run(['pull', REPO, '--variant', 'int8']);
    assert.match(repaired.out, /5 already present/);
    assert.equal((await run(['verify', dir])).code, 0);
  });

  it('says what to do for gated, missing and offline, and uses HF_TOKEN', async () => {
    const gated = await run(['pull', 'gated-org/Gated-Coder']);
    assert.equal(gated.code, 1);
    assert.match(gated.err, /gated or private \(HTTP 401\): set an access token/);
    assert.equal((await run(['pull', 'gated-org/Gated-Coder', '--variant', 'int8'], { ...env, env: { ...env.env, HF_TOKEN: 'hf_test_token' } })).code, 0);
    assert.match((await run(['pull', 'nobody/nothing'])).err, /nobody\/nothing@main: no such repository \(or it is private: set an access token\) \(HTTP 401\)/);
    const before = hub.connections;
    const offline = await run(['pull', REPO, '--offline']);
    assert.match(offline.err, /offline mode: not connecting/);
    assert.equal(hub.connections, before);
  });

  it('answers bad usage with exit 2, and the bundled model with its folder', async () => {
    assert.equal((await run(['pull', '../../etc'])).code, 2);
    assert.equal((await run(['frobnicate'])).code, 2);
    assert.equal((await run(['path', 'autoglm-coder'])).out, `${path.join(ROOT, 'models', 'autoglm-coder')}\n`);
    assert.match((await run(['pull', 'autoglm-coder'])).out, /ships with the extension/);
  });

  it('runs as `autoglm models` in its own process', async function () {
    this.timeout(60_000);
    const { stdout } = await promisify(execFile)(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'src', 'cli', 'main.ts'), 'models', 'pull', REPO, '--variant', 'q4', '--dir', tmp.root], {
      cwd: ROOT,
      env: { ...process.env, HF_ENDPOINT: hub.url, HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '' },
    });
    assert.match(stdout, /Verified 6 files/);
  });

  it('formats progress with percent, MB/s, time left and current files', () => {
    assert.equal(
      progressLine({ bytesDone: 50 * 1024 * 1024, bytesTotal: 200 * 1024 * 1024, bytesPerSecond: 10 * 1024 * 1024, secondsLeft: 15, currentFiles: ['onnx/model_q4.onnx'], filesDone: 3, filesTotal: 6 }),
      '25% 50 MB of 200 MB, 10.0 MB/s, 0:15 left, file 3/6 (onnx/model_q4.onnx)',
    );
  });
});
