/**
 * The items of "Choose Model…", grouped under separators: the bundled demo, downloaded models
 * (each checked against its manifest; a changed one is marked and not offered as ready), the
 * catalog (size on disk, memory, fit for this machine), local servers, and the two open-ended
 * entries. Gathering them reads only the disk and, with the user's consent, loopback.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { errorMessage } from '../../common/errors';
import { describeReport, fitsMachine, installedModels, recommendedEntry, variantOf, verifyModelFolder, type Catalog, type CatalogEntry, type VerifyReport } from '../../models';
import type { LocalServer } from '../../models/localServers';
import { serverModelItems, type ServerModelItem } from './localServerCommands';
import { gigabytes } from './progressText';

export type PickTarget =
  | { kind: 'bundled' }
  | { kind: 'folder'; dir: string; name: string; suited?: CatalogEntry['roles'] }
  | { kind: 'changed'; report: VerifyReport; repo: string; revision: string }
  | { kind: 'catalog'; entry: CatalogEntry }
  | { kind: 'server'; item: ServerModelItem }
  | { kind: 'anyRepo' }
  | { kind: 'openFolder' }
  | { kind: 'lookForServers' }
  | { kind: 'serversConsent'; answer: 'yes' | 'no' };

export interface PickItem extends vscode.QuickPickItem {
  target?: PickTarget;
}

export interface PickerInputs {
  bundledName: string;
  /** The folder the settings use now ('' for the bundled model). */
  current: string;
  catalog: Catalog | { error: string };
  root: string;
  totalMemBytes: number;
  offline: boolean;
  /** Undefined: not looked for. */
  servers: readonly LocalServer[] | undefined;
  /** The user's answer to looking each time the picker opens; undefined: not asked yet. */
  serversConsent: 'yes' | 'no' | undefined;
}

const separator = (label: string): PickItem => ({ label, kind: vscode.QuickPickItemKind.Separator });
const inUse = (dir: string, current: string): string => (current !== '' && path.resolve(dir) === path.resolve(current) ? ' · in use' : '');

export interface Downloaded {
  report: VerifyReport;
  dir: string;
}

/** Downloaded models with a fast check (sizes, no hashing) of each against its manifest. */
export async function downloadedModels(root: string): Promise<Downloaded[]> {
  const installed = await installedModels(root).catch(() => []);
  return Promise.all(installed.map(async (m) => ({ dir: m.dir, report: await verifyModelFolder(m.dir, 'fast') })));
}

function downloadedItems(downloaded: readonly Downloaded[], catalog: Catalog | undefined, current: string): PickItem[] {
  return downloaded.map(({ dir, report }): PickItem => {
    const manifest = report.manifest;
    const repo = manifest?.repo ?? path.basename(dir);
    const revision = manifest?.revision ?? '';
    const entry = catalog?.entries.find((e) => (e.repo ?? '').toLowerCase() === repo.toLowerCase());
    if (!report.ok) {
      return {
        label: `$(warning) ${repo}`,
        description: `files changed since the download · not ready`,
        detail: describeReport(report).slice(0, 3).join('; '),
        target: { kind: 'changed', report, repo, revision },
      };
    }
    return {
      label: `$(check) ${entry?.name ?? repo}`,
      description: `${repo}@${revision.slice(0, 8)} · ${manifest?.variants.join(', ') ?? ''}${inUse(dir, current)}`,
      detail: dir,
      target: { kind: 'folder', dir, name: entry?.name ?? repo, ...(entry ? { suited: entry.roles } : {}) },
    };
  });
}

function catalogItem(entry: CatalogEntry, recommended: readonly string[], totalMemBytes: number, downloaded: ReadonlySet<string>): PickItem {
  const variant = variantOf(entry);
  const fits = fitsMachine(entry, totalMemBytes);
  const size = variant ? `${gigabytes(variant.diskBytes)} on disk · needs ${gigabytes(variant.memoryBytes)} memory` : 'size unknown';
  const fit = recommended.includes(entry.id) ? '$(star-full) recommended for this machine' : fits ? 'fits this machine' : `needs more memory than this machine's ${gigabytes(totalMemBytes)} leave free`;
  return {
    label: `${downloaded.has((entry.repo ?? '').toLowerCase()) ? '$(check)' : '$(cloud-download)'} ${entry.name}`,
    description: `${entry.roles.join(' + ')} · ${size}`,
    detail: `${fit} · ${entry.repo ?? ""} · ${entry.licence}`,
    target: { kind: 'catalog', entry },
  };
}

function catalogItems(inputs: PickerInputs, downloaded: readonly Downloaded[]): PickItem[] {
  if ('error' in inputs.catalog) {
    return [separator('Catalog'), { label: '$(error) The model catalog could not be read', detail: inputs.catalog.error }];
  }
  const catalog = inputs.catalog;
  const have = new Set(downloaded.filter((d) => d.report.ok).map((d) => d.report.manifest?.repo.toLowerCase() ?? ''));
  const recommended = (['completion', 'chat'] as const).map((role) => recommendedEntry(catalog, role, inputs.totalMemBytes)?.id).filter((id): id is string => id !== undefined);
  const entries = catalog.entries.filter((e) => e.kind === 'hub' && (!inputs.offline || have.has((e.repo ?? '').toLowerCase())));
  // The recommended entries first: they are what a new user should take.
  const ordered = [...entries.filter((e) => recommended.includes(e.id)), ...entries.filter((e) => !recommended.includes(e.id))];
  return [separator(inputs.offline ? 'Catalog (offline: downloads are off)' : 'Catalog'), ...ordered.map((e) => catalogItem(e, recommended, inputs.totalMemBytes, have))];
}

const LOOK_NOW: PickItem = { label: '$(search) Look for local model servers…', description: 'Ollama, LM Studio, llama.cpp, vLLM on 127.0.0.1', target: { kind: 'lookForServers' } };

/** The first time: the question whether to look each time, as two items; later, what was found. */
function serverItems(servers: readonly LocalServer[] | undefined, consent: PickerInputs['serversConsent']): PickItem[] {
  if (consent === undefined) {
    return [
      separator('Local servers'),
      { label: '$(search) Look for model servers on this machine each time', description: 'Ollama, LM Studio, llama.cpp, vLLM; 127.0.0.1 only', detail: 'One short request to each default port when this list opens. Asked once.', target: { kind: 'serversConsent', answer: 'yes' } },
      { label: '$(circle-slash) Do not look for local model servers', description: 'Find Local Model Servers still looks when you run it', target: { kind: 'serversConsent', answer: 'no' } },
    ];
  }
  if (servers === undefined) {
    return [separator('Local servers'), LOOK_NOW];
  }
  const items = serverModelItems(servers).map((item): PickItem => ({ label: item.label, description: item.description, ...(item.detail ? { detail: item.detail } : {}), target: { kind: 'server', item } }));
  return [separator('Local servers'), ...(items.length > 0 ? items : [{ ...LOOK_NOW, label: '$(search) No local model server answered: look again…' }])];
}

export function pickerItems(inputs: PickerInputs, downloaded: readonly Downloaded[]): PickItem[] {
  const catalog = 'error' in inputs.catalog ? undefined : inputs.catalog;
  const bundled: PickItem = {
    label: `$(package) ${inputs.bundledName}`,
    description: `bundled · a small offline demo, not useful code${inputs.current === '' ? ' · in use' : ''}`,
    target: { kind: 'bundled' },
  };
  const others: PickItem[] = [
    separator('Other'),
    ...(inputs.offline ? [] : [{ label: '$(globe) Any Hugging Face repository…', description: 'owner/name or owner/name@revision, ONNX layout', target: { kind: 'anyRepo' } } satisfies PickItem]),
    { label: '$(folder-opened) Model folder…', description: 'config.json, tokenizer.json, onnx/*.onnx', target: { kind: 'openFolder' } },
  ];
  const mine = downloadedItems(downloaded, catalog, inputs.current);
  return [
    separator('Bundled'),
    bundled,
    ...(mine.length > 0 ? [separator('Downloaded'), ...mine] : []),
    ...catalogItems(inputs, downloaded),
    ...serverItems(inputs.servers, inputs.serversConsent),
    ...others,
  ];
}

/** The catalog, or what is wrong with it as an item can say. */
export async function readCatalog(load: () => Promise<Catalog>): Promise<Catalog | { error: string }> {
  try {
    return await load();
  } catch (err) {
    return { error: errorMessage(err) };
  }
}
