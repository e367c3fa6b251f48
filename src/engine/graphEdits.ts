/**
 * The engine's load-time graph edits as one list over a model file's graph (onnxWire.ts
 * `editGraphs`), the check whether a file needs any of them from its nodes alone, and when a
 * file is small enough to edit in memory. Used by the session opener and by
 * tools/model/edit_graph.ts, which writes the same edits into a file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { hasFp32Head, quantizeHeadEdit, type ExternalReader } from './headQuantize';
import { keepLastLogits, keepLastLogitsEdit } from './lastLogits';
import { INT8_ACCURACY_LEVEL, countBelowLevel, raiseLevelEdit } from './nbitsAccuracy';
import { editGraphs, type GraphEdit } from './onnxWire';

/** Largest model file read into memory to edit its graph (protobuf's own limit for one file); larger ones load as they are. */
export const REWRITE_MAX_BYTES = 2 ** 31 - 1;
/**
 * Memory an in-memory edit needs, as a multiple of the file: the file, its edited copy and
 * onnxruntime's own copy are resident at once until the garbage collector frees the first two
 * (measured 3.5x at load on a 1.05 GB file).
 */
export const REWRITE_MEMORY_FACTOR = 4;

/** Why a file of `size` bytes is not edited in memory with `available` bytes free, or undefined when it can be. */
export function rewriteRefusal(size: number, available: number): string | undefined {
  if (size > REWRITE_MAX_BYTES) return 'model file too large to edit in memory';
  if (size * REWRITE_MEMORY_FACTOR > available) return 'not enough free memory to edit the model file in memory';
  return undefined;
}

/** Which load-time edits apply: the projection quantized, 4-bit accuracy level raised, last logits only. */
export interface Edits {
  raise: boolean;
  trim: boolean;
  head: boolean;
}

/** Whether the nodes alone (a graph skeleton) show that one of the edits would change something. */
export function neededOn(skeleton: Uint8Array, edits: Edits): boolean {
  return (edits.raise && countBelowLevel(skeleton, INT8_ACCURACY_LEVEL) > 0) || (edits.trim && keepLastLogits(skeleton).added) || (edits.head && hasFp32Head(skeleton));
}

/** Reads external weight data from inside the model's folder only (checkModelFile vetted the references already). */
function externalReader(dir: string): ExternalReader {
  return ({ location, offset }, start, length) => {
    const file = path.resolve(dir, location);
    if (path.relative(dir, file).startsWith('..') || path.isAbsolute(location)) throw new Error(`external data ${location} is outside the model folder`);
    const fd = fs.openSync(file, 'r');
    try {
      const bytes = Buffer.alloc(length);
      if (fs.readSync(fd, bytes, 0, length, offset + start) !== length) throw new Error(`external data ${location} ends before ${offset + start + length} bytes`);
      return bytes;
    } finally {
      fs.closeSync(fd);
    }
  };
}

/** What the edits did to a model. */
export interface EditedModel {
  /** The edited model, or the same bytes when nothing changed. */
  model: Uint8Array;
  headQuantized: boolean;
  int8Rewritten: number;
  logitsInputAdded: boolean;
}

/**
 * The edits applied in one pass, so that the bytes none of them touches are copied once: the
 * projection quantized, the accuracy level raised, last logits only. `dir` is the model file's
 * folder, where its external data lives.
 */
export function applyGraphEdits(model: Uint8Array, edits: Edits, dir: string): EditedModel {
  const none: GraphEdit<unknown> = () => undefined;
  const list = [edits.head ? quantizeHeadEdit(externalReader(dir)) : none, edits.raise ? raiseLevelEdit(INT8_ACCURACY_LEVEL) : none, edits.trim ? keepLastLogitsEdit : none];
  const { model: edited, reports } = editGraphs(model, list);
  return { model: edited, headQuantized: reports[0] === true, int8Rewritten: typeof reports[1] === 'number' ? reports[1] : 0, logitsInputAdded: reports[2] === true };
}
