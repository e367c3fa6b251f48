import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Template } from '@huggingface/jinja';
import { ModelLoadError } from '../../../src/common/errors';
import { Engine, generateText } from '../../../src/engine';
import { ChatTemplate } from '../../../src/engine/chatTemplate';
import { MODEL_DIR, modelPresent } from './modelFixture';

const FILE = '/models/hostile/tokenizer_config.json';

/** A hundred million steps: used over 3 GB in 11 s when rendered inline. */
const ENDLESS = '{% for i in range(100000000) %}x{% endfor %}';
/** Two hundred million numbers in one list: more than the render heap holds. */
const GREEDY = '{% set xs = range(200000000) %}{{ xs|length }}';

const bundledConfig = (): Record<string, unknown> => JSON.parse(readFileSync(path.join(MODEL_DIR, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;

function limitError(run: () => unknown): ModelLoadError {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof ModelLoadError, `got ${String(err)}`);
    assert.equal(err.code, 'chat-template-limit', err.message);
    assert.equal(err.file, FILE);
    return err;
  }
  return assert.fail('the template should be stopped');
}

describe('chat template limits', function () {
  this.timeout(60_000);

  it('rejects a template that loops a hundred million times, naming the file and the limit', () => {
    const started = performance.now();
    const err = limitError(() => ChatTemplate.create(FILE, ENDLESS, {}));
    assert.match(err.problem, /did not finish within 2000 ms and 256 MB/);
    assert.ok(performance.now() - started < 30_000);
  });

  it('rejects a template that allocates without end', () => {
    limitError(() => ChatTemplate.create(FILE, GREEDY, {}));
  });

  it('stops a render whose output is far longer than its messages', () => {
    // Small steps, but far more output than a prompt needs: 500 copies of each message per character.
    const wordy = ChatTemplate.create(FILE, "{% for m in messages %}{% for i in range(m.content|length * 500) %}{{ m.content }}{% endfor %}{% endfor %}", {})!;
    const err = limitError(() => wordy.render([{ role: 'user', content: 'a'.repeat(100) }]));
    assert.match(err.problem, /rendered \d+ characters, over the limit of \d+/);
  });

  it('renders the bundled template exactly as the library does inline, also after a stopped render', () => {
    const config = bundledConfig();
    const messages = [
      { role: 'system' as const, content: 'You are a coding assistant.' },
      { role: 'user' as const, content: 'Write hello world in C.' },
      { role: 'assistant' as const, content: '#include <stdio.h>' },
      { role: 'user' as const, content: 'Now in Rust.' },
    ];
    const expected = new Template(config['chat_template'] as string).render({
      eos_token: (config['eos_token'] as string | undefined) ?? '',
      messages,
      add_generation_prompt: true,
      ...(typeof config['bos_token'] === 'string' ? { bos_token: config['bos_token'] } : {}),
      ...(typeof config['pad_token'] === 'string' ? { pad_token: config['pad_token'] } : {}),
    });
    const template = ChatTemplate.create(FILE, config['chat_template'], config)!;
    assert.equal(template.render(messages), expected);
    limitError(() => ChatTemplate.create(FILE, ENDLESS, {}));
    assert.equal(template.render(messages), expected);
  });

  it('a template error is reported as it was, not as a limit', () => {
    const template = ChatTemplate.create(FILE, "{{ raise_exception('roles must alternate') }}", {})!;
    assert.throws(() => template.render([{ role: 'user', content: 'x' }]), (err: unknown) => err instanceof ModelLoadError && err.code === 'chat-template-render' && /roles must alternate/.test(err.message));
  });
});

(modelPresent ? describe : describe.skip)('engine with an endless chat template (skipped when the bundled model is absent)', function () {
  this.timeout(300_000);

  it('refuses to load the model, and the good folder still loads and renders', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'autoglm-template-'));
    try {
      await fs.mkdir(path.join(dir, 'onnx'));
      for (const name of ['config.json', 'generation_config.json', 'tokenizer.json', 'special_tokens_map.json']) {
        await fs.copyFile(path.join(MODEL_DIR, name), path.join(dir, name));
      }
      await fs.writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...bundledConfig(), chat_template: ENDLESS }));
      await fs.symlink(path.join(MODEL_DIR, 'onnx', 'model.onnx'), path.join(dir, 'onnx', 'model.onnx'));
      const err = await Engine.load({ modelDir: dir, variant: 'fp32', provider: 'cpu' }).then(
        () => assert.fail('loading should fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ModelLoadError, `got ${String(err)}`);
      assert.equal(err.code, 'chat-template-limit');
      assert.equal(err.file, path.join(dir, 'tokenizer_config.json'));
      const engine = await Engine.load({ modelDir: MODEL_DIR, variant: 'fp32', provider: 'cpu' });
      try {
        assert.match(engine.renderChat([{ role: 'user', content: 'Hi' }]), /Hi/);
        assert.equal((await generateText(engine, { prompt: 'x', maxTokens: 2, stopAtEos: false })).tokenIds.length, 2);
      } finally {
        await engine.dispose();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
