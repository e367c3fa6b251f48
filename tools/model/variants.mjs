// Compare the ONNX variants of a model folder on its golden data, in onnxruntime-node:
//  * bits per byte / loss on the held-out files of verify/tokenizer_golden.json
//    (each file preceded by <|endoftext|>, 512-token windows, as tools/model/eval.py does);
//  * greedy agreement with the torch golden tokens of verify/greedy.json.
// Usage: node tools/model/variants.mjs <model-dir> [out.json] [max-files]
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';

const [dir, outFile, maxFiles] = process.argv.slice(2);
const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
const hd = cfg.hidden_size / cfg.num_attention_heads;
const golden = JSON.parse(fs.readFileSync(path.join(dir, 'verify', 'greedy.json'), 'utf8'));
const files = JSON.parse(fs.readFileSync(path.join(dir, 'verify', 'tokenizer_golden.json'), 'utf8')).files.slice(0, maxFiles ? Number(maxFiles) : undefined);
const eos = cfg.eos_token_id;
const V = cfg.vocab_size;

function feedsFor(ids, pastLen = 0, past = null, mask = null) {
  const S = ids.length;
  const f = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, S]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(pastLen + S).fill(1n), [1, pastLen + S]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: S }, (_, i) => BigInt(pastLen + i)), [1, S]),
  };
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    for (const kv of ['key', 'value']) {
      f[`past_key_values.${i}.${kv}`] = past ? past[`present.${i}.${kv}`] : new ort.Tensor('float32', new Float32Array(0), [1, cfg.num_key_value_heads, 0, hd]);
    }
  }
  return f;
}

const argmax = (a, off) => {
  let b = 0;
  for (let v = 1; v < V; v++) if (a[off + v] > a[off + b]) b = v;
  return b;
};

const result = {};
for (const file of ['model.onnx', 'model_q4.onnx', 'model_int8.onnx']) {
  const s = await ort.InferenceSession.create(path.join(dir, 'onnx', file), { intraOpNumThreads: 2 });
  let nats = 0;
  let tokens = 0;
  let bytes = 0;
  for (const f of files) {
    const ids = [eos, ...f.ids];
    bytes += Buffer.byteLength(f.text, 'utf8');
    for (let st = 0; st < ids.length - 1; st += 512) {
      const w = ids.slice(st, st + 513);
      const r = await s.run(feedsFor(w.slice(0, -1)));
      const lg = r.logits.data;
      for (let t = 0; t < w.length - 1; t++) {
        const off = t * V;
        let mx = -Infinity;
        for (let v = 0; v < V; v++) if (lg[off + v] > mx) mx = lg[off + v];
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(lg[off + v] - mx);
        nats += Math.log(sum) + mx - lg[off + w[t + 1]];
        tokens++;
      }
    }
  }
  let identical = 0;
  let matched = 0;
  let total = 0;
  for (const p of golden.prompts) {
    let r = await s.run(feedsFor(p.ids));
    const got = [];
    let len = p.ids.length;
    for (let k = 0; k < golden.tokens; k++) {
      const S = r.logits.dims[1];
      const t = argmax(r.logits.data, (S - 1) * V);
      got.push(t);
      r = await s.run(feedsFor([t], len, r));
      len++;
    }
    let d = got.findIndex((t, i) => t !== p.greedy[i]);
    if (d < 0) {
      identical++;
      d = got.length;
    }
    matched += d;
    total += got.length;
  }
  result[file] = {
    heldout_tokens: tokens,
    heldout_bytes: bytes,
    loss: nats / tokens,
    bits_per_byte: nats / Math.LN2 / bytes,
    greedy_prompts_identical_to_torch: `${identical}/${golden.prompts.length}`,
    greedy_tokens_before_first_divergence: `${matched}/${total}`,
  };
  console.log(file, JSON.stringify(result[file]));
  await s.release();
}
if (outFile) fs.writeFileSync(outFile, JSON.stringify(result, null, 1));
