/**
 * Just enough of the `vscode` module for host classes' wiring to run under mocha. Importing
 * this file first makes `require('vscode')` resolve to it; nothing here pretends to be an editor.
 */
import Module from 'node:module';

type Listener<T> = (value: T) => void;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>): { dispose(): void } => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      listener(value);
    }
  }

  dispose(): void {
    this.listeners = [];
  }
}

export const Uri = {
  joinPath: (base: { path: string }, ...segments: string[]) => ({ path: [base.path, ...segments].join('/') }),
};

const noListener = (): { dispose(): void } => ({ dispose: () => undefined });

export const Disposable = {
  from: (...items: { dispose(): void }[]) => ({ dispose: () => items.forEach((d) => d.dispose()) }),
};

export const QuickPickItemKind = { Separator: -1, Default: 0 };

export const commands = { executeCommand: async () => undefined, registerCommand: noListener };
export const languages = { registerInlineCompletionItemProvider: noListener };
export const workspace = { onDidChangeTextDocument: noListener, textDocuments: [] };
export const window = {
  showWarningMessage: async () => undefined,
  showErrorMessage: async () => undefined,
  visibleTextEditors: [],
  onDidChangeActiveTextEditor: noListener,
};

const STUB_ID = 'vscode-stub';
const loader = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
const resolve = loader._resolveFilename.bind(Module);
loader._resolveFilename = (request: string, ...rest: unknown[]) => (request === 'vscode' ? STUB_ID : resolve(request, ...rest));
require.cache[STUB_ID] = { id: STUB_ID, filename: STUB_ID, loaded: true, exports: module.exports } as NodeJS.Module;
