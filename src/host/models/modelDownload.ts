/**
 * A download as the editor shows it: a cancellable notification with percent, MB/s and time left.
 * The downloader stages files beside the target and moves them in only once every file is
 * verified, so a cancelled or failed download leaves no half-written model in use.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';
import { errorMessage } from '../../common/errors';
import type { Logger } from '../../common/logger';
import { defaultModelsRoot, downloadModel, ModelDownloadError, modelFolderFor, type DownloadPlan, type HubOptions } from '../../models';
import type { AutoGlmConfig } from '../configuration';
import { percentDone, progressMessage } from './progressText';

export interface DownloadContext {
  hub: HubOptions;
  /** The models folder downloads go to. */
  root: string;
  logger: Logger;
}

export type DownloadOutcome = { kind: 'done'; dir: string; progress: string[] } | { kind: 'cancelled' } | { kind: 'failed'; error: string };

/** Where downloads go and how they reach the Hub, from the settings and the stored token. */
export function downloadContext(config: AutoGlmConfig, token: string | undefined, logger: Logger): DownloadContext {
  const m = config.models;
  return {
    hub: { endpoint: m.endpoint, offline: m.offline, ...(token ? { token } : {}), ...(m.proxy !== '' ? { proxy: { url: m.proxy } } : {}) },
    root: m.folder !== '' ? m.folder : defaultModelsRoot(process.env, os.homedir()),
    logger,
  };
}

const SET_TOKEN = 'Set Hugging Face Token';

/** Says what went wrong once, with the one action that helps where there is one. */
function reportFailure(name: string, err: unknown, ctx: DownloadContext): void {
  const gated = err instanceof ModelDownloadError && err.reason === 'gated';
  const actions = gated ? [SET_TOKEN, 'Open Log'] : ['Open Log'];
  void vscode.window.showErrorMessage(`Open AutoGLM could not download ${name}: ${errorMessage(err)}`, ...actions).then((pick) => {
    if (pick === SET_TOKEN) {
      void vscode.commands.executeCommand('autoglm.models.setHubToken');
    } else if (pick === 'Open Log') {
      void vscode.commands.executeCommand('autoglm.showLog');
    }
  });
  ctx.logger.error('Model download failed', { model: name, error: err });
}

/**
 * Plans and downloads `name` into the models folder with a progress notification; the messages
 * it showed come back with the folder (the extension-host tests read them).
 */
export async function downloadWithProgress(name: string, makePlan: (signal: AbortSignal) => Promise<DownloadPlan>, ctx: DownloadContext): Promise<DownloadOutcome> {
  const ctl = new AbortController();
  const shown: string[] = [];
  try {
    const dir = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Downloading ${name}`, cancellable: true }, async (progress, token) => {
      token.onCancellationRequested(() => ctl.abort());
      progress.report({ message: 'listing files…' });
      const plan = await makePlan(ctl.signal);
      const target = modelFolderFor(ctx.root, plan.repo, plan.revision);
      let reported = 0;
      const result = await downloadModel(plan, {
        hub: ctx.hub,
        target,
        signal: ctl.signal,
        onProgress: (p) => {
          const percent = percentDone(p);
          const message = progressMessage(p);
          shown.push(message);
          progress.report({ increment: percent - reported, message });
          reported = percent;
        },
      });
      ctx.logger.info('Model downloaded', { model: name, dir: result.dir, downloaded: result.downloaded.length, reused: result.reused.length });
      return result.dir;
    });
    return { kind: 'done', dir, progress: shown };
  } catch (err) {
    if (ctl.signal.aborted) {
      ctx.logger.info('Model download cancelled', { model: name });
      void vscode.window.showInformationMessage(`Download of ${name} cancelled; the model in use has not changed.`);
      return { kind: 'cancelled' };
    }
    reportFailure(name, err, ctx);
    return { kind: 'failed', error: errorMessage(err) };
  }
}
