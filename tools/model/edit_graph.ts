/**
 * Writes the engine's load-time graph edits into ONNX files, so that the engine opens them as
 * they are (without reading a large file into memory to edit it): an fp32 output projection of
 * a q4 file quantized to 8 bits (src/engine/headQuantize.ts), 4-bit MatMulNBits nodes at
 * accuracy level 4 (src/engine/nbitsAccuracy.ts) and a `num_logits_to_keep` input
 * (src/engine/lastLogits.ts). External weight data beside a file is read, never changed.
 * Usage: npx tsx tools/model/edit_graph.ts FILE.onnx...
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { applyGraphEdits } from '../../src/engine/graphEdits';
import { INT8_ACCURACY_LEVEL } from '../../src/engine/nbitsAccuracy';

async function editFile(file: string): Promise<string> {
  const edited = applyGraphEdits(await fs.readFile(file), { head: true, raise: true, trim: true }, path.dirname(file));
  const { model, headQuantized: head, int8Rewritten: levels, logitsInputAdded: logits } = edited;
  if (!head && levels === 0 && !logits) return `${file}: nothing to change`;
  const tmp = `${file}.edit-${process.pid}`;
  await fs.writeFile(tmp, model);
  await fs.rename(tmp, file);
  return `${file}: output projection ${head ? 'quantized to 8 bits' : 'left as it is'}; ${levels} MatMulNBits nodes at accuracy level ${INT8_ACCURACY_LEVEL}; num_logits_to_keep ${logits ? 'added' : 'already there'}`;
}

async function main(): Promise<void> {
  const files = process.argv.slice(2);
  if (files.length === 0) throw new Error('usage: edit_graph.ts FILE.onnx...');
  for (const file of files) console.log(await editFile(file));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
