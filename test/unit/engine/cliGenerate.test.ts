import assert from 'node:assert/strict';
import { buildFimPrompt, generateCommand } from '../../../src/cli/generate';
import type { CliIO } from '../../../src/cli/command';
import { BUILTIN_FIM_TEMPLATES } from '../../../src/completion/fimTemplates';
import { MODEL_DIR, modelPresent } from './modelFixture';

function capture(): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout(text: string) {
      io.out += text;
    },
    stderr(text: string) {
      io.err += text;
    },
  };
  return io;
}

describe('autoglm generate', () => {
  it("builds --suffix prompts in the loaded model's family format, with its stop tokens", () => {
    const model = (name: string, modelType: string): { name: string; modelType: string } => ({ name, modelType });
    assert.deepEqual(buildFimPrompt(model('Qwen2.5-Coder-1.5B', 'qwen2'), 'a(', ')\n'), { prompt: '<|fim_prefix|>a(<|fim_suffix|>)\n<|fim_middle|>', stop: BUILTIN_FIM_TEMPLATES['qwen2.5-coder'].stop });
    assert.deepEqual(buildFimPrompt(model('starcoder2-3b', 'starcoder2'), 'a(', ')\n'), { prompt: '<fim_prefix>a(<fim_suffix>)\n<fim_middle>', stop: BUILTIN_FIM_TEMPLATES.starcoder2.stop });
    assert.equal(buildFimPrompt(model('Codestral-22B', 'mistral'), 'a(', ')\n').prompt, '[SUFFIX])\n[PREFIX]a(');
    assert.equal(buildFimPrompt(model('autoglm-coder', 'qwen2'), 'a(', ')\n').prompt, '<|fim_suffix|>)\n<|fim_prefix|>a(<|fim_middle|>');
  });

  it('usage errors exit 2 and say what is wrong', async () => {
    const io = capture();
    assert.equal(await generateCommand.run(['--max-tokens', '3'], io), 2);
    assert.match(io.err, /--prompt is required/);
    const io2 = capture();
    assert.equal(await generateCommand.run(['--prompt', 'x', '--max-tokens', 'many'], io2), 2);
    assert.match(io2.err, /--max-tokens must be an integer/);
    const io3 = capture();
    assert.equal(await generateCommand.run(['--prompt', 'x', '--variant', 'fp8'], io3), 2);
  });

  it('a model folder that does not load exits 1 naming the problem', async () => {
    const io = capture();
    assert.equal(await generateCommand.run(['--model', '/nonexistent/model', '--prompt', 'x'], io), 1);
    assert.match(io.err, /\/nonexistent\/model: model folder does not exist/);
  });

  (modelPresent ? it : it.skip)('--json prints text, token ids and stats (skipped without the bundled model)', async () => {
    const io = capture();
    const code = await generateCommand.run(['--model', MODEL_DIR, '--prompt', 'def f(', '--suffix', '):\n    pass\n', '--max-tokens', '5', '--json', '--provider', 'cpu'], io);
    assert.equal(code, 0, io.err);
    const result = JSON.parse(io.out) as { text: string; tokenIds: number[]; stats: { promptTokens: number; generatedTokens: number }; model: { provider: string } };
    assert.ok(result.tokenIds.length >= 1 && result.tokenIds.length <= 5);
    assert.equal(result.stats.generatedTokens, result.tokenIds.length);
    assert.equal(result.model.provider, 'cpu');
    assert.equal(typeof result.text, 'string');
  });

  (modelPresent ? it : it.skip)('--forced-prefix: the output starts with the text, which is not printed (skipped without the bundled model)', async () => {
    const io = capture();
    const code = await generateCommand.run(['--model', MODEL_DIR, '--prompt', 'const total = items.length +', '--forced-prefix', ' cou', '--max-tokens', '4', '--json', '--provider', 'cpu', '--variant', 'fp32'], io);
    assert.equal(code, 0, io.err);
    const result = JSON.parse(io.out) as { text: string; tokenIds: number[] };
    assert.ok(!result.text.startsWith(' cou'), result.text);
    assert.ok(result.tokenIds.length > 4);
  });
});
