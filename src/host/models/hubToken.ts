import * as vscode from 'vscode';
import type { Command } from '../commands';

/** The Hugging Face access token, for gated and private repositories; kept in the editor's secret storage. */
export const HUB_TOKEN_SECRET = 'autoglm.models.hubToken';

export function hubTokenCommand(secrets: vscode.SecretStorage): Command {
  return {
    id: 'autoglm.models.setHubToken',
    execute: async () => {
      const token = await vscode.window.showInputBox({
        title: 'Hugging Face access token',
        prompt: 'Sent only to the models endpoint (autoglm.models.endpoint), for gated or private repositories.',
        password: true,
        ignoreFocusOut: true,
        placeHolder: 'hf_... (leave empty to remove the token)',
      });
      if (token === undefined) {
        return;
      }
      if (token.trim() === '') {
        await secrets.delete(HUB_TOKEN_SECRET);
        return;
      }
      await secrets.store(HUB_TOKEN_SECRET, token.trim());
    },
  };
}
