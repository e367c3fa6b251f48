import * as vscode from 'vscode';

/** One editor command: its id as declared in package.json, and what it does. */
export interface Command {
  readonly id: string;
  execute(...args: unknown[]): unknown;
}

/** Registers every command of a table; disposing the result unregisters them all. */
export function registerCommands(commands: readonly Command[]): vscode.Disposable {
  return vscode.Disposable.from(...commands.map((c) => vscode.commands.registerCommand(c.id, (...args: unknown[]) => c.execute(...args))));
}
