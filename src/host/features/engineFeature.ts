import * as vscode from 'vscode';
import type { BackendInfo } from '../../backends/backend';
import { delay } from '../../common/async';
import { Disposable } from '../../common/disposable';
import type { Logger } from '../../common/logger';
import type { TokenCounting } from '../../common/tokens';
import { VERSION } from '../../common/version';
import type { EngineStatusView } from '../../protocol/webview';
import { Backends } from '../backends';
import { registerCommands, type Command } from '../commands';
import type { AutoGlmConfig, LiveConfiguration } from '../configuration';
import { describeBackend, statusDetail } from '../modelInfo';
import { chooseModelCommand } from '../models/chooseModel';
import { hubTokenCommand } from '../models/hubToken';
import { findLocalServersCommand } from '../models/localServerCommands';
import { serviceCommands } from '../serviceCommands';
import { EngineStatusBar } from '../statusBar';

/** Longest wait for a look at a running service before the status is shown as far as it is known. */
const ATTACH_WAIT_MS = 2000;

export interface EngineFeatureDeps {
  context: vscode.ExtensionContext;
  settings: LiveConfiguration;
  logger: Logger;
  showLog(): void;
}

/**
 * The engine as the editor sees it: the backends (created on first use; the model loads on the
 * first request that needs it), what runs where in the status bar, and the engine's commands.
 */
export class EngineFeature extends Disposable {
  readonly backends: Backends;
  readonly statusBar = this.register(new EngineStatusBar('autoglm.statusMenu'));
  private readonly statusEmitter = this.register(new vscode.EventEmitter<EngineStatusView>());
  /** Fires when what runs where may have changed (a model loaded, settings applied). */
  readonly onDidChangeStatus = this.statusEmitter.event;

  constructor(private readonly deps: EngineFeatureDeps) {
    super();
    this.backends = this.register(new Backends(deps.settings.current, deps.context, deps.logger, () => this.refreshStatus(), deps.showLog));
    this.register(deps.settings.onDidChange(({ next }) => this.onConfigChanged(next)));
    this.register(registerCommands([this.showStatusCommand(), ...serviceCommands({ backends: this.backends, secrets: deps.context.secrets }), ...this.modelCommands()]));
    this.statusBar.update(this.status());
  }

  /** Token counts for prompt budgets and the UI: exact once the local tokenizer is loaded. */
  get tokens(): TokenCounting {
    return this.backends.tokens;
  }

  chatInfo(): BackendInfo {
    return this.backends.forRole('chat').info();
  }

  status(): EngineStatusView {
    return describeBackend(this.deps.settings.current, this.deps.context.extensionPath, this.chatInfo(), this.backends.localModel);
  }

  /**
   * The status after a look at a local engine that already runs (the shared service keeps its
   * model across window reloads); nothing is started or loaded for it.
   */
  async currentStatus(): Promise<EngineStatusView> {
    if (this.chatInfo().kind === 'local') {
      const attach = this.backends
        .localBackend()
        .attachIfRunning()
        .catch((err: unknown) => this.deps.logger.debug('Could not look at the running engine service', { error: err }));
      await Promise.race([attach, delay(ATTACH_WAIT_MS)]);
    }
    return this.status();
  }

  private refreshStatus(): void {
    const status = this.status();
    this.statusBar.update(status);
    this.statusEmitter.fire(status);
  }

  private onConfigChanged(next: AutoGlmConfig): void {
    this.backends.update(next).catch((err: unknown) => this.deps.logger.error('Applying the new engine settings failed', { error: err }));
    this.refreshStatus();
    this.deps.logger.info('Settings changed', { model: next.model, engine: next.engine, backend: next.backend, logLevel: next.log.level });
  }

  private modelCommands(): Command[] {
    const { context, logger, settings } = this.deps;
    return [chooseModelCommand({ context, logger, settings: () => settings.current }), hubTokenCommand(context.secrets), findLocalServersCommand(logger)];
  }

  private showStatusCommand(): Command {
    return {
      id: 'autoglm.showStatus',
      execute: async () => {
        const status = await this.currentStatus();
        const message = `Open AutoGLM ${VERSION}: ${statusDetail(status)}`;
        const actions = ['Choose Model…', 'Open Log', 'Settings'];
        const pick = await (status.pending?.state === 'failed' ? vscode.window.showWarningMessage(message, ...actions) : vscode.window.showInformationMessage(message, ...actions));
        if (pick === 'Choose Model…') {
          await vscode.commands.executeCommand('autoglm.chooseModel');
        } else if (pick === 'Open Log') {
          this.deps.showLog();
        } else if (pick === 'Settings') {
          await vscode.commands.executeCommand('workbench.action.openSettings', 'autoglm');
        }
      },
    };
  }
}
