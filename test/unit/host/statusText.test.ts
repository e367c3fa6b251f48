import * as assert from 'node:assert/strict';
import { statusAccessibleLabel, statusBarText, statusTooltipMarkdown } from '../../../src/host/statusText';
import { isHostToWebview, type EngineStatusView } from '../../../src/protocol/webview';

const engine: EngineStatusView = { modelName: 'autoglm-coder', modelPath: '/ext/models/autoglm-coder', bundled: true, variant: 'q4', executionProvider: 'auto → cpu', loaded: true };

describe('status bar texts', () => {
  it('gives screen readers plain text: no Markdown syntax, the state, the model and what runs', () => {
    const label = statusAccessibleLabel(engine, 'ready', '');
    assert.doesNotMatch(label, /[*`_#[\]]|\$\(/);
    assert.equal(label, 'Open AutoGLM: Inline completions are on. Model autoglm-coder (bundled), loaded. Variant q4, execution provider auto → cpu.');
  });

  it('says why in the label when completions are snoozed or failed', () => {
    assert.match(statusAccessibleLabel(engine, 'snoozed', '14:05'), /^Open AutoGLM: Inline completions are snoozed until 14:05\. /);
    assert.match(statusAccessibleLabel({ ...engine, loaded: false }, 'error', 'model folder is broken'), /Last request failed: model folder is broken\. Model autoglm-coder \(bundled\), loads on first request\./);
  });

  it('keeps the Markdown for the tooltip, distinct from the label', () => {
    const tooltip = statusTooltipMarkdown(engine, 'ready', '');
    assert.match(tooltip, /^\*\*Open AutoGLM\*\*: Inline completions are on\./);
    assert.match(tooltip, /Model: `autoglm-coder` \(bundled\), loaded/);
    assert.notEqual(tooltip, statusAccessibleLabel(engine, 'ready', ''));
  });
});

describe('status bar texts while another model loads or after it failed', () => {
  const loading: EngineStatusView = { ...engine, pending: { state: 'loading', modelName: 'qwen-1.5b', modelPath: '/models/qwen-1.5b' } };
  const failed: EngineStatusView = { ...engine, pending: { state: 'failed', modelName: 'junk', modelPath: '/models/junk', error: 'config.json is not JSON' } };

  it('says which model loads, not that it answers', () => {
    assert.equal(statusBarText(loading, '$(hubot)'), '$(loading~spin) loading qwen-1.5b…');
    assert.match(statusAccessibleLabel(loading, 'ready', ''), /Loading qwen-1\.5b from \/models\/qwen-1\.5b\.\.\. Model autoglm-coder \(bundled\), loaded\./);
  });

  it('names the folder, what is wrong and the model that still answers after a failed switch', () => {
    assert.equal(statusBarText(failed, '$(hubot)'), '$(warning) autoglm-coder');
    assert.match(statusTooltipMarkdown(failed, 'ready', ''), /Could not load the model in \/models\/junk: config\.json is not JSON\. autoglm-coder still answers\./);
    assert.equal(statusBarText({ ...failed, loaded: false }, '$(hubot)'), '$(warning) no model');
    assert.match(statusAccessibleLabel({ ...failed, loaded: false }, 'ready', ''), /No model answers until one loads\./);
  });
});

describe('the status message to the chat header', () => {
  it('carries a pending model only in its checked shape', () => {
    const pending = { state: 'failed', modelName: 'junk', modelPath: '/models/junk', error: 'config.json is not JSON' };
    assert.equal(isHostToWebview({ type: 'host/status', status: { ...engine, pending } }), true);
    assert.equal(isHostToWebview({ type: 'host/status', status: { ...engine, pending: { ...pending, state: 'done' } } }), false);
    assert.equal(isHostToWebview({ type: 'host/status', status: { ...engine, pending: { ...pending, error: 42 } } }), false);
  });
});
