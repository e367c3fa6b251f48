import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { bundledModelDir } from '../../../src/engine/bundledModel';
import { argmax } from '../../../src/engine/sampling';

/** The bundled model (or AUTOGLM_TEST_MODEL); tests on it are skipped, saying so, when it is absent. */
export const MODEL_DIR = process.env['AUTOGLM_TEST_MODEL'] ?? bundledModelDir(path.resolve(__dirname, '../../../src/engine'));

export const modelPresent = existsSync(path.join(MODEL_DIR, 'config.json')) && existsSync(path.join(MODEL_DIR, 'onnx', 'model.onnx'));

export interface GoldenPrompt {
  kind: 'plain' | 'fim' | 'chat';
  text: string;
  ids: number[];
  greedy: number[];
  margins: number[];
  prefix?: string;
  suffix?: string;
  messages?: Array<{ role: string; content: string }>;
}

export interface GreedyGolden {
  model_onnx_sha256: string;
  tokens: number;
  prompts: GoldenPrompt[];
}

export function readGolden(): GreedyGolden | undefined {
  const file = path.join(MODEL_DIR, 'verify', 'greedy.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as GreedyGolden) : undefined;
}

/**
 * An independent greedy reference: recomputes the whole sequence at every step, batch of one,
 * no KV cache reuse and no padding, with onnxruntime directly. The engine's cached, batched
 * output must equal it.
 */
export async function referenceGreedy(session: ort.InferenceSession, prompt: readonly number[], steps: number): Promise<number[]> {
  const config = JSON.parse(readFileSync(path.join(MODEL_DIR, 'config.json'), 'utf8')) as Record<string, number>;
  const layers = config['num_hidden_layers']!;
  const kvHeads = config['num_key_value_heads'] ?? config['num_attention_heads']!;
  const headDim = config['head_dim'] ?? config['hidden_size']! / config['num_attention_heads']!;
  const tokens = [...prompt];
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    const n = tokens.length;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(tokens.map(BigInt)), [1, n]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
    };
    if (session.inputNames.includes('position_ids')) {
      feeds['position_ids'] = new ort.Tensor('int64', BigInt64Array.from(tokens.map((_, i) => BigInt(i))), [1, n]);
    }
    for (let l = 0; l < layers; l++) {
      feeds[`past_key_values.${l}.key`] = new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
      feeds[`past_key_values.${l}.value`] = new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim]);
    }
    const result = await session.run(feeds);
    const logits = result['logits'] as ort.Tensor;
    const vocab = logits.dims[2]!;
    const data = logits.data as Float32Array;
    const next = argmax(data.subarray((n - 1) * vocab, n * vocab));
    out.push(next);
    tokens.push(next);
  }
  return out;
}

/** Number of leading golden tokens that must match: up to the first near-tie (a flip there is legitimate). */
export function decisiveLength(margins: readonly number[], minMargin = 1e-3): number {
  const at = margins.findIndex((m) => m < minMargin);
  return at < 0 ? margins.length : at;
}
