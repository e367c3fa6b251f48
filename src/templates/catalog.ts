import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadPack, type LoadedPack, type LoadedTemplate, type LoadPackOptions } from './pack';
import type { PackSource, TemplateDiagnostic } from './types';

export interface CatalogRequest extends LoadPackOptions {
  /** The pack shipped with the extension. */
  readonly builtinDir?: string;
  /** User packs from settings, lowest precedence first. */
  readonly userDirs?: readonly string[];
  /** Workspace packs (`.autoglm/prompts/` of each folder), lowest precedence first. */
  readonly workspaceDirs?: readonly string[];
  /** Whether the workspace is trusted. Workspace packs are loaded only when it is. */
  readonly trusted: boolean;
}

export interface CatalogEntry {
  readonly template: LoadedTemplate;
  /** Templates with the same id from packs of lower precedence, hidden by this one. */
  readonly overrides: readonly LoadedTemplate[];
}

export interface TemplateCatalog {
  /** The effective templates, one per id, sorted by id. */
  readonly entries: readonly CatalogEntry[];
  readonly packs: readonly LoadedPack[];
  readonly diagnostics: readonly TemplateDiagnostic[];
  /** Set when workspace packs exist but were not loaded; says why. */
  readonly workspaceSkipped?: { readonly reason: string; readonly dirs: readonly string[] };
  get(id: string): LoadedTemplate | undefined;
  /** The fill-in-the-middle template for a model family, repository-level or plain. */
  fim(family: string, repoLevel?: boolean): LoadedTemplate | undefined;
  bySlash(name: string): LoadedTemplate | undefined;
}

async function exists(dir: string): Promise<boolean> {
  try {
    return (await fs.stat(dir)).isDirectory();
  } catch {
    return false;
  }
}

export const UNTRUSTED_REASON =
  'Workspace prompt packs (.autoglm/prompts) were not loaded because this workspace is not trusted. Trust the workspace to use them; built-in and user packs are available.';

/**
 * Loads every pack in precedence order, built-in < user < workspace: a later pack's template
 * replaces an earlier one with the same id, and each entry keeps the pack and file it came from.
 */
export async function loadCatalog(request: CatalogRequest): Promise<TemplateCatalog> {
  const diagnostics: TemplateDiagnostic[] = [];
  const locations: { dir: string; source: PackSource }[] = [];
  if (request.builtinDir) {
    locations.push({ dir: request.builtinDir, source: 'builtin' });
  }
  for (const dir of request.userDirs ?? []) {
    if (await exists(dir)) {
      locations.push({ dir, source: 'user' });
    } else {
      diagnostics.push({ file: path.resolve(dir), line: 1, severity: 'warning', code: 'missing-pack', message: `user prompt pack folder ${dir} does not exist` });
    }
  }
  const workspaceDirs: string[] = [];
  for (const dir of request.workspaceDirs ?? []) {
    if (await exists(dir)) {
      workspaceDirs.push(dir);
    }
  }
  let workspaceSkipped: TemplateCatalog['workspaceSkipped'];
  if (request.trusted) {
    locations.push(...workspaceDirs.map((dir) => ({ dir, source: 'workspace' as const })));
  } else if (workspaceDirs.length > 0) {
    workspaceSkipped = { reason: UNTRUSTED_REASON, dirs: workspaceDirs };
  }

  const packs = await Promise.all(
    locations.map(async (l): Promise<LoadedPack> => {
      try {
        return await loadPack(l.dir, l.source, request);
      } catch (err) {
        // A folder that vanishes or turns unreadable while loading; the other packs still load.
        const message = `cannot read prompt pack folder: ${err instanceof Error ? err.message : String(err)}`;
        return { dir: path.resolve(l.dir), source: l.source, info: undefined, templates: [], partials: [], failed: [], diagnostics: [{ file: path.resolve(l.dir), line: 1, severity: 'error', code: 'unreadable', message }] };
      }
    }),
  );
  const byId = new Map<string, { template: LoadedTemplate; overrides: LoadedTemplate[] }>();
  for (const pack of packs) {
    diagnostics.push(...pack.diagnostics);
    for (const template of pack.templates) {
      const previous = byId.get(template.meta.id);
      byId.set(template.meta.id, { template, overrides: previous ? [...previous.overrides, previous.template] : [] });
    }
  }
  const entries = [...byId.values()].sort((a, b) => (a.template.meta.id < b.template.meta.id ? -1 : 1));
  // Slash commands: the template of the later pack wins, as for ids; the hidden one is reported.
  const bySlash = new Map<string, LoadedTemplate>();
  const effective = entries.map((e) => e.template);
  const rank = (t: LoadedTemplate): number => packs.findIndex((p) => p.dir === t.pack.dir);
  for (const template of [...effective].sort((a, b) => rank(a) - rank(b))) {
    const slash = template.meta.slash;
    if (slash === undefined) {
      continue;
    }
    const hidden = bySlash.get(slash);
    if (hidden) {
      diagnostics.push({
        file: template.file,
        line: template.meta.keyLines['slash'] ?? 1,
        severity: 'warning',
        code: 'slash-override',
        message: `slash command '/${slash}' of '${template.meta.id}' hides '${hidden.meta.id}' of the ${hidden.pack.source} pack ${hidden.pack.name}`,
      });
    }
    bySlash.set(slash, template);
  }
  return {
    entries,
    packs,
    diagnostics,
    ...(workspaceSkipped ? { workspaceSkipped } : {}),
    get: (id) => byId.get(id)?.template,
    fim: (family, repoLevel = false) =>
      entries.map((e) => e.template).find((t) => t.meta.kind === 'fim' && t.meta.family === family && t.meta.repoLevel === repoLevel),
    bySlash: (name) => bySlash.get(name),
  };
}

/** `.autoglm/prompts` of a workspace folder. */
export function workspacePackDir(folder: string): string {
  return path.join(folder, '.autoglm', 'prompts');
}

/** Where a template comes from, for lists: `explain · workspace pack team-prompts (explain.hbs)`. */
export function describeSource(template: LoadedTemplate): string {
  return `${template.pack.source} pack ${template.pack.name} (${path.relative(template.pack.dir, template.file)})`;
}
