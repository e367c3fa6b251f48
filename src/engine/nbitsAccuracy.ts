/**
 * Sets `accuracy_level` 4 on the 4-bit MatMulNBits nodes of a model file, in memory, before
 * onnxruntime opens it. At the default level (0, what most published q4 exports carry) the CPU
 * kernel dequantizes the weights to fp32 and multiplies in fp32; at level 4 it quantizes each
 * row of activations to int8 per block and uses integer dot products, the kind of kernel
 * llama.cpp runs for Q4_0. onnxruntime has no session option that overrides the attribute of
 * nodes already in a file, hence this rewrite.
 *
 * Only the top-level graph's NodeProtos that need the change are re-encoded (onnxWire.ts); every
 * other byte of the file is copied as it is.
 */
import { GRAPH_NODE, MODEL_GRAPH, MS_DOMAIN, NODE_ATTRIBUTE, NODE_DOMAIN, NODE_OP_TYPE, WIRE_BYTES, editGraph, fields, intAttribute, lengthDelimited, readAttribute, text, written, type Field, type GraphEdit } from './onnxWire';

export const INT8_ACCURACY_LEVEL = 4;

/** Whether a NodeProto is a 4-bit MatMulNBits below `level`. */
function needsLevel(buf: Uint8Array, node: Field, level: number): boolean {
  let opType = '';
  let domain = '';
  let bits = 4;
  let accuracy = 0;
  for (const f of fields(buf, node.valueStart, node.end)) {
    if (f.field === NODE_OP_TYPE && f.wire === WIRE_BYTES) opType = text(buf, f);
    else if (f.field === NODE_DOMAIN && f.wire === WIRE_BYTES) domain = text(buf, f);
    else if (f.field === NODE_ATTRIBUTE && f.wire === WIRE_BYTES) {
      const a = readAttribute(buf, f);
      if (a.name === 'bits' && a.i !== undefined) bits = a.i;
      if (a.name === 'accuracy_level' && a.i !== undefined) accuracy = a.i;
    }
  }
  return opType === 'MatMulNBits' && domain === MS_DOMAIN && bits === 4 && accuracy < level;
}

/** The NodeProto without its accuracy_level attribute, with one of `level` appended. */
function rewriteNode(buf: Uint8Array, node: Field, level: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields(buf, node.valueStart, node.end)) {
    const isLevel = f.field === NODE_ATTRIBUTE && f.wire === WIRE_BYTES && readAttribute(buf, f).name === 'accuracy_level';
    if (!isLevel) parts.push(buf.subarray(f.start, f.end));
  }
  parts.push(intAttribute('accuracy_level', level));
  return Buffer.concat(parts);
}

/** The graph edit for `level`: each 4-bit MatMulNBits node below it re-encoded; reports how many. */
export function raiseLevelEdit(level = INT8_ACCURACY_LEVEL): GraphEdit<number> {
  return (graph) => {
    let changed = 0;
    const out = graph.map((g) => {
      if (g.f.field !== GRAPH_NODE || g.f.wire !== WIRE_BYTES || !needsLevel(g.buf, g.f, level)) return g;
      changed++;
      return written(Buffer.concat(lengthDelimited(GRAPH_NODE, rewriteNode(g.buf, g.f, level))));
    });
    return changed > 0 ? { graph: out, report: changed } : undefined;
  };
}

/** How many top-level 4-bit MatMulNBits nodes of a model file run below `level`. */
export function countBelowLevel(model: Uint8Array, level = INT8_ACCURACY_LEVEL): number {
  let count = 0;
  for (const f of fields(model, 0, model.length)) {
    if (f.field !== MODEL_GRAPH || f.wire !== WIRE_BYTES) continue;
    for (const n of fields(model, f.valueStart, f.end)) {
      if (n.field === GRAPH_NODE && n.wire === WIRE_BYTES && needsLevel(model, n, level)) count++;
    }
  }
  return count;
}

/**
 * The model with every top-level 4-bit MatMulNBits node at `level` at least, and how many nodes
 * changed; the same buffer when none needed it.
 */
export function raiseNBitsAccuracy(model: Uint8Array, level = INT8_ACCURACY_LEVEL): { model: Uint8Array; changed: number } {
  const edited = editGraph(model, raiseLevelEdit(level));
  return { model: edited.model, changed: edited.report ?? 0 };
}
