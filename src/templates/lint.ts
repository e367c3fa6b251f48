import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkLock, defaultLockPath, readLock } from './lock';
import { loadPack, type LoadedPack, type LoadPackOptions } from './pack';
import type { PackSource, TemplateDiagnostic } from './types';

export interface LintOptions extends LoadPackOptions {
  /** Lock file to compare with; default `defaultLockPath(packDir)`. */
  readonly lockFile?: string;
  readonly source?: PackSource;
}

export interface LintReport {
  readonly pack: LoadedPack;
  readonly diagnostics: readonly TemplateDiagnostic[];
  readonly lockFile: string;
  /** False when there is no lock file to compare with. */
  readonly lockChecked: boolean;
  readonly errors: number;
  readonly warnings: number;
}

/**
 * A folder given on the command line: the pack itself, or a workspace whose `.autoglm/prompts`
 * holds it.
 */
export async function resolvePackDir(dir: string): Promise<string> {
  const resolved = path.resolve(dir);
  const nested = path.join(resolved, '.autoglm', 'prompts');
  try {
    await fs.access(path.join(resolved, 'pack.json'));
    return resolved;
  } catch {
    try {
      await fs.access(path.join(nested, 'pack.json'));
      return nested;
    } catch {
      return resolved;
    }
  }
}

export function compareDiagnostics(a: TemplateDiagnostic, b: TemplateDiagnostic): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line;
}

/** Everything `autoglm templates lint` checks: schema, syntax, helpers, variables, partials, duplicates, lock. */
export async function lintPack(dir: string, options: LintOptions = {}): Promise<LintReport> {
  const packDir = await resolvePackDir(dir);
  const pack = await loadPack(packDir, options.source ?? 'workspace', options);
  const lockFile = path.resolve(options.lockFile ?? defaultLockPath(packDir));
  const diagnostics: TemplateDiagnostic[] = [...pack.diagnostics];
  const { lock, diagnostics: lockDiagnostics } = await readLock(lockFile);
  diagnostics.push(...lockDiagnostics);
  if (lock) {
    diagnostics.push(...checkLock(pack, lock, lockFile));
  }
  diagnostics.sort(compareDiagnostics);
  return {
    pack,
    diagnostics,
    lockFile,
    lockChecked: lock !== undefined,
    errors: diagnostics.filter((d) => d.severity === 'error').length,
    warnings: diagnostics.filter((d) => d.severity === 'warning').length,
  };
}
