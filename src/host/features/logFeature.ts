import * as vscode from 'vscode';
import { Disposable } from '../../common/disposable';
import type { Logger } from '../../common/logger';
import { registerCommands } from '../commands';
import type { LiveConfiguration } from '../configuration';
import { createChannelLogger } from '../logChannel';

/** The "Open AutoGLM" log: its output channel, the logger writing to it at the configured level, and "Show Log". */
export class LogFeature extends Disposable {
  readonly logger: Logger;
  private readonly channel = this.register(vscode.window.createOutputChannel('Open AutoGLM', { log: true }));

  constructor(settings: LiveConfiguration) {
    super();
    this.logger = createChannelLogger(this.channel, () => settings.current.log.level);
    this.register(registerCommands([{ id: 'autoglm.showLog', execute: () => this.show() }]));
  }

  show(): void {
    this.channel.show(true);
  }
}
