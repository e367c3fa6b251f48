import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import { errorMessage } from '../common/errors';
import { REMOTE_API_KEY_SECRET, type Backends } from './backends';

export interface ServiceCommandDeps {
  register<T extends vscode.Disposable>(d: T): T;
  backends: Backends;
  secrets: vscode.SecretStorage;
}

const percent = (x: number): string => `${(x * 100).toFixed(0)}%`;

/** Commands for the shared engine service, its local API, and the remote server's key. */
export function registerServiceCommands({ register, backends, secrets }: ServiceCommandDeps): void {
  register(
    vscode.commands.registerCommand('autoglm.showStats', async () => {
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
    }),
  );
  register(
    vscode.commands.registerCommand('autoglm.server.copyToken', async () => {
      const file = backends.tokenFile();
      if (!file) {
        void vscode.window.showWarningMessage('The local API is off. Turn on autoglm.server.enabled (with autoglm.engine.mode "service"); it starts with the next request.');
        return false;
      }
      await vscode.env.clipboard.writeText((await fs.readFile(file, 'utf8')).trim());
      void vscode.window.showInformationMessage(`Copied the bearer token of ${backends.httpUrl() ?? 'the local API'} (stored in ${file}).`);
      return true;
    }),
  );
  register(
    vscode.commands.registerCommand('autoglm.remote.setApiKey', async () => {
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
    }),
  );
  register(vscode.commands.registerCommand('autoglm.service.restart', () => backends.restartService()));
}
