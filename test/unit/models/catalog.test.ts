import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FIM_FAMILIES } from '../../../src/completion/fimTemplates';
import { catalogPlan, CatalogError, defaultCatalogPath, findEntry, fitsMachine, loadCatalog, parseCatalog, recommendedEntry, type Catalog } from '../../../src/models/catalog';
import { ROOT } from '../../harness/paths';

const GB = 1024 ** 3;
const file = path.join(ROOT, 'models', 'catalog.json');

function raw(): { entries: Record<string, unknown>[] } & Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, unknown>[] };
}

function errorOf(mutate: (c: ReturnType<typeof raw>) => void): CatalogError {
  const c = raw();
  mutate(c);
  try {
    parseCatalog(c, 'catalog.json');
  } catch (err) {
    assert.ok(err instanceof CatalogError);
    return err;
  }
  assert.fail('the catalog was accepted');
}

describe('models/catalog', () => {
  let catalog: Catalog;
  before(async () => {
    catalog = await loadCatalog(file);
  });

  it('finds the shipped catalog beside the bundled model from the sources', () => {
    assert.equal(defaultCatalogPath(path.join(ROOT, 'src', 'models')), file);
  });

  it('lists Qwen2.5-Coder 0.5B to 7B from onnx-community and the bundled model', () => {
    assert.deepEqual(
      catalog.entries.map((e) => e.repo),
      [
        'onnx-community/Qwen2.5-Coder-0.5B',
        'onnx-community/Qwen2.5-Coder-0.5B-Instruct',
        'onnx-community/Qwen2.5-Coder-1.5B',
        'onnx-community/Qwen2.5-Coder-1.5B-Instruct',
        'onnx-community/Qwen2.5-Coder-3B-Instruct',
        'onnx-community/Qwen2.5-Coder-7B-Instruct',
        null,
      ],
    );
    assert.deepEqual(findEntry(catalog, 'qwen2.5-coder-0.5b')?.roles, ['completion']);
    assert.deepEqual(findEntry(catalog, 'onnx-community/qwen2.5-coder-0.5b-instruct')?.roles, ['chat']);
  });

  it('names only FIM families the completion pipeline knows', () => {
    for (const entry of catalog.entries) {
      assert.ok((FIM_FAMILIES as readonly string[]).includes(entry.fimFamily), `${entry.id}: ${entry.fimFamily}`);
    }
  });

  it('records exact sizes and hashes for the bundled model, computed from its files', () => {
    const bundled = findEntry(catalog, 'autoglm-coder')!;
    const onnx = bundled.variants.find((v) => v.name === 'int8')!.files[0]!;
    assert.equal(onnx.size, readFileSync(path.join(ROOT, 'models', 'autoglm-coder', onnx.path)).length);
    assert.equal(onnx.source, 'computed from the shipped file');
  });

  it('says for every unknown value that it must be refreshed, and never claims Hub metadata it does not have', () => {
    for (const entry of catalog.entries.filter((e) => e.kind === 'hub')) {
      for (const f of [...entry.files, ...entry.variants.flatMap((v) => v.files)]) {
        assert.ok(f.sha256 !== null || /^unknown: refresh/.test(f.source), `${entry.id} ${f.path}: ${f.source}`);
      }
      assert.equal(catalogPlan(entry), undefined, `${entry.id}: the plan must come from the Hub's listing until refreshed`);
    }
  });

  it('plans from the catalog alone once every file is pinned from Hub metadata', () => {
    const entry = findEntry(catalog, 'qwen2.5-coder-0.5b')!;
    const pinned = {
      ...entry,
      revision: 'a'.repeat(40),
      files: entry.files.map((f) => ({ ...f, size: 10, sha256: 'b'.repeat(64), source: 'hub-metadata' })),
      variants: entry.variants.map((v) => ({ ...v, files: v.files.map((f) => ({ ...f, size: 20, sha256: 'c'.repeat(64), source: 'hub-metadata' })) })),
    };
    const plan = catalogPlan(pinned, 'q4')!;
    assert.equal(plan.revision, 'a'.repeat(40));
    assert.deepEqual(plan.files.at(-1), { path: 'onnx/model_q4.onnx', size: 20, sha256: 'c'.repeat(64) });
  });

  it('fits models to the machine by memory and recommends the largest that fits', () => {
    const small = findEntry(catalog, 'qwen2.5-coder-0.5b')!;
    const large = findEntry(catalog, 'qwen2.5-coder-7b-instruct')!;
    assert.equal(fitsMachine(small, 4 * GB), true);
    assert.equal(fitsMachine(large, 4 * GB), false);
    assert.equal(fitsMachine(large, 64 * GB), true);
    assert.equal(recommendedEntry(catalog, 'completion', 4 * GB)?.id, 'qwen2.5-coder-0.5b');
    assert.equal(recommendedEntry(catalog, 'completion', 6 * GB)?.id, 'qwen2.5-coder-1.5b');
    assert.equal(recommendedEntry(catalog, 'completion', 8 * GB)?.id, 'qwen2.5-coder-1.5b', 'completion is kept to models fast enough for ghost text');
    assert.equal(recommendedEntry(catalog, 'completion', 64 * GB)?.id, 'qwen2.5-coder-1.5b');
    assert.equal(recommendedEntry(catalog, 'chat', 64 * GB)?.id, 'qwen2.5-coder-7b-instruct');
    assert.equal(recommendedEntry(catalog, 'chat', 512 * 1024 * 1024), undefined);
  });

  it('rejects a malformed entry with an error naming the entry and the field', () => {
    const bad = errorOf((c) => {
      c.entries[1]!.repo = '../etc';
    });
    assert.equal(bad.entry, 'qwen2.5-coder-0.5b-instruct');
    assert.equal(bad.field, 'repo');
    assert.match(bad.message, /catalog\.json: entry 'qwen2\.5-coder-0\.5b-instruct', field 'repo'/);
    assert.equal(
      errorOf((c) => {
        (c.entries[0]!.variants as { files: { path: string }[] }[])[0]!.files[0]!.path = '/abs/model.onnx';
      }).field,
      'variants[0].files[0].path',
    );
    assert.equal(errorOf((c) => (c.entries[2]!.defaultVariant = 'q2')).field, 'defaultVariant');
    const misnamed = errorOf((c) => ((c.entries[0]!.variants as { name: string }[])[0]!.name = 'int8'));
    assert.equal(misnamed.field, 'variants[0].files');
    assert.match(misnamed.message, /lists no model_int8\.onnx/);
    assert.equal(errorOf((c) => (c.entries[3]!.id = c.entries[2]!.id)).field, 'id');
    assert.equal(errorOf((c) => ((c.entries[0]!.files as { sha256: string }[])[0]!.sha256 = 'XYZ')).field, 'files[0].sha256');
  });
});
