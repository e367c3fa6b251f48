import assert from 'node:assert/strict';
import * as path from 'node:path';
import { BUILTIN_FIM_TEMPLATES } from '../../../src/completion/fimTemplates';
import { loadCatalog } from '../../../src/templates/catalog';
import { packFimTemplate } from '../../../src/templates/fim';
import { runGoldenTests } from '../../../src/templates/golden';
import { loadPack, type LoadedPack } from '../../../src/templates/pack';
import { PackRuntime } from '../../../src/templates/runtime';

const BUILTIN = path.resolve(__dirname, '../../../prompts');

describe('templates: built-in pack', () => {
  let pack: LoadedPack;

  before(async () => {
    pack = await loadPack(BUILTIN, 'builtin', { hostVersion: '0.1.0' });
  });

  it('loads with no diagnostics at all', () => {
    assert.deepEqual(pack.diagnostics, []);
    assert.deepEqual(pack.failed, []);
    assert.equal(pack.info?.name, 'builtin');
  });

  it('has the system prompts, the chat summary instruction, the commands, a fill-in-the-middle template per model family and the agent tools', () => {
    assert.deepEqual(pack.templates.map((t) => t.meta.id).sort(), [
      'agent-system',
      'chat-summary',
      'commit-message',
      'doc',
      'explain',
      'fim.autoglm-coder',
      'fim.codellama',
      'fim.codestral',
      'fim.deepseek-coder',
      'fim.qwen2.5-coder',
      'fim.qwen2.5-coder-repo',
      'fim.starcoder2',
      'fim.starcoder2-repo',
      'find_definition',
      'find_references',
      'fix',
      'get_problems',
      'list_files',
      'propose_edits',
      'read_file',
      'refactor',
      'review',
      'run_command',
      'search_text',
      'system',
      'tests',
    ]);
    const tools = pack.templates.filter((t) => t.meta.kind === 'tool').map((t) => t.meta.id);
    assert.equal(tools.length, 8);
    const slashes = pack.templates.flatMap((t) => (t.meta.slash ? [t.meta.slash] : [])).sort();
    assert.deepEqual(slashes, ['commit', 'doc', 'explain', 'fix', 'refactor', 'review', 'tests']);
  });

  it('passes the golden test of every template', async () => {
    const report = await runGoldenTests(pack);
    assert.deepEqual(report.diagnostics, []);
    assert.deepEqual(report.untested, [], 'every built-in template has a golden test');
    const failures = report.results.filter((r) => !r.ok).map((r) => `${r.template} / ${r.name}: ${r.message ?? ''}\n${(r.diff ?? []).join('\n')}`);
    assert.deepEqual(failures, []);
    assert.ok(report.results.length >= pack.templates.length * 2, `${report.results.length} golden cases`);
  });

  const render = (id: string, input: Record<string, unknown>): string => {
    const t = pack.templates.find((x) => x.meta.id === id);
    assert.ok(t, `template ${id}`);
    return t.render(input).text;
  };

  it('writes the exact fill-in-the-middle tokens of each family', () => {
    const io = { prefix: 'P', suffix: 'S' };
    assert.equal(render('fim.qwen2.5-coder', io), '<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>');
    assert.equal(render('fim.starcoder2', io), '<fim_prefix>P<fim_suffix>S<fim_middle>');
    assert.equal(render('fim.codellama', io), '<PRE> P <SUF>S <MID>');
    assert.equal(render('fim.codestral', io), '[SUFFIX]S[PREFIX]P');
    const deepseek = render('fim.deepseek-coder', io);
    assert.equal(deepseek, '<\uFF5Cfim\u2581begin\uFF5C>P<\uFF5Cfim\u2581hole\uFF5C>S<\uFF5Cfim\u2581end\uFF5C>');
  });

  it('writes the repository-level Qwen2.5-Coder format', () => {
    const text = render('fim.qwen2.5-coder-repo', {
      repoName: 'lib',
      files: [
        { path: 'a.py', content: 'A = 1' },
        { path: 'b.py', content: 'B = 2' },
      ],
      filePath: 'main.py',
      prefix: 'P',
      suffix: 'S',
    });
    assert.equal(text, '<|repo_name|>lib\n<|file_sep|>a.py\nA = 1\n<|file_sep|>b.py\nB = 2\n<|file_sep|>main.py\n<|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>');
  });

  it('stops fill-in-the-middle generation at each family\'s end-of-text and control tokens', () => {
    const stop = (id: string): readonly string[] => pack.templates.find((t) => t.meta.id === id)?.meta.params.stop ?? [];
    assert.ok(stop('fim.qwen2.5-coder').includes('<|endoftext|>'));
    assert.ok(stop('fim.qwen2.5-coder').includes('<|file_sep|>'));
    assert.ok(stop('fim.qwen2.5-coder-repo').includes('<|file_sep|>'));
    assert.ok(stop('fim.starcoder2').includes('<|endoftext|>'));
    assert.ok(stop('fim.starcoder2').includes('<file_sep>'));
    assert.ok(stop('fim.deepseek-coder').includes('<\uFF5Cend\u2581of\u2581sentence\uFF5C>'));
    assert.ok(stop('fim.codellama').includes('<EOT>'));
    assert.ok(stop('fim.codestral').includes('</s>'));
    for (const t of pack.templates.filter((x) => x.meta.kind === 'fim')) {
      assert.equal(t.meta.params.temperature, 0, `${t.meta.id} is greedy`);
    }
  });

  it('finds the fill-in-the-middle template of a family through the catalog', async () => {
    const catalog = await loadCatalog({ builtinDir: BUILTIN, trusted: true, hostVersion: '0.1.0' });
    assert.equal(catalog.fim('qwen2.5-coder')?.meta.id, 'fim.qwen2.5-coder');
    assert.equal(catalog.fim('qwen2.5-coder', true)?.meta.id, 'fim.qwen2.5-coder-repo');
    assert.equal(catalog.fim('deepseek-coder')?.meta.id, 'fim.deepseek-coder');
    assert.equal(catalog.fim('codestral')?.meta.id, 'fim.codestral');
    assert.equal(catalog.fim('starcoder2', true)?.meta.id, 'fim.starcoder2-repo');
    assert.equal(catalog.fim('codellama', true), undefined);
    assert.equal(catalog.bySlash('commit')?.meta.id, 'commit-message');
  });

  it('gives every command the standard structure: role, task, output requirements, constraints', () => {
    const input = { selection: 'x = 1', diff: '+x', goal: 'simpler' };
    for (const t of pack.templates.filter((x) => x.meta.kind === 'command')) {
      const text = t.render(input).text;
      const at = ['# Role', '# Task', '# Output requirements', '# Constraints'].map((h) => text.indexOf(`${h}\n`));
      assert.ok(at.every((i) => i >= 0), `${t.meta.id} has all four sections`);
      assert.deepEqual([...at].sort((a, b) => a - b), at, `${t.meta.id} sections in order`);
      assert.ok(text.includes('say so instead of guessing'), `${t.meta.id} carries the shared constraints`);
    }
  });

  it('cuts the diff of a review with the token counter the caller supplies', () => {
    const review = pack.templates.find((t) => t.meta.id === 'review')!;
    const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;
    const diff = Array.from({ length: 100 }, (_, i) => `+line${i}`).join('\n');
    const text = review.render({ diff, maxDiffTokens: 10 }, { countTokens: words }).text;
    assert.ok(text.includes('+line9\n```'), 'keeps the first ten words');
    assert.ok(!text.includes('+line10'), 'drops the rest');
  });
});

describe('templates: compilation', () => {
  it('compiles each template and partial once, when the pack loads, never per render', async () => {
    const original = PackRuntime.prototype.compile;
    let compiles = 0;
    PackRuntime.prototype.compile = function (this: PackRuntime, source: string) {
      compiles++;
      return original.call(this, source);
    };
    try {
      const pack = await loadPack(BUILTIN, 'builtin', { hostVersion: '0.1.0' });
      assert.equal(compiles, pack.templates.length + pack.partials.length);
      const explain = pack.templates.find((t) => t.meta.id === 'explain')!;
      for (let i = 0; i < 5; i++) {
        explain.render({ selection: `x${i}` });
      }
      assert.equal(compiles, pack.templates.length + pack.partials.length);
    } finally {
      PackRuntime.prototype.compile = original;
    }
  });

  it('does not HTML-escape values: prompts carry code', async () => {
    const pack = await loadPack(BUILTIN, 'builtin', { hostVersion: '0.1.0' });
    const code = 'if (a < b && c > "d") { return `<T>`; }';
    const text = pack.templates.find((t) => t.meta.id === 'fim.qwen2.5-coder')!.render({ prefix: code, suffix: '' }).text;
    assert.equal(text, `<|fim_prefix|>${code}<|fim_suffix|><|fim_middle|>`);
  });
});

describe('templates: fill-in-the-middle formats for the completion pipeline', () => {
  it('renders the same prompts as the pipeline\'s own formats where both define one', async () => {
    const catalog = await loadCatalog({ builtinDir: BUILTIN, trusted: true, hostVersion: '0.1.0' });
    const plainContext = { filePath: '', languageId: 'python', snippets: [] };
    const repoContext = { filePath: 'pkg/main.py', languageId: 'python', snippets: [{ path: 'pkg/lib.py', text: 'X = 1' }], repoName: 'lib' };
    for (const family of ['autoglm-coder', 'qwen2.5-coder', 'starcoder2', 'deepseek-coder', 'codellama', 'codestral'] as const) {
      const pack = packFimTemplate(catalog, family);
      assert.ok(pack, family);
      assert.equal(pack.render('def f(', '):\n', plainContext), BUILTIN_FIM_TEMPLATES[family].render('def f(', '):\n', plainContext), family);
      for (const stop of pack.stop) {
        assert.ok(BUILTIN_FIM_TEMPLATES[family].stop.includes(stop), `${family} stop ${stop}`);
      }
    }
    for (const family of ['qwen2.5-coder', 'starcoder2'] as const) {
      const pack = packFimTemplate(catalog, family)!;
      assert.equal(pack.sources.length, 2);
      assert.equal(pack.render('a', 'b', repoContext), BUILTIN_FIM_TEMPLATES[family].render('a', 'b', repoContext), `${family} repository level`);
    }
    assert.equal(packFimTemplate(catalog, 'unknown-family'), undefined);
  });
});
