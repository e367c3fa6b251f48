/**
 * Checks the external weight files of an ONNX model (`model.onnx_data`, numbered parts) before
 * onnxruntime opens it, so that a missing, truncated or misplaced file is a ModelLoadError naming
 * that file rather than a native error. onnxruntime reads them relative to the model file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ModelLoadError } from '../common/errors';
import { externalRefs, type ExternalRef } from './onnxExternalRefs';
import { MalformedOnnxError } from './onnxWire';

export interface ModelFileCheck {
  /** Bytes of the ONNX file and of every external data file it uses. */
  weightBytes: number;
  /** Absolute paths of the external data files, in order of first use. */
  dataFiles: string[];
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Bytes each data file must hold: the end of its last tensor. */
function neededBytes(refs: readonly ExternalRef[]): Map<string, { needed: number; tensor: string }> {
  const need = new Map<string, { needed: number; tensor: string }>();
  for (const ref of refs) {
    const end = ref.offset + (ref.length ?? 0);
    const known = need.get(ref.location);
    if (!known || end > known.needed) need.set(ref.location, { needed: end, tensor: ref.tensor });
  }
  return need;
}

async function checkDataFile(modelFile: string, location: string, needed: number, rootReal: string): Promise<number> {
  const file = path.resolve(path.dirname(modelFile), location);
  const name = path.basename(modelFile);
  if (path.isAbsolute(location) || location.split(/[\\/]/).includes('..')) {
    throw new ModelLoadError(file, `${name} names external data at ${JSON.stringify(location)}, outside its folder; refused`, 'external-data-outside');
  }
  const real = await fs.realpath(file).catch(() => undefined);
  if (real === undefined) {
    throw new ModelLoadError(file, `external weight data of ${name} is missing (download incomplete?)`, 'missing-file');
  }
  if (!isInside(rootReal, real)) {
    throw new ModelLoadError(file, `is a link to ${real}, outside the model folder; refused`, 'external-data-outside');
  }
  const stat = await fs.stat(real);
  if (!stat.isFile()) {
    throw new ModelLoadError(file, 'is not a regular file (a FIFO, device, socket or folder is refused)', 'not-a-file');
  }
  if (stat.size < needed) {
    throw new ModelLoadError(file, `is ${stat.size} bytes but ${name} needs ${needed} (truncated download?)`, 'truncated-file');
  }
  return stat.size;
}

/**
 * Checks `modelFile` and the external data it names: each must lie in `modelDir` (links
 * included), exist, be a regular file and be long enough for every tensor stored in it.
 */
export async function checkModelFile(modelFile: string, modelDir: string): Promise<ModelFileCheck> {
  const stat = await fs.stat(modelFile).catch(() => undefined);
  if (!stat) {
    throw new ModelLoadError(modelFile, 'file is missing', 'missing-file');
  }
  if (stat.size === 0) {
    throw new ModelLoadError(modelFile, 'file is empty (truncated download?)', 'invalid-onnx');
  }
  let refs: ExternalRef[];
  try {
    refs = await externalRefs(modelFile);
  } catch (err) {
    if (err instanceof MalformedOnnxError) {
      throw new ModelLoadError(modelFile, `is not a loadable ONNX model (corrupt or truncated?): it ${err.message}`, 'invalid-onnx', { cause: err });
    }
    throw new ModelLoadError(modelFile, `cannot be read: ${(err as Error).message}`, 'unreadable-file', { cause: err });
  }
  const rootReal = await fs.realpath(modelDir);
  let weightBytes = stat.size;
  const dataFiles: string[] = [];
  for (const [location, { needed }] of neededBytes(refs)) {
    weightBytes += await checkDataFile(modelFile, location, needed, rootReal);
    dataFiles.push(path.resolve(path.dirname(modelFile), location));
  }
  return { weightBytes, dataFiles };
}
