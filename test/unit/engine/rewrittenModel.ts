import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rewriteOnnx, type RewriteOptions } from '../../../tools/model/onnxRewrite';
import { MODEL_DIR } from './modelFixture';

/** One ONNX file of a rewritten folder: made from `from` (a file of the bundled model's onnx/) into `onnx/<name>`. */
export interface OnnxWrite {
  from: string;
  name: string;
  options?: RewriteOptions;
}

/**
 * A temporary model folder with the bundled model's metadata files and ONNX files rewritten by
 * the project's own tool (tools/model/onnxRewrite.ts) from the bundled weights.
 */
export async function rewrittenModel(prefix: string, writes: readonly OnnxWrite[]): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.mkdir(path.join(dir, 'onnx'));
  for (const entry of await fs.readdir(MODEL_DIR, { withFileTypes: true })) {
    if (entry.isFile()) await fs.copyFile(path.join(MODEL_DIR, entry.name), path.join(dir, entry.name));
  }
  for (const write of writes) {
    await rewriteOnnx(path.join(MODEL_DIR, 'onnx', write.from), path.join(dir, 'onnx', write.name), write.options);
  }
  return dir;
}

/** Mocha hooks that make the folder before the suite and remove it after; returns a getter for it. */
export function useRewrittenModel(prefix: string, writes: readonly OnnxWrite[]): () => string {
  let dir: string | undefined;
  before(async function () {
    this.timeout(120_000);
    dir = await rewrittenModel(prefix, writes);
  });
  after(async () => {
    if (dir !== undefined) await fs.rm(dir, { recursive: true, force: true });
  });
  return () => dir!;
}
