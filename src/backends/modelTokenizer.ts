/**
 * The model's own tokenizer in this process, for exact synchronous token counts while the model
 * itself runs elsewhere (the shared service). Loaded in the background from the model folder
 * with the engine's loaders; until it is there (or if it cannot be loaded) there is no count.
 * Imports the engine's folder reader and tokenizer modules only, never its index, which would
 * load onnxruntime.
 */
import * as path from 'node:path';
import type { Logger } from '../common/logger';
import { readModelFolder } from '../engine/modelFolder';
import { TextTokenizer } from '../engine/tokenizer';

export class ModelTokenizer {
  /** The folder whose tokenizer is wanted (loaded or loading). */
  private modelDir: string | undefined;
  private tokenizer: TextTokenizer | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly logger: Logger) {}

  /** Starts loading the tokenizer of `modelDir`, unless it is the one already loaded or loading. */
  use(modelDir: string): void {
    if (modelDir === this.modelDir) return;
    this.modelDir = modelDir;
    this.tokenizer = undefined;
    this.pending = this.load(modelDir);
  }

  /** Resolves once the tokenizer last asked for is loaded or has failed to load. */
  whenSettled(): Promise<void> {
    return this.pending;
  }

  /** Tokens of `text` with the model's tokenizer, or undefined while it is not loaded. */
  count(text: string): number | undefined {
    return this.tokenizer?.encode(text).length;
  }

  private async load(modelDir: string): Promise<void> {
    try {
      const folder = await readModelFolder(modelDir);
      const tokenizer = TextTokenizer.create(path.join(folder.dir, 'tokenizer.json'), folder.tokenizerJson, folder.tokenizerConfig);
      if (this.modelDir === modelDir) this.tokenizer = tokenizer;
    } catch (err) {
      this.logger.debug('no tokenizer in this window; token counts are estimated', { modelDir, error: err });
    }
  }
}
