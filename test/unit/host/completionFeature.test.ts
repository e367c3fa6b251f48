import { EventEmitter } from './vscodeStub';
import * as assert from 'node:assert/strict';
import { MemoryLogger } from '../../../src/common/logger';
import { estimateTokens } from '../../../src/common/tokens';
import { DEFAULT_COMPLETION_SETTINGS, type CompletionPipeline } from '../../../src/completion';
import type { AutoGlmConfig, ConfigurationChange, LiveConfiguration } from '../../../src/host/configuration';
import { CompletionFeature } from '../../../src/host/features/completionFeature';
import type { EngineFeature } from '../../../src/host/features/engineFeature';
import type { TemplatesFeature } from '../../../src/host/features/templatesFeature';

function config(changes: { modelPath?: string; debounceMs?: number } = {}): AutoGlmConfig {
  return {
    model: { path: changes.modelPath ?? '', variant: 'auto' },
    engine: { mode: 'service', executionProvider: 'cpu', threads: 0, serviceIdleMinutes: 10 },
    backend: { completion: 'local', chat: 'local' },
    remote: { baseUrl: '', model: '', timeoutMs: 1000 },
    server: { enabled: false, port: 0 },
    log: { level: 'info', prompts: false },
    completion: { ...DEFAULT_COMPLETION_SETTINGS, enabled: true, debounceMs: changes.debounceMs ?? DEFAULT_COMPLETION_SETTINGS.debounceMs },
  } as unknown as AutoGlmConfig;
}

function setup() {
  const settingsChanged = new EventEmitter<ConfigurationChange>();
  const templatesChanged = new EventEmitter<unknown>();
  let current = config();
  const settings = { get current() { return current; }, onDidChange: settingsChanged.event } as unknown as LiveConfiguration;
  const backend = { info: () => ({ kind: 'local', modelName: 'm', device: 'cpu', loaded: false }), generate: () => ({}) };
  const engine = { backends: { forRole: () => backend }, statusBar: { setState: () => undefined }, tokens: { count: estimateTokens, exact: false } } as unknown as EngineFeature;
  const templates = { onDidChange: templatesChanged.event, fimTemplates: () => ({}) } as unknown as TemplatesFeature;
  const globalState = { get: () => undefined, update: async () => undefined } as never;
  const feature = new CompletionFeature({ settings, globalState, extensionPath: '/nonexistent', logger: new MemoryLogger(), engine, templates });
  const change = (next: AutoGlmConfig): void => {
    const prev = current;
    current = next;
    settingsChanged.fire({ next, prev });
  };
  return { feature, change, templatesChanged };
}

/** The pipeline, with a record of whether it was disposed. */
function watched(pipeline: CompletionPipeline): { disposed: boolean; updates: number } {
  const seen = { disposed: false, updates: 0 };
  const dispose = pipeline.dispose.bind(pipeline);
  const update = pipeline.updateSettings.bind(pipeline);
  pipeline.dispose = () => {
    seen.disposed = true;
    dispose();
  };
  pipeline.updateSettings = (s) => {
    seen.updates++;
    update(s);
  };
  return seen;
}

describe('completion feature', () => {
  it('disposes the pipeline it replaces when the prompt packs change', () => {
    const { feature, templatesChanged } = setup();
    const first = feature.pipeline();
    const seen = watched(first);
    templatesChanged.fire({});
    assert.equal(seen.disposed, true);
    assert.notEqual(feature.pipeline(), first);
  });

  it('replaces and disposes the pipeline when the backend changes, and updates it in place otherwise', () => {
    const { feature, change } = setup();
    const first = feature.pipeline();
    const seen = watched(first);
    change(config({ debounceMs: 10 }));
    assert.deepEqual(seen, { disposed: false, updates: 1 });
    assert.equal(feature.pipeline(), first);
    change(config({ debounceMs: 10, modelPath: '/models/other' }));
    assert.equal(seen.disposed, true);
    assert.notEqual(feature.pipeline(), first);
  });

  it('disposes its pipeline with itself', () => {
    const { feature } = setup();
    const seen = watched(feature.pipeline());
    feature.dispose();
    assert.equal(seen.disposed, true);
  });
});
