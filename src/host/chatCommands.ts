import * as vscode from 'vscode';
import type { ChatContextSource } from './chatContext';
import type { ChatViewProvider } from './chatView';

export interface ChatCommandDeps {
  register<T extends vscode.Disposable>(d: T): T;
  view: ChatViewProvider;
  contextSource: ChatContextSource;
}

/**
 * Editor commands that open the chat with the editor's context attached: "Ask about selection"
 * waits for the user's question; the others send their slash command at once.
 */
export function registerChatCommands({ register, view, contextSource }: ChatCommandDeps): void {
  const withContext = (slash: string | undefined, diagnostics: boolean) => async (): Promise<void> => {
    const editor = contextSource.editor;
    await view.reveal();
    view.attach(contextSource.selection(editor) ?? contextSource.file(editor));
    if (diagnostics) {
      view.attach(contextSource.diagnostics(editor));
    }
    if (slash) {
      await view.submit(slash);
    }
  };
  register(vscode.commands.registerCommand('autoglm.chat.askAboutSelection', withContext(undefined, false)));
  register(vscode.commands.registerCommand('autoglm.chat.explain', withContext('/explain', false)));
  register(vscode.commands.registerCommand('autoglm.chat.generateTests', withContext('/tests', false)));
  register(vscode.commands.registerCommand('autoglm.chat.fix', withContext('/fix', true)));
}
