/**
 * "Open AutoGLM: Choose Model…": the picker, then the roles, then (for a model not yet on disk)
 * the download, then the settings that make the engine load it. The engine keeps answering with
 * the model it has until the new one has loaded, and the status says which one answers.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../../common/logger';
import { describeReport, findEntry, findInstalled, loadCatalog, parseRepoSpec, planForEntry, planForRepo, verifyModelFolder, type Catalog, type CatalogEntry } from '../../models';
import type { Role } from '../backends';
import type { Command } from '../commands';
import type { AutoGlmConfig } from '../configuration';
import { BUNDLED_MODEL_DIR } from '../modelInfo';
import { HUB_TOKEN_SECRET } from './hubToken';
import { consent, lookForServers, rememberConsent, useServerModel } from './localServerCommands';
import { downloadContext, downloadWithProgress, type DownloadContext } from './modelDownload';
import { downloadedModels, pickerItems, readCatalog, type PickItem, type PickTarget } from './modelPicker';
import { askRoles, rolesOf, useLocalModel, type RoleChoice } from './roles';

export interface ChooseModelDeps {
  context: vscode.ExtensionContext;
  settings(): AutoGlmConfig;
  logger: Logger;
}

/** What a choice did; the extension-host tests read it. */
export interface ChooseResult {
  /** The local model folder now in the settings ('' for the bundled model), when a local model was chosen. */
  folder?: string;
  /** The server now in the settings, when one was chosen. */
  server?: string;
  /** The progress messages a download showed. */
  progress: string[];
}

/** Arguments for scripts and tests: a folder, or a catalog entry or repository with its roles. */
type ChooseArgs = string | { catalogId?: string; repo?: string; roles?: RoleChoice };

const ROLE_CHOICES: readonly RoleChoice[] = ['both', 'completion', 'chat'];

function catalogFile(deps: ChooseModelDeps): string {
  const own = deps.settings().models.catalog;
  return own !== '' ? own : path.join(deps.context.extensionPath, 'models', 'catalog.json');
}

async function context(deps: ChooseModelDeps): Promise<DownloadContext> {
  return downloadContext(deps.settings(), await deps.context.secrets.get(HUB_TOKEN_SECRET), deps.logger);
}

/** Uses a local folder for the roles the user picks (or `roles` when given). */
async function useFolder(dir: string, name: string, suited: readonly Role[] | undefined, roles: RoleChoice | undefined, progress: string[] = []): Promise<ChooseResult | undefined> {
  const choice = roles ?? (await askRoles(name, suited));
  if (!choice) {
    return undefined;
  }
  await useLocalModel(dir, rolesOf(choice));
  return { folder: dir, progress };
}

async function chooseCatalogEntry(deps: ChooseModelDeps, entry: CatalogEntry, roles?: RoleChoice): Promise<ChooseResult | undefined> {
  if (entry.kind === 'bundled') {
    return useFolder('', entry.name, entry.roles, roles);
  }
  const choice = roles ?? (await askRoles(entry.name, entry.roles));
  if (!choice) {
    return undefined;
  }
  const ctx = await context(deps);
  const installed = entry.repo !== null ? await findInstalled(ctx.root, entry.repo, entry.revision ?? undefined) : undefined;
  if (installed && (await verifyModelFolder(installed.dir, 'fast')).ok) {
    return useFolder(installed.dir, entry.name, entry.roles, choice);
  }
  const outcome = await downloadWithProgress(entry.name, (signal) => planForEntry(ctx.hub, entry, entry.defaultVariant, signal), ctx);
  return outcome.kind === 'done' ? useFolder(outcome.dir, entry.name, entry.roles, choice, outcome.progress) : undefined;
}

async function chooseRepo(deps: ChooseModelDeps, spec: string, roles?: RoleChoice): Promise<ChooseResult | undefined> {
  const { repo, revision } = parseRepoSpec(spec);
  const choice = roles ?? (await askRoles(repo));
  if (!choice) {
    return undefined;
  }
  const ctx = await context(deps);
  const outcome = await downloadWithProgress(spec, (signal) => planForRepo(ctx.hub, repo, revision ?? 'main', undefined, signal), ctx);
  return outcome.kind === 'done' ? useFolder(outcome.dir, repo, undefined, choice, outcome.progress) : undefined;
}

function validRepoSpec(text: string): string | undefined {
  try {
    parseRepoSpec(text.trim());
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

async function askRepo(deps: ChooseModelDeps): Promise<ChooseResult | undefined> {
  const spec = await vscode.window.showInputBox({
    title: 'Any Hugging Face repository',
    prompt: 'A repository in the ONNX layout (config.json, tokenizer.json, onnx/model*.onnx), for example onnx-community/Qwen2.5-Coder-1.5B-Instruct',
    placeHolder: 'owner/name or owner/name@revision',
    ignoreFocusOut: true,
    validateInput: (text) => (text.trim() === '' ? undefined : validRepoSpec(text)),
  });
  return spec && spec.trim() !== '' ? chooseRepo(deps, spec.trim()) : undefined;
}

async function askFolder(): Promise<ChooseResult | undefined> {
  const chosen = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Use this model', title: 'Model folder (Hugging Face ONNX layout)' });
  const dir = chosen?.[0]?.fsPath;
  return dir ? useFolder(dir, path.basename(dir), undefined, undefined) : undefined;
}

async function offerRedownload(deps: ChooseModelDeps, target: Extract<PickTarget, { kind: 'changed' }>): Promise<ChooseResult | undefined> {
  const again = 'Download Again';
  const pick = await vscode.window.showWarningMessage(`${target.repo} is not ready: ${describeReport(target.report).slice(0, 3).join('; ')}`, again);
  return pick === again ? chooseRepo(deps, `${target.repo}@${target.revision}`) : undefined;
}

async function act(deps: ChooseModelDeps, target: PickTarget): Promise<ChooseResult | undefined> {
  switch (target.kind) {
    case 'bundled':
      return useFolder('', path.basename(BUNDLED_MODEL_DIR), undefined, undefined);
    case 'folder':
      return useFolder(target.dir, target.name, target.suited, undefined);
    case 'changed':
      return offerRedownload(deps, target);
    case 'catalog':
      return chooseCatalogEntry(deps, target.entry);
    case 'server':
      return (await useServerModel(target.item)) ? { server: target.item.server.baseUrl, progress: [] } : undefined;
    case 'anyRepo':
      return askRepo(deps);
    case 'openFolder':
      return askFolder();
    case 'lookForServers':
      await vscode.commands.executeCommand('autoglm.models.findLocalServers');
      return undefined;
    case 'serversConsent':
      await rememberConsent(deps.context.globalState, target.answer);
      // Reopened, so that the list shows what the answer allows.
      return pickAndAct(deps);
    default: {
      const never: never = target;
      throw new Error(`Unhandled model choice ${JSON.stringify(never)}`);
    }
  }
}

async function items(deps: ChooseModelDeps, catalog: Catalog | { error: string }): Promise<PickItem[]> {
  const config = deps.settings();
  const { root } = downloadContext(config, undefined, deps.logger);
  const serversConsent = consent(deps.context.globalState);
  const looked = serversConsent === 'yes';
  const [downloaded, servers] = await Promise.all([downloadedModels(root), looked ? lookForServers(deps.logger) : Promise.resolve(undefined)]);
  return pickerItems({ bundledName: path.basename(BUNDLED_MODEL_DIR), current: config.model.path, catalog, root, totalMemBytes: os.totalmem(), offline: config.models.offline, servers, serversConsent }, downloaded);
}

async function pickAndAct(deps: ChooseModelDeps): Promise<ChooseResult | undefined> {
  const catalog = await readCatalog(() => loadCatalog(catalogFile(deps)));
  const pick = await vscode.window.showQuickPick(items(deps, catalog), { title: 'Open AutoGLM: Choose Model', placeHolder: 'The model for completion and chat', matchOnDescription: true, matchOnDetail: true, ignoreFocusOut: true });
  return pick?.target ? act(deps, pick.target) : undefined;
}

async function fromArgs(deps: ChooseModelDeps, args: ChooseArgs): Promise<ChooseResult | undefined> {
  if (typeof args === 'string') {
    return useFolder(args, path.basename(args), undefined, 'both');
  }
  const roles = args.roles !== undefined && ROLE_CHOICES.includes(args.roles) ? args.roles : undefined;
  if (args.repo !== undefined) {
    return chooseRepo(deps, args.repo, roles);
  }
  const catalog = await loadCatalog(catalogFile(deps));
  const entry = args.catalogId !== undefined ? findEntry(catalog, args.catalogId) : undefined;
  if (!entry) {
    throw new Error(`No catalog entry '${String(args.catalogId)}' in ${catalogFile(deps)}`);
  }
  return chooseCatalogEntry(deps, entry, roles);
}

const isArgs = (value: unknown): value is ChooseArgs => typeof value === 'string' || (typeof value === 'object' && value !== null);

export function chooseModelCommand(deps: ChooseModelDeps): Command {
  return {
    id: 'autoglm.chooseModel',
    execute: (args?: unknown) => (isArgs(args) ? fromArgs(deps, args) : pickAndAct(deps)),
  };
}
