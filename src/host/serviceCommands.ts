import * as vscode from 'vscode';
import { readExistingToken } from '../service/paths';
import { errorMessage } from '../common/errors';
import type { EngineLiveStats } from '../backends/backend';
import { REMOTE_API_KEY_SECRET, type Backends } from './backends';
import type { Command } from './commands';

export interface ServiceCommandDeps {
  backends: Backends;
  secrets: vscode.SecretStorage;
}

const percent = (x: number): string => `${(x * 100).toFixed(0)}%`;

/** Commands for the shared engine service, its local API, and the remote server's key. */
export function serviceCommands({ backends, secrets }: ServiceCommandDeps): Command[] {
  return [
    { id: 'autoglm.showStats', execute: () => showStats(backends) },
    { id: 'autoglm.server.copyToken', execute: () => copyToken(backends) },
    { id: 'autoglm.remote.setApiKey', execute: () => setApiKey(backends, secrets) },
    { id: 'autoglm.service.restart', execute: () => backends.restartService() },
  ];
}

/** Shows the live numbers and returns them (the extension-host tests read them). */
async function showStats(backends: Backends): Promise<EngineLiveStats | undefined> {
  try {
    const s = await backends.liveStats();
    const parts = [
      `${s.model} on ${s.device} (${s.where})`,
      `queue ${s.queueDepth}, running ${s.activeRequests}`,
      ...(s.tokensPerSecond !== undefined ? [`${s.tokensPerSecond.toFixed(1)} tok/s`] : []),
      `prefix cache hit rate ${percent(s.prefixCacheHitRate)}`,
      ...(s.connectedWindows !== undefined ? [`${s.connectedWindows} window(s) connected`] : []),
      ...(s.modelLoads !== undefined ? [`${s.modelLoads} model load(s)`] : []),
      ...(s.residentMemoryBytes !== undefined ? [`${Math.round(s.residentMemoryBytes / 2 ** 20)} MiB resident`] : []),
    ];
    const logFile = s.logFile;
    void vscode.window.showInformationMessage(`Open AutoGLM: ${parts.join('; ')}.`, ...(logFile ? ['Open Service Log'] : [])).then((pick) => {
      if (pick && logFile) {
        void vscode.window.showTextDocument(vscode.Uri.file(logFile));
      }
    });
    return s;
  } catch (err) {
    void vscode.window.showErrorMessage(`Open AutoGLM: no engine stats: ${errorMessage(err)}`);
    return undefined;
  }
}

async function copyToken(backends: Backends): Promise<boolean> {
  const file = backends.tokenFile();
  if (!file) {
    void vscode.window.showWarningMessage('The local API is off. Turn on autoglm.server.enabled (with autoglm.engine.mode "service"); it starts with the next request.');
    return false;
  }
  const token = readExistingToken(file);
  if (!token) {
    void vscode.window.showErrorMessage(`Open AutoGLM: ${file} holds no valid token (the service replaces it on its next start).`);
    return false;
  }
  await vscode.env.clipboard.writeText(token);
  void vscode.window.showInformationMessage(`Copied the bearer token of ${backends.httpUrl() ?? 'the local API'} (stored in ${file}).`);
  return true;
}

async function setApiKey(backends: Backends, secrets: vscode.SecretStorage): Promise<void> {
  const key = await vscode.window.showInputBox({ title: 'API key of the remote server', password: true, ignoreFocusOut: true, placeHolder: 'Leave empty to remove the key' });
  if (key === undefined) {
    return;
  }
  if (key === '') {
    await secrets.delete(REMOTE_API_KEY_SECRET);
  } else {
    await secrets.store(REMOTE_API_KEY_SECRET, key);
  }
  backends.resetRemote();
}
