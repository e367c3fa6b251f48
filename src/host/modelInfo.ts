import * as path from 'node:path';
import type { EngineStatusView } from '../protocol/webview';
import type { AutoGlmConfig } from './configuration';

/** The model the extension ships; used when `autoglm.model.path` is empty. */
export const BUNDLED_MODEL_DIR = path.join('models', 'autoglm-coder');

/** What runs where, as the settings say; nothing is loaded to answer this. */
export function describeEngine(config: AutoGlmConfig, extensionPath: string, loaded: boolean): EngineStatusView {
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
