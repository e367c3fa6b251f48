/**
 * Refreshes models/catalog.json from the Hub: pins each hub entry to the commit `main` points
 * at now, and records the real file names, byte sizes and SHA-256 of its config, tokenizer and
 * variant files with `"source": "hub-metadata"`. Run by a maintainer with network access:
 *
 *   npx tsx tools/refreshCatalog.ts [--endpoint URL] [--catalog FILE] [--only ID,ID] [--dry-run]
 *
 * Sizes and LFS hashes come from the tree listing; files kept in git (config, tokenizer) carry no
 * sha256 there, so they are fetched and hashed. Variants the repository does not have are
 * dropped and reported. Uses the same Hub client as the downloader ($HF_TOKEN, $HTTPS_PROXY).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultCatalogPath, loadCatalog, parseCatalog, type Catalog, type CatalogEntry, type CatalogFile, type CatalogVariant } from '../src/models/catalog';
import { listRepo, openFile, resolveUrl, type HubFile, type HubOptions, type RepoListing } from '../src/models/hubApi';
import { pickModelFiles, VARIANT_PREFERENCE } from '../src/models/plan';
import { proxyFromEnv } from '../src/models/proxy';

export interface RefreshReport {
  readonly refreshed: string[];
  readonly failed: { id: string; problem: string }[];
  readonly droppedVariants: { id: string; variant: string }[];
}

/** Git files are small (config, tokenizer); a larger one is not what the catalog means. */
const GIT_FILE_LIMIT = 64 * 1024 * 1024;

async function hashOfGitFile(hub: HubOptions, listing: RepoListing, file: HubFile): Promise<string> {
  const res = await openFile(hub, resolveUrl(hub, listing.repo, listing.commit, file.path), 0, file.path);
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > GIT_FILE_LIMIT) {
      res.destroy();
      throw new Error(`${listing.repo}: ${file.path} is larger than ${GIT_FILE_LIMIT} bytes`);
    }
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

async function catalogFile(hub: HubOptions, listing: RepoListing, file: HubFile): Promise<CatalogFile> {
  const sha256 = file.sha256 ?? (await hashOfGitFile(hub, listing, file));
  return { path: file.path, size: file.size, sha256, source: 'hub-metadata' };
}

function listed(listing: RepoListing, path: string): HubFile {
  const file = listing.files.find((f) => f.path === path);
  if (!file) {
    throw new Error(`${listing.repo}: the listing has no ${path}`);
  }
  return file;
}

async function refreshVariant(hub: HubOptions, listing: RepoListing, variant: CatalogVariant, commonBytes: number, common: ReadonlySet<string>): Promise<CatalogVariant> {
  const plan = pickModelFiles(listing, variant.name);
  const files = await Promise.all(plan.files.filter((f) => !common.has(f.path)).map((f) => catalogFile(hub, listing, listed(listing, f.path))));
  const diskBytes = commonBytes + files.reduce((sum, f) => sum + (f.size ?? 0), 0);
  // The memory estimate keeps its KV-cache and runtime terms; only the weights' share follows the real size.
  const memoryBytes = Math.max(1, variant.memoryBytes - variant.diskBytes + diskBytes);
  return { name: variant.name, files, diskBytes, memoryBytes, source: `diskBytes: hub-metadata (sum of the file sizes); memoryBytes: estimate adjusted to them (was: ${variant.source})` };
}

async function refreshEntry(hub: HubOptions, entry: CatalogEntry, report: RefreshReport): Promise<CatalogEntry> {
  const listing = await listRepo(hub, entry.repo!, 'main');
  const commonPaths = entry.files.map((f) => f.path).filter((p) => listing.files.some((f) => f.path === p));
  const files = await Promise.all(commonPaths.map((p) => catalogFile(hub, listing, listed(listing, p))));
  const commonBytes = files.reduce((sum, f) => sum + (f.size ?? 0), 0);
  const variants: CatalogVariant[] = [];
  for (const variant of entry.variants) {
    try {
      variants.push(await refreshVariant(hub, listing, variant, commonBytes, new Set(commonPaths)));
    } catch {
      report.droppedVariants.push({ id: entry.id, variant: variant.name });
    }
  }
  if (variants.length === 0) {
    throw new Error(`${entry.repo}: none of the catalog's variants (${entry.variants.map((v) => v.name).join(', ')}) is in the repository`);
  }
  const names = variants.map((v) => v.name);
  const defaultVariant = names.includes(entry.defaultVariant) ? entry.defaultVariant : (VARIANT_PREFERENCE.find((v) => names.includes(v)) ?? names[0]!);
  return { ...entry, revision: listing.commit, revisionSource: `hub-metadata: main on ${new Date().toISOString().slice(0, 10)}`, files, variants, defaultVariant };
}

/** The catalog with its hub entries (or those in `only`) refreshed; entries that fail keep their values and are reported. */
export async function refreshCatalog(catalog: Catalog, hub: HubOptions, only?: readonly string[]): Promise<{ catalog: Catalog; report: RefreshReport }> {
  const report: RefreshReport = { refreshed: [], failed: [], droppedVariants: [] };
  const entries: CatalogEntry[] = [];
  for (const entry of catalog.entries) {
    if (entry.kind !== 'hub' || entry.repo === null || (only && !only.includes(entry.id))) {
      entries.push(entry);
      continue;
    }
    try {
      entries.push(await refreshEntry(hub, entry, report));
      report.refreshed.push(entry.id);
    } catch (err) {
      report.failed.push({ id: entry.id, problem: err instanceof Error ? err.message : String(err) });
      entries.push(entry);
    }
  }
  const refreshed = parseCatalog({ ...catalog, entries }, 'refreshed catalog');
  return { catalog: refreshed, report };
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { endpoint: { type: 'string' }, catalog: { type: 'string' }, only: { type: 'string' }, 'dry-run': { type: 'boolean' } } });
  const file = values.catalog ?? defaultCatalogPath(__dirname);
  const endpoint = values.endpoint ?? process.env.HF_ENDPOINT;
  const token = process.env.HF_TOKEN;
  const hub: HubOptions = { ...(endpoint ? { endpoint } : {}), ...(token ? { token } : {}), proxy: proxyFromEnv() };
  const { catalog, report } = await refreshCatalog(await loadCatalog(file), hub, values.only?.split(','));
  for (const id of report.refreshed) {
    console.log(`refreshed ${id}`);
  }
  for (const d of report.droppedVariants) {
    console.log(`${d.id}: the repository has no variant ${d.variant}; dropped`);
  }
  for (const f of report.failed) {
    console.error(`${f.id}: not refreshed: ${f.problem}`);
  }
  if (!values['dry-run']) {
    await fs.writeFile(file, `${JSON.stringify(catalog, null, 2)}\n`);
  }
  return report.failed.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
