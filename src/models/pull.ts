/**
 * One pull as the CLI and the editor do it: a catalog entry or any repository (at a branch, tag
 * or commit) -> a plan -> a verified download into `<root>/<owner>/<name>/<commit>`.
 */
import { planForEntry, type CatalogEntry } from './catalog';
import { downloadModel, stagingFolder, type DownloadOptions, type DownloadPlan, type DownloadResult } from './download';
import type { HubOptions } from './hubApi';
import { modelFolderFor } from './installed';
import { describeReport, readManifest, verifyModelFolder } from './manifest';
import { planForRepo } from './plan';

export type PullSource = { readonly entry: CatalogEntry } | { readonly repo: string; readonly revision?: string };

export interface PullOptions extends Omit<DownloadOptions, 'target' | 'hub'> {
  readonly hub: HubOptions;
  /** The models folder (see defaultModelsRoot). */
  readonly root: string;
  /** ONNX variant; default: the entry's, else by VARIANT_PREFERENCE. */
  readonly variant?: string;
  /** Called once the plan is known, before any file is fetched (to show where it goes). */
  readonly onPlan?: (plan: DownloadPlan, target: string, staging: string) => void;
}

export async function planPull(source: PullSource, hub: HubOptions, variant?: string, signal?: AbortSignal): Promise<DownloadPlan> {
  if ('entry' in source) {
    return planForEntry(hub, source.entry, variant ?? source.entry.defaultVariant, signal);
  }
  return planForRepo(hub, source.repo, source.revision ?? 'main', variant, signal);
}

export async function pullModel(source: PullSource, options: PullOptions): Promise<DownloadResult> {
  const plan = await planPull(source, options.hub, options.variant, options.signal);
  const target = modelFolderFor(options.root, plan.repo, plan.revision);
  options.onPlan?.(plan, target, stagingFolder(target));
  return downloadModel(plan, { ...options, target });
}

/**
 * For the engine's host before it loads a folder: undefined when the folder is not a download
 * (no manifest: the user's own folder) or still matches its manifest by size; otherwise what
 * is wrong, so a changed download is reported instead of used.
 */
export async function modelFolderProblem(dir: string): Promise<string | undefined> {
  const read = await readManifest(dir);
  if (read.kind === 'missing') {
    return undefined;
  }
  const report = await verifyModelFolder(dir, 'fast');
  return report.ok ? undefined : `${dir} no longer matches its download (${describeReport(report).join('; ')}): pull it again or verify it`;
}
