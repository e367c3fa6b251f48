import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Command } from './commands';
import type { InlineCompletionProvider } from './inlineCompletion';

export interface StatusMenuDeps {
  provider: InlineCompletionProvider;
  completionsEnabled(): boolean;
  bundledModelName: string;
}

type Action = { label: string; description?: string; run(): Thenable<unknown> | void };

/** The status bar menu and its entries as commands: toggle, snooze, logs, choose model, engine status. */
export function statusMenuCommands({ provider, completionsEnabled, bundledModelName }: StatusMenuDeps): Command[] {
  const config = () => vscode.workspace.getConfiguration('autoglm');
  const toggle = () => config().update('inlineCompletion.enabled', !completionsEnabled(), vscode.ConfigurationTarget.Global);
  const snooze = async (minutes?: unknown) => {
    const value = typeof minutes === 'number' ? minutes : Number((await vscode.window.showQuickPick(['5', '30'], { placeHolder: 'Snooze inline completions for how many minutes?' })) ?? NaN);
    if (Number.isFinite(value) && value > 0) {
      provider.snooze(value);
    }
  };
  /** What the menu says runs now, as the settings name it (the status bar names what really answers). */
  const modelNow = (): string => {
    const folder = config().get<string>('model.path') ?? '';
    return folder === '' ? `${bundledModelName} (bundled demo)` : path.basename(folder);
  };

  const menu = async (): Promise<void> => {
    const actions: Action[] = [
      completionsEnabled() ? { label: '$(circle-slash) Turn inline completions off', run: toggle } : { label: '$(check) Turn inline completions on', run: toggle },
      ...(provider.snoozed
        ? [{ label: '$(play) Resume inline completions', run: () => provider.resume() }]
        : [
            { label: '$(clock) Snooze for 5 minutes', run: () => snooze(5) },
            { label: '$(clock) Snooze for 30 minutes', run: () => snooze(30) },
          ]),
      { label: '$(file-directory) Choose model...', description: modelNow(), run: () => vscode.commands.executeCommand('autoglm.chooseModel') },
      { label: '$(output) Open log', run: () => vscode.commands.executeCommand('autoglm.showLog') },
      { label: '$(info) Show engine status', run: () => vscode.commands.executeCommand('autoglm.showStatus') },
    ];
    const pick = await vscode.window.showQuickPick(actions, { placeHolder: 'Open AutoGLM' });
    await pick?.run();
  };

  return [
    { id: 'autoglm.toggleInlineCompletions', execute: toggle },
    { id: 'autoglm.snooze', execute: snooze },
    { id: 'autoglm.statusMenu', execute: menu },
  ];
}
