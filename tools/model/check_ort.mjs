// Load a model folder's ONNX file in onnxruntime-node and decode greedily from a few ids.
// Usage: node tools/model/check_ort.mjs <model-dir> [file=model.onnx] [tokens=8] [batch=1]
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';

const [dir, file = 'model.onnx', nTok = '8', nBatch = '1'] = process.argv.slice(2);
const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
const hd = cfg.hidden_size / cfg.num_attention_heads;
const t0 = performance.now();
const s = await ort.InferenceSession.create(path.join(dir, 'onnx', file), { intraOpNumThreads: 2 });
const tLoad = performance.now() - t0;
const B = Number(nBatch);
const prompt = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600];
const L = prompt.length;
let feeds = {
  input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: B * L }, (_, i) => BigInt(prompt[i % L])), [B, L]),
  attention_mask: new ort.Tensor('int64', new BigInt64Array(B * L).fill(1n), [B, L]),
  position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: B * L }, (_, i) => BigInt(i % L)), [B, L]),
};
for (let i = 0; i < cfg.num_hidden_layers; i++) {
  for (const kv of ['key', 'value']) {
    feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [B, cfg.num_key_value_heads, 0, hd]);
  }
}
const out = [];
let total = L;
let tPrefill = 0;
const tDec = performance.now();
for (let step = 0; step < Number(nTok); step++) {
  const t = performance.now();
  const r = await s.run(feeds);
  if (step === 0) tPrefill = performance.now() - t;
  const V = r.logits.dims[2];
  const S = r.logits.dims[1];
  const lg = r.logits.data;
  let best = 0;
  for (let v = 1; v < V; v++) if (lg[(S - 1) * V + v] > lg[(S - 1) * V + best]) best = v;
  out.push(best);
  total += 1;
  const nf = {
    input_ids: new ort.Tensor('int64', new BigInt64Array(B).fill(BigInt(best)), [B, 1]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(B * total).fill(1n), [B, total]),
    position_ids: new ort.Tensor('int64', new BigInt64Array(B).fill(BigInt(total - 1)), [B, 1]),
  };
  for (let i = 0; i < cfg.num_hidden_layers; i++) {
    nf[`past_key_values.${i}.key`] = r[`present.${i}.key`];
    nf[`past_key_values.${i}.value`] = r[`present.${i}.value`];
  }
  feeds = nf;
}
const decodeMs = (performance.now() - tDec - tPrefill) / Math.max(1, Number(nTok) - 1);
console.log(JSON.stringify({ file, load_ms: Math.round(tLoad), prefill16_ms: Math.round(tPrefill), decode_ms_per_step: +decodeMs.toFixed(1), batch: B, tokens: out }));
await s.release();
