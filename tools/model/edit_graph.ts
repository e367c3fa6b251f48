/**
 * Writes the engine's load-time graph edits into ONNX files, so that the engine opens them as
 * they are (without reading a large file into memory to edit it): 4-bit MatMulNBits nodes at
 * accuracy level 4 (src/engine/nbitsAccuracy.ts) and a `num_logits_to_keep` input
 * (src/engine/lastLogits.ts). External weight data beside a file is left untouched.
 * Usage: npx tsx tools/model/edit_graph.ts FILE.onnx...
 */
import { promises as fs } from 'node:fs';
import { keepLastLogits } from '../../src/engine/lastLogits';
import { INT8_ACCURACY_LEVEL, raiseNBitsAccuracy } from '../../src/engine/nbitsAccuracy';

async function editFile(file: string): Promise<string> {
  const levels = raiseNBitsAccuracy(await fs.readFile(file), INT8_ACCURACY_LEVEL);
  const logits = keepLastLogits(levels.model);
  if (levels.changed === 0 && !logits.added) return `${file}: nothing to change`;
  const tmp = `${file}.edit-${process.pid}`;
  await fs.writeFile(tmp, logits.model);
  await fs.rename(tmp, file);
  return `${file}: ${levels.changed} MatMulNBits nodes at accuracy level ${INT8_ACCURACY_LEVEL}; num_logits_to_keep ${logits.added ? 'added' : 'already there'}`;
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
