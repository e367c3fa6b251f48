/** Prompt-pack FIM templates as the pipeline gets them: built on their family's record. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { CompletionPipeline, promptBudget } from '../../../src/completion/pipeline';
import { BUILTIN_FIM_TEMPLATES, FIM_FAMILIES, fimFamilyRecord } from '../../../src/completion/fimTemplates';
import { loadCatalog, type TemplateCatalog } from '../../../src/templates/catalog';
import { packFimTemplate, packFimTemplates } from '../../../src/templates/fim';
import { noSleep, ScriptedBackend, settings, snapshot } from './fixtures';

const BUILTIN = path.resolve(__dirname, '../../../prompts');

describe('completion: prompt-pack FIM templates', () => {
  let catalog: TemplateCatalog;
  before(async () => {
    catalog = await loadCatalog({ builtinDir: BUILTIN, trusted: true, hostVersion: '0.1.0' });
  });

  it("carries the autoglm-coder family's traits: no snippets, 512-token trained windows", () => {
    const template = packFimTemplate(catalog, 'autoglm-coder')!;
    assert.equal(template.snippets, false);
    assert.equal(template.trainedContext, 512);
    assert.equal(promptBudget(1024, 128, template, 2048), 384);
  });

  it('carries the traits of every built-in family and keeps the stop tokens the pack lists', () => {
    for (const family of FIM_FAMILIES) {
      const template = packFimTemplate(catalog, family)!;
      const builtin = BUILTIN_FIM_TEMPLATES[family];
      assert.deepEqual([template.snippets, template.trainedContext], [builtin.snippets, builtin.trainedContext], family);
      assert.deepEqual(template.stop, template.sources[0]!.meta.params.stop, family);
    }
  });

  it("a family the extension does not know gets the defaults and no stop tokens of another family's", () => {
    assert.deepEqual(fimFamilyRecord('my-model'), { family: 'my-model', stop: [], snippets: true });
  });

  it('packFimTemplates gives every family the catalog has a plain template for', () => {
    const templates = packFimTemplates(catalog);
    assert.deepEqual(Object.keys(templates).sort(), [...FIM_FAMILIES].sort());
    assert.equal(templates['autoglm-coder']!.render('P', 'S', { filePath: '', languageId: '', snippets: [] }), '<|fim_suffix|>S<|fim_prefix|>P<|fim_middle|>');
  });

  it('the pipeline sends the pack template of autoglm-coder no neighbour snippets', async () => {
    const backend = new ScriptedBackend(() => ['1;'], { info: { modelName: 'autoglm-coder', modelFamily: undefined, contextLength: 2048 } });
    const pipeline = new CompletionPipeline({ backend, settings: settings(), sleep: noSleep, templates: packFimTemplates(catalog) });
    const neighbour = { path: 'src/users.ts', languageId: 'typescript', text: 'export async function fetchUser(userId: string) {\n  return api.get(`/users/${userId}`);\n}' };
    await pipeline.provide(snapshot('const user = await fetchUser(userId);\nconst n = ║', { neighbours: [neighbour] }), new AbortController().signal);
    assert.equal(pipeline.template().family, 'autoglm-coder');
    assert.ok('sources' in pipeline.template(), 'the pipeline uses the pack template');
    assert.equal(backend.requests[0]!.prompt, '<|fim_suffix|><|fim_prefix|>const user = await fetchUser(userId);\nconst n = <|fim_middle|>');
  });
});
