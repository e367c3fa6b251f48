import * as path from 'node:path';
import type { BackendInfo } from '../backends/backend';
import type { EngineStatusView } from '../protocol/webview';
import type { AutoGlmConfig } from './configuration';

/** The model the extension ships; used when `autoglm.model.path` is empty. */
export const BUNDLED_MODEL_DIR = path.join('models', 'autoglm-coder');

/** What runs where, as the settings say; nothing is loaded to answer this. */
function describeEngine(config: AutoGlmConfig, extensionPath: string, loaded: boolean): EngineStatusView {
  const bundled = config.model.path === '';
  const modelPath = bundled ? path.join(extensionPath, BUNDLED_MODEL_DIR) : config.model.path;
  return {
    modelName: path.basename(modelPath),
    modelPath,
    bundled,
    variant: config.model.variant,
    executionProvider: config.engine.executionProvider,
    loaded,
  };
}

/**
 * What runs where for the user: the settings, corrected by what the backend reports: a remote
 * server names its own model, and a loaded local engine the device it really runs on.
 */
export function describeBackend(config: AutoGlmConfig, extensionPath: string, info: BackendInfo): EngineStatusView {
  const settings = describeEngine(config, extensionPath, info.loaded);
  if (info.kind === 'remote') {
    return { ...settings, modelName: info.modelName, modelPath: info.device, bundled: false, executionProvider: 'remote server' };
  }
  return info.loaded ? { ...settings, executionProvider: `${settings.executionProvider} → ${info.device}` } : settings;
}
