import * as path from 'node:path';
import type { BackendInfo } from '../backends/backend';
import type { EngineStatusView, PendingModelView } from '../protocol/webview';
import type { AutoGlmConfig } from './configuration';

/** The model the extension ships; used when `autoglm.model.path` is empty. */
export const BUNDLED_MODEL_DIR = path.join('models', 'autoglm-coder');

/** The folder the settings ask for: `autoglm.model.path`, or the bundled model when it is empty. */
export function settingsModelDir(config: AutoGlmConfig, extensionPath: string): string {
  return config.model.path === '' ? path.join(extensionPath, BUNDLED_MODEL_DIR) : config.model.path;
}

/**
 * Which local model answers, as the host knows it: the folder of the model that loaded last (or
 * that the first request will load), and a model asked for that has not replaced it (yet).
 */
export interface LocalModelState {
  answeringDir: string;
  pending?: PendingModelView;
}

/**
 * The name people know a model folder by: a download lives in `<owner>/<name>/<commit>`, whose
 * last part (a commit hash) says nothing, so it is named by the repository's name.
 */
export function modelDisplayName(dir: string): string {
  const base = path.basename(dir);
  return /^[0-9a-f]{40}$/.test(base) ? path.basename(path.dirname(dir)) : base;
}

/** What runs where as far as the host knows; nothing is loaded to answer this. */
function describeLocal(config: AutoGlmConfig, extensionPath: string, info: BackendInfo, state: LocalModelState): EngineStatusView {
  const modelPath = state.answeringDir;
  return {
    // A loaded engine names its own model (the shared service may hold another window's choice);
    // where that is the folder the host knows, the folder's own name is the better one.
    modelName: info.loaded && info.modelName !== path.basename(modelPath) ? info.modelName : modelDisplayName(modelPath),
    modelPath,
    bundled: path.resolve(modelPath) === path.resolve(extensionPath, BUNDLED_MODEL_DIR),
    variant: config.model.variant,
    executionProvider: config.engine.executionProvider,
    loaded: info.loaded,
    ...(state.pending ? { pending: state.pending } : {}),
  };
}

/**
 * What runs where for the user: a remote server names its own model; a local engine (this
 * window's, or the shared service another window started) the model that really answers, the
 * variant and the device it runs, and beside it a model asked for that loads or failed to.
 */
export function describeBackend(config: AutoGlmConfig, extensionPath: string, info: BackendInfo, state?: LocalModelState): EngineStatusView {
  const local = describeLocal(config, extensionPath, info, state ?? { answeringDir: settingsModelDir(config, extensionPath) });
  if (info.kind === 'remote') {
    const { pending: _pending, ...settings } = local;
    return { ...settings, modelName: info.modelName, modelPath: info.device, bundled: false, executionProvider: 'remote server' };
  }
  if (!info.loaded) {
    return local;
  }
  const asked = local.executionProvider;
  return {
    ...local,
    variant: info.variant ?? local.variant,
    executionProvider: asked === info.device ? asked : `${asked} → ${info.device}`,
  };
}

/** The model asked for and not answering, in one sentence; '' when there is none. */
export function pendingSentence(s: EngineStatusView): string {
  const p = s.pending;
  if (!p) {
    return '';
  }
  if (p.state === 'loading') {
    return `Loading ${p.modelName} from ${p.modelPath}...`;
  }
  const still = s.loaded ? `${s.modelName} still answers.` : `No model answers until one loads.`;
  return `Could not load the model in ${p.modelPath}: ${p.error ?? 'unknown error'}. ${still}`;
}

/** One sentence for the Engine Status message. */
export function statusDetail(s: EngineStatusView): string {
  const pending = pendingSentence(s);
  return `Model ${s.modelName}${s.bundled ? ' (bundled)' : ''} at ${s.modelPath}; variant ${s.variant}; execution provider ${s.executionProvider}; ${s.loaded ? 'loaded' : 'not loaded yet'}.${pending ? ` ${pending}` : ''}`;
}
