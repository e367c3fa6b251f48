/**
 * Model servers the user runs on this machine, as the editor offers them: a command that looks,
 * lists their models and uses one for the roles the user picks, and the user's standing answer
 * to whether Choose Model may look each time it opens (asked in the picker the first time it
 * opens, and remembered; nothing is looked for without that answer or the command).
 */
import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { findLocalServers, type LocalServer, type LocalServerModel } from '../../models/localServers';
import type { Command } from '../commands';
import { askRoles, rolesOf, useServer } from './roles';

const CONSENT_KEY = 'autoglm.localServers.consent';

export type LocalServerConsent = 'yes' | 'no' | undefined;

export interface ServerModelItem extends vscode.QuickPickItem {
  server: LocalServer;
  model: LocalServerModel;
}

/** One picker item per model a server serves. */
export function serverModelItems(servers: readonly LocalServer[]): ServerModelItem[] {
  return servers.flatMap((server) =>
    server.models.map((model) => ({
      label: `$(server) ${model.id}`,
      description: `${server.label} on port ${server.port}`,
      ...(model.detail ? { detail: model.detail } : {}),
      server,
      model,
    })),
  );
}

/** Asks which roles the model serves, then points those roles at the server. */
export async function useServerModel(item: ServerModelItem): Promise<boolean> {
  const roles = await askRoles(`${item.model.id} (${item.server.label})`, ['completion', 'chat'], false);
  if (!roles) {
    return false;
  }
  await useServer(item.server.baseUrl, item.model.id, rolesOf(roles));
  return true;
}

export function consent(state: vscode.Memento): LocalServerConsent {
  const value = state.get<unknown>(CONSENT_KEY);
  return value === 'yes' || value === 'no' ? value : undefined;
}

const NONE_FOUND = 'No model server answered on 127.0.0.1 (Ollama on port 11434, LM Studio on 1234, llama.cpp on 8080, vLLM on 8000).';

/** Looks, with a progress note in the status bar; never throws. */
export async function lookForServers(logger: Logger): Promise<LocalServer[]> {
  const servers = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Looking for local model servers' }, () => findLocalServers());
  logger.info('Local model servers found', { servers: servers.map((s) => ({ kind: s.kind, port: s.port, models: s.models.length })) });
  return servers;
}

async function findAndChoose(logger: Logger): Promise<boolean> {
  const servers = await lookForServers(logger);
  const items = serverModelItems(servers);
  if (items.length === 0) {
    void vscode.window.showInformationMessage(servers.length > 0 ? `${servers.map((s) => s.label).join(', ')} answered but serve no model.` : NONE_FOUND);
    return false;
  }
  const pick = await vscode.window.showQuickPick(items, { title: 'Local model servers', placeHolder: 'Use a model of a server on this machine', matchOnDescription: true, matchOnDetail: true });
  return pick ? useServerModel(pick) : false;
}

export function findLocalServersCommand(logger: Logger): Command {
  return { id: 'autoglm.models.findLocalServers', execute: () => findAndChoose(logger) };
}

/** Remembers the answer to "look for local servers?", given in the picker the first time it opens. */
export async function rememberConsent(state: vscode.Memento, answer: 'yes' | 'no'): Promise<void> {
  await state.update(CONSENT_KEY, answer);
}
