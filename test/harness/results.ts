import * as fs from 'node:fs';
import * as path from 'node:path';

export interface LayerResult {
  passed: number;
  failed: number;
  skipped: number;
  failures?: { title: string; message: string }[];
}

/** A layer that could not run at all counts as one failure, never as zero tests. */
export function writeCrashResult(file: string, layer: string, message: string): void {
  const result: LayerResult = { passed: 0, failed: 1, skipped: 0, failures: [{ title: `${layer} could not run`, message }] };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 2));
}
