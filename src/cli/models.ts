import { existsSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage, isAbortError } from '../common/errors';
import {
  defaultCatalogPath,
  defaultModelsRoot,
  describeReport,
  findEntry,
  findInstalled,
  fitsMachine,
  installedModels,
  loadCatalog,
  parseRepoSpec,
  pullModel,
  proxyFromEnv,
  removeModel,
  variantOf,
  verifyModelFolder,
  type Catalog,
  type CatalogEntry,
  type DownloadPlan,
  type DownloadProgress,
  type HubOptions,
  type InstalledModel,
} from '../models';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliCommand, type CliIO } from './command';

const usage = `Usage: autoglm models <list|pull|verify|rm|path> [ARG] [options]

Models from the catalog (Qwen2.5-Coder 0.5B to 7B, the bundled demo) or any Hugging Face
repository in the ONNX layout, downloaded into the models folder and verified by SHA-256.

  list                        catalog entries (size, memory, fit for this machine) and downloaded models
  pull ID|OWNER/NAME[@REV]    download a catalog entry or any repository (resumes an interrupted pull)
  verify ID|OWNER/NAME|DIR    recheck a downloaded model against its manifest (sizes and hashes)
  rm ID|OWNER/NAME[@REV]      remove downloaded copies (only inside the models folder)
  path ID|OWNER/NAME[@REV]    print the folder of the newest downloaded copy

Options:
  --variant V      ONNX variant to pull: q4, q4f16, int8, fp16, ... (default: the entry's, else q4)
  --endpoint URL   Hub or mirror, e.g. https://hf-mirror.com (default: $HF_ENDPOINT or https://huggingface.co)
  --offline        never open a connection (also $HF_HUB_OFFLINE=1)
  --dir DIR        models folder (default: $AUTOGLM_MODELS_DIR, $XDG_CACHE_HOME/open-autoglm/models or ~/.cache/open-autoglm/models)
  --fast           (verify) compare sizes only
  --json           (list) print JSON

Access token for gated repositories: $HF_TOKEN. Proxy: $HTTPS_PROXY / $https_proxy, $NO_PROXY.
Exit status: 0 on success, 1 on failure (a verify that finds problems included), 2 on bad usage.`;

/** What the command reads from its surroundings; tests pass their own. */
export interface ModelsCommandEnv {
  readonly env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal (progress is then one rewritten line). */
  readonly isTTY: boolean;
  readonly catalogFile: string;
  readonly totalMemBytes: number;
}

type Values = { variant?: string; endpoint?: string; offline?: boolean; dir?: string; fast?: boolean; json?: boolean };

class UsageError extends Error {}

const MB = 1024 * 1024;

function mb(bytes: number): string {
  return bytes >= 1024 * MB ? `${(bytes / 1024 / MB).toFixed(1)} GB` : `${Math.round(bytes / MB)} MB`;
}

function duration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) {
    return '--:--';
  }
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function progressLine(p: DownloadProgress): string {
  const percent = p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 100) : 100;
  const files = p.currentFiles.length > 0 ? ` (${p.currentFiles.join(', ')})` : '';
  return `${percent}% ${mb(p.bytesDone)} of ${mb(p.bytesTotal)}, ${(p.bytesPerSecond / MB).toFixed(1)} MB/s, ${duration(p.secondsLeft)} left, file ${p.filesDone}/${p.filesTotal}${files}`;
}

/** A TTY gets one rewritten line; a pipe or log gets a plain line per tenth of the download. */
function progressPrinter(io: CliIO, isTTY: boolean): { report: (p: DownloadProgress) => void; end: () => void } {
  let shown = -1;
  let width = 0;
  return {
    report: (p) => {
      const line = progressLine(p);
      if (isTTY) {
        io.stdout(`\r${line.padEnd(width)}`);
        width = Math.max(width, line.length);
        return;
      }
      const tenth = p.bytesTotal > 0 ? Math.floor((p.bytesDone / p.bytesTotal) * 10) : 10;
      if (tenth > shown) {
        shown = tenth;
        io.stdout(`${line}\n`);
      }
    },
    end: () => {
      if (isTTY && width > 0) {
        io.stdout('\n');
      }
    },
  };
}

function hubOptions(values: Values, env: NodeJS.ProcessEnv): HubOptions {
  const endpoint = values.endpoint ?? env.HF_ENDPOINT;
  const token = env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN;
  const offline = values.offline === true || env.HF_HUB_OFFLINE === '1' || env.AUTOGLM_OFFLINE === '1';
  return { ...(endpoint ? { endpoint } : {}), ...(token ? { token } : {}), offline, proxy: proxyFromEnv(env) };
}

function modelsRoot(values: Values, env: NodeJS.ProcessEnv): string {
  return values.dir !== undefined ? path.resolve(values.dir) : defaultModelsRoot(env);
}

/** The catalog entry or repository an argument names. */
function target(arg: string | undefined, catalog: Catalog): { entry: CatalogEntry | undefined; repo: string | null; revision: string | undefined } {
  if (arg === undefined) {
    throw new UsageError('this subcommand needs a catalog id or a repository id');
  }
  const entry = findEntry(catalog, arg);
  if (entry) {
    return { entry, repo: entry.repo, revision: entry.revision ?? undefined };
  }
  try {
    return { entry: undefined, ...parseRepoSpec(arg) };
  } catch (err) {
    throw new UsageError(`'${arg}' is neither a catalog id (see \`autoglm models list\`) nor a repository id: ${errorMessage(err)}`);
  }
}

function bundledDir(entry: CatalogEntry, catalogFile: string): string {
  return path.resolve(path.dirname(catalogFile), '..', entry.path ?? '');
}

async function list(values: Values, ctx: ModelsCommandEnv, catalog: Catalog, io: CliIO): Promise<number> {
  const installed = await installedModels(modelsRoot(values, ctx.env));
  const rows = catalog.entries.map((e) => {
    const v = variantOf(e)!;
    const copy = installed.find((m) => m.manifest.repo === e.repo);
    return { id: e.id, repo: e.repo, roles: e.roles, variant: v.name, diskBytes: v.diskBytes, memoryBytes: v.memoryBytes, fits: fitsMachine(e, ctx.totalMemBytes), path: e.kind === 'bundled' ? bundledDir(e, ctx.catalogFile) : copy?.dir ?? null };
  });
  const others = installed.filter((m) => !catalog.entries.some((e) => e.repo === m.manifest.repo));
  if (values.json) {
    io.stdout(`${JSON.stringify({ catalog: rows, downloaded: installed.map((m) => ({ repo: m.manifest.repo, revision: m.manifest.revision, variants: m.manifest.variants, dir: m.dir })) }, null, 2)}\n`);
    return EXIT_OK;
  }
  const lines = rows.map((r) => `${r.id.padEnd(28)} ${r.roles.join('+').padEnd(16)} ${r.variant.padEnd(6)} disk ${mb(r.diskBytes).padStart(7)}  memory ${mb(r.memoryBytes).padStart(7)}  ${r.fits ? 'fits' : 'too large'}  ${r.path ?? '-'}`);
  const extra = others.map((m) => `${`${m.manifest.repo}@${m.manifest.revision.slice(0, 12)}`.padEnd(28)} ${m.manifest.variants.join(',').padEnd(16)} ${m.dir}`);
  io.stdout(`${[`Catalog (this machine: ${mb(ctx.totalMemBytes)} of memory):`, ...lines, ...(extra.length > 0 ? ['', 'Other downloaded models:', ...extra] : [])].join('\n')}\n`);
  return EXIT_OK;
}

async function pull(arg: string | undefined, values: Values, ctx: ModelsCommandEnv, catalog: Catalog, io: CliIO): Promise<number> {
  const { entry, repo, revision } = target(arg, catalog);
  if (entry?.kind === 'bundled' || repo === null) {
    io.stdout(`${entry?.id ?? arg} ships with the extension at ${entry ? bundledDir(entry, ctx.catalogFile) : '?'}: nothing to pull\n`);
    return EXIT_OK;
  }
  const hub = hubOptions(values, ctx.env);
  const ctl = new AbortController();
  const onSignal = (): void => ctl.abort();
  process.once('SIGINT', onSignal);
  const printer = progressPrinter(io, ctx.isTTY);
  let staging = '';
  try {
    const source = entry ? { entry } : { repo, ...(revision !== undefined ? { revision } : {}) };
    const onPlan = (plan: DownloadPlan, dir: string, stagingDir: string): void => {
      staging = stagingDir;
      io.stdout(`Pulling ${plan.repo}@${plan.revision.slice(0, 12)} (${plan.variant ?? 'files'}) into ${dir}\n`);
    };
    const result = await pullModel(source, { hub, root: modelsRoot(values, ctx.env), signal: ctl.signal, onProgress: printer.report, onPlan, ...(values.variant !== undefined ? { variant: values.variant } : {}) });
    printer.end();
    const bytes = result.manifest.files.reduce((s, f) => s + f.size, 0);
    io.stdout(`Verified ${result.manifest.files.length} files (${mb(bytes)}, ${result.reused.length} already present): ${result.dir}\n`);
    return EXIT_OK;
  } catch (err) {
    printer.end();
    const resumable = staging !== '' && existsSync(staging) ? ` The partial download in ${staging} resumes on the next pull.` : '';
    const message = isAbortError(err) ? 'cancelled' : errorMessage(err).replace(/[.\s]+$/, '');
    io.stderr(`autoglm models pull: ${message}.${resumable}\n`);
    return EXIT_FAILURE;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

async function copiesOf(arg: string | undefined, root: string, catalog: Catalog): Promise<InstalledModel[]> {
  const { repo, revision } = target(arg, catalog);
  const all = await installedModels(root);
  return repo === null ? [] : all.filter((m) => m.manifest.repo.toLowerCase() === repo.toLowerCase() && (revision === undefined || m.manifest.revision === revision));
}

async function verify(arg: string | undefined, values: Values, ctx: ModelsCommandEnv, catalog: Catalog, io: CliIO): Promise<number> {
  const isDir = arg !== undefined && existsSync(arg) && statSync(arg).isDirectory();
  const dirs = isDir ? [path.resolve(arg)] : (await copiesOf(arg, modelsRoot(values, ctx.env), catalog)).map((m) => m.dir);
  if (dirs.length === 0) {
    io.stderr(`autoglm models verify: ${arg} is not downloaded (see \`autoglm models list\`)\n`);
    return EXIT_FAILURE;
  }
  let failed = 0;
  for (const dir of dirs) {
    const report = await verifyModelFolder(dir, values.fast ? 'fast' : 'full');
    if (report.ok) {
      io.stdout(`ok ${dir} (${report.manifest!.files.length} files, ${values.fast ? 'sizes' : 'SHA-256'} checked)\n`);
    } else {
      failed++;
      io.stdout(`${describeReport(report).map((l) => `${dir}: ${l}`).join('\n')}\n`);
    }
  }
  if (failed > 0) {
    io.stderr(`autoglm models verify: ${failed} folder(s) no longer match their download; pull again to repair\n`);
  }
  return failed === 0 ? EXIT_OK : EXIT_FAILURE;
}

async function remove(arg: string | undefined, values: Values, ctx: ModelsCommandEnv, catalog: Catalog, io: CliIO): Promise<number> {
  const root = modelsRoot(values, ctx.env);
  const copies = await copiesOf(arg, root, catalog);
  if (copies.length === 0) {
    io.stderr(`autoglm models rm: ${arg} is not downloaded in ${root}\n`);
    return EXIT_FAILURE;
  }
  for (const copy of copies) {
    await removeModel(root, copy.dir);
    io.stdout(`removed ${copy.dir}\n`);
  }
  return EXIT_OK;
}

async function where(arg: string | undefined, values: Values, ctx: ModelsCommandEnv, catalog: Catalog, io: CliIO): Promise<number> {
  const { entry, repo, revision } = target(arg, catalog);
  if (entry?.kind === 'bundled' || repo === null) {
    io.stdout(`${bundledDir(entry!, ctx.catalogFile)}\n`);
    return EXIT_OK;
  }
  const copy = await findInstalled(modelsRoot(values, ctx.env), repo, revision);
  if (!copy) {
    io.stderr(`autoglm models path: ${arg} is not downloaded (autoglm models pull ${arg})\n`);
    return EXIT_FAILURE;
  }
  io.stdout(`${copy.dir}\n`);
  return EXIT_OK;
}

function parse(args: string[]): { sub: string | undefined; arg: string | undefined; values: Values } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { variant: { type: 'string' }, endpoint: { type: 'string' }, offline: { type: 'boolean' }, dir: { type: 'string' }, fast: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  if (positionals.length > 2) {
    throw new UsageError(`unexpected argument '${positionals[2]}'`);
  }
  return { sub: positionals[0], arg: positionals[1], values };
}

async function dispatch(args: string[], ctx: ModelsCommandEnv, io: CliIO): Promise<number> {
  const { sub, arg, values } = parse(args);
  const catalog = await loadCatalog(ctx.catalogFile);
  switch (sub) {
    case 'list':
      return list(values, ctx, catalog, io);
    case 'pull':
      return pull(arg, values, ctx, catalog, io);
    case 'verify':
      return verify(arg, values, ctx, catalog, io);
    case 'rm':
      return remove(arg, values, ctx, catalog, io);
    case 'path':
      return where(arg, values, ctx, catalog, io);
    default:
      throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand '${sub}'`);
  }
}

export function createModelsCommand(ctx: () => ModelsCommandEnv): CliCommand {
  return {
    name: 'models',
    summary: 'list, pull, verify and remove models (catalog or any Hugging Face repository)',
    usage,
    run: async (args, io) => {
      try {
        return await dispatch(args, ctx(), io);
      } catch (err) {
        const bad = err instanceof UsageError || (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION';
        io.stderr(`autoglm models: ${errorMessage(err)}\n${bad ? `\n${usage}\n` : ''}`);
        return bad ? EXIT_USAGE : EXIT_FAILURE;
      }
    },
  };
}

export const modelsCommand = createModelsCommand(() => ({ env: process.env, isTTY: process.stdout.isTTY === true, catalogFile: defaultCatalogPath(), totalMemBytes: os.totalmem() }));
