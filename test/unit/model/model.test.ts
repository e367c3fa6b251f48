import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';

const modelDir = path.resolve(__dirname, '..', '..', '..', 'models', 'autoglm-coder');

interface GoldenPrompt {
  kind: 'plain' | 'fim' | 'chat';
  text: string;
  ids: number[];
  greedy: number[];
  margins: number[];
  messages?: { role: string; content: string }[];
}
interface Golden {
  tokens: number;
  prompts: GoldenPrompt[];
}
interface ModelConfig {
  num_hidden_layers: number;
  num_key_value_heads: number;
  hidden_size: number;
  num_attention_heads: number;
  vocab_size: number;
  eos_token_id: number;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(modelDir, file), 'utf8')) as T;
const config = readJson<ModelConfig>('config.json');
const golden = readJson<Golden>('verify/greedy.json');
const headDim = config.hidden_size / config.num_attention_heads;

/** Greedy decoding with the KV cache over left-padded rows; returns `steps` new tokens per row. */
async function greedyBatch(session: ort.InferenceSession, rows: number[][], steps: number): Promise<number[][]> {
  const B = rows.length;
  const L = Math.max(...rows.map((r) => r.length));
  const pad = config.eos_token_id;
  const ids = new BigInt64Array(B * L);
  let mask: number[][] = [];
  const pos = new BigInt64Array(B * L);
  rows.forEach((r, b) => {
    const m: number[] = [];
    let p = 0;
    for (let i = 0; i < L; i++) {
      const k = i - (L - r.length);
      const real = k >= 0;
      ids[b * L + i] = BigInt(real ? r[k]! : pad);
      m.push(real ? 1 : 0);
      pos[b * L + i] = BigInt(real ? p++ : 1);
    }
    mask.push(m);
  });
  const nextPos = rows.map((r) => r.length);
  const kvShape = (t: number) => [B, config.num_key_value_heads, t, headDim];
  let feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, [B, L]),
    position_ids: new ort.Tensor('int64', pos, [B, L]),
  };
  for (let i = 0; i < config.num_hidden_layers; i++) {
    feeds[`past_key_values.${i}.key`] = new ort.Tensor('float32', new Float32Array(0), kvShape(0));
    feeds[`past_key_values.${i}.value`] = new ort.Tensor('float32', new Float32Array(0), kvShape(0));
  }
  const out: number[][] = rows.map(() => []);
  let S = L;
  for (let step = 0; step < steps; step++) {
    feeds.attention_mask = new ort.Tensor('int64', BigInt64Array.from(mask.flat(), (v) => BigInt(v)), [B, mask[0]!.length]);
    const res = await session.run(feeds);
    const logits = res.logits!.data as Float32Array;
    const V = config.vocab_size;
    const next: number[] = [];
    for (let b = 0; b < B; b++) {
      const base = (b * S + (S - 1)) * V;
      let best = 0;
      let bestV = -Infinity;
      for (let v = 0; v < V; v++) {
        const x = logits[base + v]!;
        if (x > bestV) {
          bestV = x;
          best = v;
        }
      }
      next.push(best);
      out[b]!.push(best);
    }
    const nf: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(next, (v) => BigInt(v)), [B, 1]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from(nextPos.map((p) => BigInt(p))), [B, 1]),
    };
    for (let b = 0; b < B; b++) nextPos[b]!++;
    for (let i = 0; i < config.num_hidden_layers; i++) {
      nf[`past_key_values.${i}.key`] = res[`present.${i}.key`]!;
      nf[`past_key_values.${i}.value`] = res[`present.${i}.value`]!;
    }
    mask = mask.map((m) => [...m, 1]);
    feeds = nf;
    S = 1;
  }
  return out;
}

/** Index of the first differing token, or -1. */
function firstDiff(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : Math.min(a.length, b.length);
}

/** Equal (true), or diverging only where torch itself saw a near tie between its top two logits (false). */
function assertGreedyMatches(got: number[], p: GoldenPrompt, label: string): boolean {
  const d = firstDiff(got, p.greedy.slice(0, got.length));
  if (d === -1) return true;
  assert.ok((p.margins[d] ?? 1) < 1e-3, `${label}: token ${d} differs (${got[d]} vs ${p.greedy[d]}), torch margin ${p.margins[d]}`);
  return false;
}

describe('bundled model autoglm-coder', function () {
  this.timeout(120000);

  it('ships the files of the Hugging Face ONNX layout within 40 MB', () => {
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      assert.ok(fs.existsSync(path.join(modelDir, f)), f);
    }
    let total = 0;
    for (const f of ['model.onnx', 'model_q4.onnx', 'model_int8.onnx']) {
      total += fs.statSync(path.join(modelDir, 'onnx', f)).size;
    }
    assert.ok(total <= 40_000_000, `total ${total}`);
    const cfg = readJson<Record<string, unknown>>('config.json');
    assert.equal(cfg.model_type, 'qwen2');
    assert.equal(cfg.tie_word_embeddings, true);
  });

  it('tokenizer: @huggingface/tokenizers ids equal the Python encoder ids', () => {
    const tok = new Tokenizer(readJson<object>('tokenizer.json'), readJson<object>('tokenizer_config.json'));
    const files = readJson<{ files: { path: string; text: string; ids: number[] }[] }>('verify/tokenizer_golden.json').files;
    assert.ok(files.length > 0);
    let n = 0;
    for (const f of files) {
      const ids = tok.encode(f.text, { add_special_tokens: false }).ids;
      assert.deepEqual(ids, f.ids, f.path);
      assert.equal(tok.decode(ids, { skip_special_tokens: false }), f.text, f.path);
      n += ids.length;
    }
    for (const p of golden.prompts) {
      assert.deepEqual(tok.encode(p.text, { add_special_tokens: false }).ids, p.ids, p.text);
    }
    assert.ok(n > 10000);
  });

  it('onnxruntime-node fp32 greedy equals torch greedy for every golden prompt', async () => {
    assert.ok(golden.prompts.length >= 20);
    const session = await ort.InferenceSession.create(path.join(modelDir, 'onnx', 'model.onnx'), { intraOpNumThreads: 2 });
    let exact = 0;
    for (const p of golden.prompts) {
      const [got] = await greedyBatch(session, [p.ids], golden.tokens);
      if (assertGreedyMatches(got!, p, p.text)) exact++;
    }
    // near-tie divergences are tolerated, but only rarely
    assert.ok(exact >= golden.prompts.length - 2, `${exact}/${golden.prompts.length} prompts identical`);
    await session.release();
  });

  for (const file of ['model_q4.onnx', 'model.onnx']) {
    it(`${file}: a left-padded batch of 8 gives the same greedy tokens as batch 1`, async () => {
      const session = await ort.InferenceSession.create(path.join(modelDir, 'onnx', file), { intraOpNumThreads: 2 });
      const rows = golden.prompts.filter((_, i) => i % 3 === 0).slice(0, 8).map((p) => p.ids);
      assert.equal(rows.length, 8);
      const batched = await greedyBatch(session, rows, 12);
      for (let i = 0; i < rows.length; i++) {
        const [single] = await greedyBatch(session, [rows[i]!], 12);
        assert.deepEqual(batched[i], single, `row ${i}`);
      }
      await session.release();
    });
  }

  it('int8 variant loads and decodes', async () => {
    const session = await ort.InferenceSession.create(path.join(modelDir, 'onnx', 'model_int8.onnx'), { intraOpNumThreads: 2 });
    const [got] = await greedyBatch(session, [golden.prompts[0]!.ids], 4);
    assert.equal(got!.length, 4);
    await session.release();
  });

  it('@huggingface/transformers loads the folder and reproduces the greedy tokens', async () => {
    const { AutoModelForCausalLM, AutoTokenizer, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = path.dirname(modelDir);
    const name = path.basename(modelDir);
    const tokenizer = await AutoTokenizer.from_pretrained(name, { local_files_only: true });
    const model = await AutoModelForCausalLM.from_pretrained(name, { dtype: 'fp32', local_files_only: true });
    const chat = golden.prompts.find((p) => p.kind === 'chat')!;
    const rendered = tokenizer.apply_chat_template(chat.messages!, { tokenize: false, add_generation_prompt: true });
    assert.equal(rendered, chat.text);
    const picks = [golden.prompts[0]!, golden.prompts.find((p) => p.kind === 'fim')!, chat];
    const added = readJson<{ added_tokens: { id: number; content: string }[] }>('tokenizer.json').added_tokens;
    const eos = new Set([config.eos_token_id, added.find((t) => t.content === '<|im_end|>')!.id]);
    for (const p of picks) {
      const enc = tokenizer(p.text, { add_special_tokens: false });
      const inputIds = Array.from(enc.input_ids.data as BigInt64Array, Number);
      assert.deepEqual(inputIds, p.ids);
      const out = await model.generate({ ...enc, max_new_tokens: golden.tokens, do_sample: false });
      const all = Array.from((out as { data: BigInt64Array }).data, Number).slice(p.ids.length);
      let expected = p.greedy;
      const stop = expected.findIndex((t) => eos.has(t));
      if (stop >= 0) expected = expected.slice(0, stop + 1);
      assertGreedyMatches(all, { ...p, greedy: expected }, `transformers.js: ${p.text}`);
      assert.equal(all.length, expected.length);
    }
    await model.dispose();
  });
});
