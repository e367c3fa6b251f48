/**
 * "Any repository id": a download plan from a repository's listing. The engine needs the
 * config and tokenizer files beside one ONNX variant (transformers.js layout: `onnx/model_<v>.onnx`,
 * or the file at the root) with its external-data files (`<file>_data`, `<file>_data_1`, ...,
 * or `<file>.data`). Listed paths that would leave the model folder are refused, not skipped.
 */
import { ModelDownloadError } from './errors';
import { listRepo, type HubFile, type HubOptions, type RepoListing } from './hubApi';
import type { DownloadPlan, PlannedFile } from './download';
import { isSafeRepoPath } from './names';

/** Files beside the weights that the engine reads when present; config.json and tokenizer.json are required. */
export const ENGINE_FILES = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'special_tokens_map.json'] as const;
const REQUIRED_FILES = ['config.json', 'tokenizer.json'];

/** Variants in the order a plan prefers them when none is asked for (small and CPU-friendly first). */
export const VARIANT_PREFERENCE = ['q4', 'q4f16', 'int8', 'uint8', 'quantized', 'bnb4', 'fp16', 'fp32'] as const;

export function variantFileName(variant: string): string {
  return variant === 'fp32' ? 'model.onnx' : `model_${variant}.onnx`;
}

function variantOf(fileName: string): string | undefined {
  if (fileName === 'model.onnx') {
    return 'fp32';
  }
  return /^model_([a-z0-9]+)\.onnx$/.exec(fileName)?.[1];
}

function baseName(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1);
}

function isExternalData(file: string, model: string): boolean {
  return file === `${model}.data` || file === `${model}_data` || new RegExp(`^${model.replace(/[.]/g, '\\.')}_data_\\d+$`).test(file);
}

/** The ONNX model files of a listing, `onnx/` first (where transformers.js exports put them). */
function modelFiles(files: readonly HubFile[]): HubFile[] {
  const onnx = files.filter((f) => f.path.startsWith('onnx/') && f.path.split('/').length === 2 && variantOf(baseName(f.path)) !== undefined);
  return onnx.length > 0 ? onnx : files.filter((f) => !f.path.includes('/') && variantOf(f.path) !== undefined);
}

export function availableVariants(listing: RepoListing): string[] {
  return [...new Set(modelFiles(listing.files).map((f) => variantOf(baseName(f.path))!))];
}

function refuseUnsafe(listing: RepoListing): void {
  const wanted = new Set<string>([...ENGINE_FILES]);
  const bad = listing.files.find((f) => !isSafeRepoPath(f.path) && (wanted.has(baseName(f.path)) || /\.onnx(_data(_\d+)?|\.data)?$/.test(f.path)));
  if (bad) {
    throw new ModelDownloadError('unsafe-path', `${listing.repo}@${listing.revision}: refusing listed file '${bad.path}' (absolute, '..', or characters a model file does not use)`);
  }
}

function planned(f: HubFile): PlannedFile {
  return { path: f.path, size: f.size, sha256: f.sha256 };
}

/** Picks the files the engine needs from a listing; `variant` undefined picks by VARIANT_PREFERENCE. */
export function pickModelFiles(listing: RepoListing, variant?: string): DownloadPlan {
  refuseUnsafe(listing);
  const safe = listing.files.filter((f) => isSafeRepoPath(f.path));
  const root = safe.filter((f) => (ENGINE_FILES as readonly string[]).includes(f.path));
  const missing = REQUIRED_FILES.filter((name) => !root.some((f) => f.path === name));
  const variants = availableVariants({ ...listing, files: safe });
  const chosen = variant ?? VARIANT_PREFERENCE.find((v) => variants.includes(v));
  if (missing.length > 0) {
    throw new ModelDownloadError('not-found', `${listing.repo}@${listing.revision}: no ${missing.join(' or ')} at the repository root: not a model the engine can load`);
  }
  const model = modelFiles(safe).find((f) => variantOf(baseName(f.path)) === chosen);
  if (chosen === undefined || !model) {
    const have = variants.length > 0 ? `it has ${variants.join(', ')}` : 'it has no ONNX model files';
    throw new ModelDownloadError('not-found', `${listing.repo}@${listing.revision}: no ONNX variant '${chosen ?? 'any'}' (${have})`);
  }
  const folder = model.path.slice(0, model.path.length - baseName(model.path).length);
  const data = safe.filter((f) => f.path.startsWith(folder) && !f.path.slice(folder.length).includes('/') && isExternalData(baseName(f.path), baseName(model.path)));
  return { repo: listing.repo, revision: listing.commit, variant: chosen, files: [...root, model, ...data].map(planned) };
}

/** Lists a repository revision on the Hub and plans the download of one variant. */
export async function planForRepo(hub: HubOptions, repo: string, revision = 'main', variant?: string, signal?: AbortSignal): Promise<DownloadPlan> {
  return pickModelFiles(await listRepo(hub, repo, revision, signal), variant);
}
