import * as os from 'node:os';
import * as path from 'node:path';

/**
 * The default folder for downloaded models: `$XDG_CACHE_HOME/open-autoglm/models` where that is
 * set, else `~/.cache/open-autoglm/models` (also on macOS and Windows, so the CLI and the editor
 * agree without a setting). `AUTOGLM_MODELS_DIR` overrides it.
 */
export function defaultModelsRoot(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const explicit = env.AUTOGLM_MODELS_DIR;
  if (explicit !== undefined && explicit !== '') {
    return path.resolve(explicit);
  }
  const xdg = env.XDG_CACHE_HOME;
  const cache = xdg !== undefined && xdg !== '' && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache');
  return path.join(cache, 'open-autoglm', 'models');
}

/** `<root>/<owner>/<name>/<revision>`; the repository id and revision must already be validated. */
export function modelFolder(root: string, repo: string, revision: string): string {
  return path.join(root, ...repo.split('/'), revision);
}

/** True when `child` is `parent` itself or lies below it (both resolved, no `..` escape). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
