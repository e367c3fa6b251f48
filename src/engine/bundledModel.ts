import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const BUNDLED_MODEL_NAME = 'autoglm-coder';

/**
 * Folder of the model shipped with the extension: `<extension root>/models/autoglm-coder`. Bundles
 * live in `<root>/dist`, sources in `<root>/src/<folder>`, so both parents are looked at.
 */
export function bundledModelDir(from: string = __dirname): string {
  const candidates = [path.resolve(from, '..', 'models', BUNDLED_MODEL_NAME), path.resolve(from, '..', '..', 'models', BUNDLED_MODEL_NAME)];
  return candidates.find((dir) => existsSync(path.join(dir, 'config.json'))) ?? candidates[0]!;
}
