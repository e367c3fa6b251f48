/**
 * Switching the local model to a folder that is missing or junk, on the real engine and the
 * bundled model: the model that answers stays, and the status names it and what is wrong.
 */
import './vscodeStub';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { collect } from '../../../src/backends/backend';
import { MemoryLogger } from '../../../src/common/logger';
import { Backends } from '../../../src/host/backends';
import type { AutoGlmConfig } from '../../../src/host/configuration';
import { describeBackend, statusDetail } from '../../../src/host/modelInfo';
import { statusBarText } from '../../../src/host/statusText';

const EXTENSION_PATH = path.join(__dirname, '..', '..', '..');
const BUNDLED = path.join(EXTENSION_PATH, 'models', 'autoglm-coder');

function config(modelPath: string): AutoGlmConfig {
  return {
    model: { path: modelPath, variant: 'auto' },
    engine: { mode: 'inProcess', executionProvider: 'cpu', threads: 0, serviceIdleMinutes: 10 },
    backend: { completion: 'local', chat: 'local' },
    remote: { baseUrl: '', model: '', timeoutMs: 1000 },
    server: { enabled: false, port: 0 },
    log: { level: 'info', prompts: false },
  } as unknown as AutoGlmConfig;
}

const context = { extensionPath: EXTENSION_PATH, secrets: { get: async () => undefined } } as unknown as vscode.ExtensionContext;

describe('switching to a model folder that does not load (real engine, bundled model)', function () {
  this.timeout(120_000);
  let tmp: string;
  let backends: Backends;
  let current: AutoGlmConfig;

  const status = () => describeBackend(current, EXTENSION_PATH, backends.forRole('chat').info(), backends.localModel);
  const switchTo = async (modelPath: string): Promise<void> => {
    current = config(modelPath);
    await backends.update(current);
  };

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'autoglm-switch-'));
    current = config('');
    backends = new Backends(current, context, new MemoryLogger('error'), () => undefined, () => undefined);
    await backends.forRole('chat').countTokens('warm up');
  });

  after(() => {
    backends.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const [what, make] of [
    ['a missing folder', (dir: string) => dir],
    [
      'a junk folder',
      (dir: string) => {
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, 'config.json'), 'not json at all');
        return dir;
      },
    ],
  ] as const) {
    it(`keeps the bundled model answering after a switch to ${what}, and says so`, async () => {
      const folder = make(path.join(tmp, what.replace(/ /g, '-')));
      await switchTo(folder);
      const s = status();
      assert.deepEqual([s.modelName, s.modelPath, s.bundled, s.loaded], ['autoglm-coder', BUNDLED, true, true], 'the model that really answers');
      assert.equal(s.pending?.state, 'failed');
      assert.equal(s.pending?.modelPath, folder);
      assert.ok((s.pending?.error ?? '').length > 0, 'says what is wrong');
      assert.match(statusDetail(s), new RegExp(`Could not load the model in ${folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+\\. autoglm-coder still answers\\.$`));
      assert.equal(statusBarText(s, '$(hubot)'), '$(warning) autoglm-coder');
      const answer = await collect(backends.forRole('completion').generate({ prompt: 'function add(a, b) {', maxTokens: 4, priority: 'interactive' }, new AbortController().signal));
      assert.ok(answer.stats, 'the bundled model still answers a request');
    });
  }

  it('names a good folder only once it has loaded, and drops the failure', async () => {
    const copy = path.join(tmp, 'coder-copy');
    fs.cpSync(BUNDLED, copy, { recursive: true });
    await switchTo(copy);
    const s = status();
    assert.deepEqual([s.modelName, s.modelPath, s.bundled, s.loaded, s.pending], ['coder-copy', copy, false, true, undefined]);
    assert.equal(statusBarText(s, '$(hubot)'), '$(hubot) coder-copy');
  });
});

describe('the first request, which loads the model (real engine, bundled model)', function () {
  this.timeout(120_000);

  it('shows "loading" while the model loads, then names it once it answers', async () => {
    const current = config('');
    const seen: string[] = [];
    const holder: { backends?: Backends } = {};
    const record = (): void => {
      const b = holder.backends!;
      const s = describeBackend(current, EXTENSION_PATH, b.forRole('chat').info(), b.localModel);
      seen.push(`${statusBarText(s, '$(hubot)')} | ${s.loaded ? 'loaded' : 'not loaded'}`);
    };
    const backends = new Backends(current, context, new MemoryLogger('error'), record, () => undefined);
    holder.backends = backends;
    try {
      record();
      await collect(backends.forRole('completion').generate({ prompt: 'const x = ', maxTokens: 2, priority: 'interactive' }, new AbortController().signal));
      record();
    } finally {
      backends.dispose();
    }
    assert.equal(seen[0], '$(hubot) autoglm-coder | not loaded');
    assert.ok(seen.includes('$(loading~spin) loading autoglm-coder… | not loaded'), seen.join('\n'));
    assert.equal(seen.at(-1), '$(hubot) autoglm-coder | loaded');
    assert.ok(!seen.slice(1).includes('$(hubot) autoglm-coder | not loaded'), 'once the request began, never named as answering before it loaded');
  });
});
