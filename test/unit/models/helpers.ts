import { mkdtempSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** A fresh temporary models folder, removed by `cleanup`. */
export function tempRoot(): { root: string; cleanup: () => Promise<void> } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'autoglm-models-'));
  return { root, cleanup: () => fs.rm(root, { recursive: true, force: true }) };
}

export async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}

/** Files (recursive, relative, '/'-separated) below `dir`. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, prefix), { withFileTypes: true }).catch(() => [])) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    out.push(...(e.isDirectory() ? await listFiles(dir, rel) : [rel]));
  }
  return out.sort();
}
