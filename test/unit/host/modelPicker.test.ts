/** The items of Choose Model, from the shipped catalog and hand-made download reports. */
import './vscodeStub';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { pickerItems, type Downloaded, type PickerInputs, type PickItem } from '../../../src/host/models/modelPicker';
import { loadCatalog, type Catalog, type VerifyReport } from '../../../src/models';

const GB = 1e9;
const SEPARATOR = -1;
const commit = 'c'.repeat(40);

function report(repo: string, ok: boolean): Downloaded {
  const dir = path.join('/cache', ...repo.split('/'), commit);
  const manifest = { format: 1, repo, revision: commit, endpointHost: 'huggingface.co', variants: ['q4'], files: [], downloadedAt: '2026-12-01T00:00:00Z' } as unknown as VerifyReport['manifest'];
  const r = { dir, ok, manifest, missing: [], changed: ok ? [] : [{ path: 'onnx/model_q4.onnx', problem: 'size 10 instead of 12' }], extra: [] } as unknown as VerifyReport;
  return { dir, report: r };
}

const labels = (items: PickItem[]): string[] => items.map((i) => (i.kind === SEPARATOR ? `-- ${i.label}` : i.label));

describe('Choose Model items', () => {
  let catalog: Catalog;
  const inputs = (over: Partial<PickerInputs> = {}): PickerInputs => ({ bundledName: 'autoglm-coder', current: '', catalog, root: '/cache', totalMemBytes: 16 * GB, offline: false, servers: undefined, serversConsent: 'no', ...over });

  before(async () => {
    catalog = await loadCatalog(path.join(__dirname, '..', '..', '..', 'models', 'catalog.json'));
  });

  it('groups the bundled demo, downloads, the catalog, local servers and the open-ended entries, in that order', () => {
    const items = pickerItems(inputs(), [report('onnx-community/Qwen2.5-Coder-1.5B', true)]);
    const separators = labels(items).filter((l) => l.startsWith('-- '));
    assert.deepEqual(separators, ['-- Bundled', '-- Downloaded', '-- Catalog', '-- Local servers', '-- Other']);
    assert.match(items[1]?.description ?? '', /a small offline demo, not useful code · in use/);
    assert.deepEqual(labels(items).slice(-2), ['$(globe) Any Hugging Face repository…', '$(folder-opened) Model folder…']);
  });

  it('marks a download whose files changed and does not offer it as ready', () => {
    const items = pickerItems(inputs(), [report('onnx-community/Qwen2.5-Coder-1.5B', false)]);
    const changed = items.find((i) => i.label.includes('onnx-community/Qwen2.5-Coder-1.5B'));
    assert.equal(changed?.target?.kind, 'changed');
    assert.match(changed?.label ?? '', /^\$\(warning\)/);
    assert.match(changed?.detail ?? '', /onnx\/model_q4\.onnx: size 10 instead of 12/);
    assert.ok(!items.some((i) => i.target?.kind === 'folder'), 'no ready folder is offered');
  });

  it('says size, memory and fit, and puts the models recommended for this machine first', () => {
    const small = pickerItems(inputs({ totalMemBytes: 4 * GB }), []);
    const entries = small.filter((i) => i.target?.kind === 'catalog');
    assert.ok(entries.length >= 6);
    assert.match(entries[0]?.detail ?? '', /recommended for this machine/);
    const big = entries.find((i) => i.label.includes('7B'));
    assert.match(big?.description ?? '', /GB on disk · needs \d+\.\d GB memory/);
    assert.match(big?.detail ?? '', /needs more memory than this machine's 4\.0 GB leave free/);
    assert.ok(!entries.some((i) => i.label.includes('autoglm-coder')), 'the bundled model is listed once, at the top');
  });

  it('offers no download when offline: only downloaded catalog models, no repository entry', () => {
    const items = pickerItems(inputs({ offline: true }), [report('onnx-community/Qwen2.5-Coder-1.5B', true)]);
    const entries = items.filter((i) => i.target?.kind === 'catalog');
    assert.deepEqual(entries.map((i) => i.target?.kind === 'catalog' && i.target.entry.repo), ['onnx-community/Qwen2.5-Coder-1.5B']);
    assert.ok(labels(items).includes('-- Catalog (offline: downloads are off)'));
    assert.ok(!items.some((i) => i.target?.kind === 'anyRepo'));
  });

  it('asks once whether to look for local servers, then lists what answered', () => {
    const first = pickerItems(inputs({ serversConsent: undefined }), []);
    assert.deepEqual(
      first.filter((i) => i.target?.kind === 'serversConsent').map((i) => i.target?.kind === 'serversConsent' && i.target.answer),
      ['yes', 'no'],
    );
    const servers = [{ kind: 'ollama' as const, label: 'Ollama', port: 11434, baseUrl: 'http://127.0.0.1:11434/v1', models: [{ id: 'qwen2.5-coder:1.5b', detail: '1.5B' }] }];
    const later = pickerItems(inputs({ serversConsent: 'yes', servers }), []);
    const server = later.find((i) => i.target?.kind === 'server');
    assert.deepEqual([server?.label, server?.description], ['$(server) qwen2.5-coder:1.5b', 'Ollama on port 11434']);
  });
});
