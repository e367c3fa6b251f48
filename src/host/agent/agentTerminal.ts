/**
 * The terminal that shows the user what the agent ran: a Pseudoterminal named "Open AutoGLM
 * agent" that echoes each command and its output. It runs nothing itself; it is created when
 * first needed and again after the user closes it. Its owner disposes it.
 */
import * as vscode from 'vscode';

export const AGENT_TERMINAL_NAME = 'Open AutoGLM agent';

/** What run_command tells the user as a command runs. */
export interface CommandEcho {
  started(command: string, cwd: string): void;
  output(text: string): void;
  ended(summary: string): void;
}

/** A terminal's line ends are `\r\n`; a lone `\n` would only move down. */
function terminalText(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

class EchoPty implements vscode.Pseudoterminal {
  private readonly writes = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writes.event;
  /** What was written before the terminal opened, shown when it does. */
  private pending: string[] | undefined = [];

  open(): void {
    for (const text of this.pending ?? []) {
      this.writes.fire(text);
    }
    this.pending = undefined;
  }

  close(): void {
    this.writes.dispose();
  }

  write(text: string): void {
    if (this.pending) {
      this.pending.push(text);
    } else {
      this.writes.fire(text);
    }
  }
}

export class AgentTerminal implements CommandEcho, vscode.Disposable {
  private current: { terminal: vscode.Terminal; pty: EchoPty } | undefined;
  private readonly onClose: vscode.Disposable;

  constructor() {
    this.onClose = vscode.window.onDidCloseTerminal((closed) => {
      if (closed === this.current?.terminal) {
        this.current = undefined;
      }
    });
  }

  /** The terminal now, if one is open. */
  get terminal(): vscode.Terminal | undefined {
    return this.current?.terminal;
  }

  started(command: string, cwd: string): void {
    const { terminal, pty } = this.ensure();
    terminal.show(true);
    pty.write(terminalText(`\x1b[1m${cwd} $ ${command}\x1b[0m\n`));
  }

  output(text: string): void {
    this.current?.pty.write(terminalText(text));
  }

  ended(summary: string): void {
    this.current?.pty.write(terminalText(`\n\x1b[2m[${summary}]\x1b[0m\n\n`));
  }

  private ensure(): { terminal: vscode.Terminal; pty: EchoPty } {
    if (!this.current) {
      const pty = new EchoPty();
      this.current = { pty, terminal: vscode.window.createTerminal({ name: AGENT_TERMINAL_NAME, pty }) };
    }
    return this.current;
  }

  dispose(): void {
    this.onClose.dispose();
    this.current?.terminal.dispose();
    this.current = undefined;
  }
}
