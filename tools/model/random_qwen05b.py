#!/usr/bin/python3
"""Write a random-weight decoder with Qwen2.5-Coder-0.5B dimensions (24 layers, hidden 896,
14 heads / 2 KV heads, MLP 4864, vocabulary 151,936, tied embeddings) in the same ONNX
layout as the bundled model, fp32 (external data: onnx/model.onnx + onnx/model.onnx_data)
and q4, for benchmarks at real scale.  Not committed; default output
tools/model/work/random-qwen05b/.  It reuses the bundled model's small tokenizer (its ids
all lie inside the 151,936-row embedding).  Needs about 8 GB of RAM and a few minutes.
"""
import argparse
import json
import os
import sys
import time

import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from export import export_onnx, write_configs  # noqa: E402
from model import Config, Qwen2, count_params  # noqa: E402
from quantize import quantize_q4  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "work", "random-qwen05b"))
    ap.add_argument("--tokenizer-dir", default=os.path.join(HERE, "..", "..", "models", "autoglm-coder"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-q4", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    c = Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
               num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768, rope_theta=1000000.0)
    with torch.no_grad():
        model = Qwen2(c).eval()
    n_params = count_params(model)
    print(f"params {n_params}", flush=True)
    write_configs(c, args.out, args.tokenizer_dir,
                  extra={"transformers.js_config": {"use_external_data_format": {"model.onnx": True}},
                         "note": "random weights, Qwen2.5-Coder-0.5B dimensions, for benchmarks only"})
    fp32 = os.path.join(args.out, "onnx", "model.onnx")
    export_onnx(model, fp32, external_data=True)
    del model
    print(f"fp32 written {time.time() - t0:.0f}s", flush=True)
    if not args.skip_q4:
        m = onnx.load(fp32)
        m = quantize_q4(m)
        onnx.save(m, os.path.join(args.out, "onnx", "model_q4.onnx"))
        print(f"q4 written {time.time() - t0:.0f}s", flush=True)
    files = {f: os.path.getsize(os.path.join(args.out, "onnx", f)) for f in sorted(os.listdir(os.path.join(args.out, "onnx")))}
    for f, n in files.items():
        print(f"onnx/{f}: {n} bytes")
    with open(os.path.join(args.out, "sizes.json"), "w") as fo:
        json.dump({"params": n_params, "files": files, "seconds": round(time.time() - t0)}, fo, indent=1)
    print(f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
