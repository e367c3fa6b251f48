import assert from 'node:assert/strict';
import { detectFimFamily, resolveFimTemplate } from '../../../src/completion/fimFamily';
import { BUILTIN_FIM_TEMPLATES, commentHeader, type FimTemplate } from '../../../src/completion/fimTemplates';

const ctx = { filePath: 'src/a.ts', languageId: 'typescript', snippets: [] };
const withSnippet = { ...ctx, snippets: [{ path: 'src/b.ts', text: 'export const b = 1;' }] };

describe('completion/fimTemplates', () => {
  it('renders Qwen2.5-Coder plain FIM', () => {
    assert.equal(BUILTIN_FIM_TEMPLATES['qwen2.5-coder'].render('P', 'S', ctx), '<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>');
  });

  it('renders the Qwen2.5-Coder repository-level form with neighbour files', () => {
    assert.equal(
      BUILTIN_FIM_TEMPLATES['qwen2.5-coder'].render('P', 'S', withSnippet),
      '<|repo_name|>src\n<|file_sep|>src/b.ts\nexport const b = 1;\n<|file_sep|>src/a.ts\n<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>',
    );
  });

  it('renders StarCoder2 with the file path after <fim_prefix>', () => {
    assert.equal(BUILTIN_FIM_TEMPLATES.starcoder2.render('P', 'S', ctx), '<fim_prefix>src/a.ts\nP<fim_suffix>S<fim_middle>');
    assert.ok(BUILTIN_FIM_TEMPLATES.starcoder2.render('P', 'S', withSnippet).startsWith('<repo_name>src<file_sep>src/b.ts\nexport const b = 1;<file_sep><fim_prefix>'));
  });

  it('renders DeepSeek-Coder with its full-width special tokens', () => {
    const prompt = BUILTIN_FIM_TEMPLATES['deepseek-coder'].render('P', 'S', ctx);
    assert.equal(prompt, '\uff1cfim\u2581begin\uff5c>'.replace('\uff1c', '<\uff5c') + '// Path: src/a.ts\nP<\uff5cfim\u2581hole\uff5c>S<\uff5cfim\u2581end\uff5c>');
  });

  it('renders Code Llama and Codestral', () => {
    assert.equal(BUILTIN_FIM_TEMPLATES.codellama.render('P', 'S', ctx), '<PRE> // Path: src/a.ts\nP <SUF>S <MID>');
    assert.equal(BUILTIN_FIM_TEMPLATES.codestral.render('P', 'S', ctx), '[SUFFIX]S[PREFIX]// Path: src/a.ts\nP');
  });

  it('writes header comments in the language syntax, none for JSON', () => {
    assert.equal(commentHeader({ filePath: 'a.py', languageId: 'python', snippets: [{ path: 'b.py', text: 'x = 1' }] }), '# Compare this snippet from b.py:\n# x = 1\n# Path: a.py\n');
    assert.equal(commentHeader({ filePath: 'a.json', languageId: 'json', snippets: [] }), '');
  });

  it('detects the family from the model name or config model_type', () => {
    assert.equal(detectFimFamily('Qwen2.5-Coder-1.5B'), 'qwen2.5-coder');
    assert.equal(detectFimFamily('autoglm-coder', 'qwen2'), 'autoglm-coder');
    assert.equal(detectFimFamily('my-qwen-finetune', 'qwen2'), 'qwen2.5-coder');
    assert.equal(detectFimFamily('bigcode/starcoder2-3b'), 'starcoder2');
    assert.equal(detectFimFamily('deepseek-coder-1.3b-base'), 'deepseek-coder');
    assert.equal(detectFimFamily('CodeLlama-7b-hf', 'llama'), 'codellama');
    assert.equal(detectFimFamily('Codestral-22B-v0.1'), 'codestral');
    assert.equal(detectFimFamily('my-model', 'gpt2'), undefined);
  });

  it('lets the setting override detection, and prompt-pack templates win over built-ins', () => {
    assert.equal(detectFimFamily('Qwen2.5-Coder', 'qwen2', 'codellama'), 'codellama');
    assert.equal(detectFimFamily('Qwen2.5-Coder', 'qwen2', 'auto'), 'qwen2.5-coder');
    const pack: FimTemplate = { family: 'qwen2.5-coder', stop: [], snippets: true, render: (p, s) => `[${p}|${s}]` };
    assert.equal(resolveFimTemplate('Qwen2.5-Coder', undefined, 'auto', { 'qwen2.5-coder': pack }).render('a', 'b', ctx), '[a|b]');
    assert.equal(resolveFimTemplate('unknown', undefined, 'auto').family, 'qwen2.5-coder');
  });

  it('stops every family at its own special tokens', () => {
    for (const template of Object.values(BUILTIN_FIM_TEMPLATES)) {
      const prompt = template.render('', '', ctx);
      assert.ok(template.stop.length >= 3, template.family);
      assert.ok(template.stop.some((stop) => prompt.includes(stop)) || template.family === 'deepseek-coder', template.family);
    }
  });
});
