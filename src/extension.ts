import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { VERSION } from './common/version';
import { ChatViewProvider, CHAT_VIEW_ID } from './host/chatView';
import { onConfigurationChanged, readConfiguration } from './host/configuration';
import { createChannelLogger } from './host/logChannel';
import { describeEngine } from './host/modelInfo';
import { EngineStatusBar } from './host/statusBar';

/** What the extension exposes to other extensions and to its own extension-host tests. */
export interface AutoGlmApi {
  readonly version: string;
  /** Milliseconds spent in `activate`; activation never loads a model. */
  readonly activationMs: number;
  isModelLoaded(): boolean;
  isChatViewReady(): boolean;
}

/**
 * Composition root: builds every part, registers it for disposal, owns nothing else.
 * Nothing here may block: the model loads on the first request that needs it.
 */
export function activate(context: vscode.ExtensionContext): AutoGlmApi {
  const started = performance.now();
  const register = <T extends vscode.Disposable>(d: T): T => {
    context.subscriptions.push(d);
    return d;
  };

  let config = readConfiguration();
  const channel = register(vscode.window.createOutputChannel('Open AutoGLM', { log: true }));
  const logger = createChannelLogger(channel, () => config.log.level);
  const status = (): ReturnType<typeof describeEngine> => describeEngine(config, context.extensionPath, false);

  const statusBar = register(new EngineStatusBar('autoglm.showStatus'));
  const chatView = register(new ChatViewProvider(context.extensionUri, logger, status, () => channel.show(true)));
  register(vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chatView, { webviewOptions: { retainContextWhenHidden: true } }));

  register(
    onConfigurationChanged((next) => {
      config = next;
      statusBar.update(status());
      chatView.postStatus();
      logger.info('Settings changed', { model: next.model, engine: next.engine, logLevel: next.log.level });
    }),
  );

  register(vscode.commands.registerCommand('autoglm.openChat', () => vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`)));
  register(vscode.commands.registerCommand('autoglm.showLog', () => channel.show(true)));
  register(
    vscode.commands.registerCommand('autoglm.showStatus', async () => {
      const s = status();
      const detail = `Model ${s.modelName}${s.bundled ? ' (bundled)' : ''} at ${s.modelPath}; variant ${s.variant}; execution provider ${s.executionProvider}; ${s.loaded ? 'loaded' : 'not loaded yet'}.`;
      const pick = await vscode.window.showInformationMessage(`Open AutoGLM ${VERSION}: ${detail}`, 'Open Log', 'Settings');
      if (pick === 'Open Log') {
        channel.show(true);
      } else if (pick === 'Settings') {
        await vscode.commands.executeCommand('workbench.action.openSettings', 'autoglm');
      }
    }),
  );

  statusBar.update(status());
  const activationMs = performance.now() - started;
  logger.info('Open AutoGLM activated', { version: VERSION, activationMs: Number(activationMs.toFixed(2)) });

  return {
    version: VERSION,
    activationMs,
    isModelLoaded: () => false,
    isChatViewReady: () => chatView.isReady,
  };
}

export function deactivate(): void {
  // Every resource is disposed through context.subscriptions.
}
