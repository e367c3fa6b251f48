/**
 * Which roles a chosen model serves, and what choosing it writes to the settings. The engine runs
 * one local model at a time, so per-role local models are not possible today: a role uses either
 * "the local model" (`autoglm.model.path`) or a server (`autoglm.remote.*`), and choosing a local
 * model for one role changes it for every role that is local.
 */
import * as vscode from 'vscode';
import type { Role } from '../backends';

export type RoleChoice = 'both' | Role;

interface RoleItem extends vscode.QuickPickItem {
  choice: RoleChoice;
}

/** The roles a choice covers. */
export function rolesOf(choice: RoleChoice): Role[] {
  return choice === 'both' ? ['completion', 'chat'] : [choice];
}

/**
 * Asks which roles `name` should serve; `suited` (from the catalog) is offered first. Undefined
 * when the user dismissed the question.
 */
export async function askRoles(name: string, suited: readonly Role[] = ['completion', 'chat'], local = true): Promise<RoleChoice | undefined> {
  const shared = local ? ' (the one local model serves every role set to local)' : '';
  const items: RoleItem[] = [
    { label: 'Both', description: 'completion and chat', choice: 'both' },
    { label: 'Completion', description: 'ghost text as you type', choice: 'completion' },
    { label: 'Chat', description: 'chat view, Explain, Fix, Generate Tests', choice: 'chat' },
  ];
  const first = suited.length === 1 ? suited[0] : 'both';
  const ordered = [...items.filter((i) => i.choice === first), ...items.filter((i) => i.choice !== first)];
  const pick = await vscode.window.showQuickPick(ordered, { title: `Use ${name} for`, placeHolder: `Which roles should ${name} serve?${shared}`, ignoreFocusOut: true });
  return pick?.choice;
}

const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('autoglm');

async function setRoles(roles: readonly Role[], backend: 'local' | 'remote'): Promise<void> {
  for (const role of roles) {
    await settings().update(`backend.${role}`, backend, vscode.ConfigurationTarget.Global);
  }
}

/** The local model for `roles`: a folder, or '' for the bundled model. */
export async function useLocalModel(folder: string, roles: readonly Role[]): Promise<void> {
  await settings().update('model.path', folder, vscode.ConfigurationTarget.Global);
  await setRoles(roles, 'local');
}

/** An OpenAI-compatible server (its API root and model id) for `roles`. */
export async function useServer(baseUrl: string, model: string, roles: readonly Role[]): Promise<void> {
  await settings().update('remote.baseUrl', baseUrl, vscode.ConfigurationTarget.Global);
  await settings().update('remote.model', model, vscode.ConfigurationTarget.Global);
  await setRoles(roles, 'remote');
}
