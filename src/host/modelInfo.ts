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
 * server names its own model, and a loaded local engine (this window's, or the shared service
 * another window started) the variant and the device it really runs.
 */
export function describeBackend(config: AutoGlmConfig, extensionPath: string, info: BackendInfo): EngineStatusView {
  const settings = describeEngine(config, extensionPath, info.loaded);
  if (info.kind === 'remote') {
    return { ...settings, modelName: info.modelName, modelPath: info.device, bundled: false, executionProvider: 'remote server' };
  }
  if (!info.loaded) {
    return settings;
  }
  const asked = settings.executionProvider;
  return {
    ...settings,
    variant: info.variant ?? settings.variant,
    executionProvider: asked === info.device ? asked : `${asked} → ${info.device}`,
  };
}

/** One sentence for the Engine Status message. */
export function statusDetail(s: EngineStatusView): string {
  return `Model ${s.modelName}${s.bundled ? ' (bundled)' : ''} at ${s.modelPath}; variant ${s.variant}; execution provider ${s.executionProvider}; ${s.loaded ? 'loaded' : 'not loaded yet'}.`;
}
