/** The one place an agent tool's AbortSignal becomes the CancellationToken VS Code's APIs take. */
import * as vscode from 'vscode';

/** Runs `body` with a token that is cancelled when `signal` aborts; the token is freed afterwards. */
export async function withToken<T>(signal: AbortSignal, body: (token: vscode.CancellationToken) => Thenable<T>): Promise<T> {
  const source = new vscode.CancellationTokenSource();
  const onAbort = (): void => source.cancel();
  if (signal.aborted) {
    source.cancel();
  } else {
    signal.addEventListener('abort', onAbort, { once: true });
  }
  try {
    return await body(source.token);
  } finally {
    signal.removeEventListener('abort', onAbort);
    source.dispose();
  }
}
