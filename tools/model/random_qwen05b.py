#!/usr/bin/env python3
"""Write a random-weight decoder with Qwen2.5-Coder-0.5B dimensions (24 layers, hidden 896,
14 heads / 2 KV heads, MLP 4864, vocabulary 151,936, tied embeddings) for benchmarks at real
scale, with the Qwen2.5 tokenizer (qwen25_tokenizer.py).  Default output
tools/model/work/random-qwen05b/ (not committed):
  config.json, generation_config.json, tokenizer files, chat_template.jinja, provenance.json
  onnx/model.onnx (+ model.onnx_data)  fp32, the project's exporter
  onnx/model_q4.onnx                    MatMulNBits 4-bit (accuracy_level 4 unless --q4-accuracy-level)
  onnx/model_int8.onnx                  MatMulInteger 8-bit
  gguf/model-f32.gguf                   the same weights for llama.cpp (qwen2)
  gguf/model-q8_0.gguf, model-q4_0.gguf made from the F32 GGUF by llama-quantize (build_llama_cpp.sh)
  sizes.json                            file sizes and the weight bytes each ONNX file reads per token
Needs torch >= 2 and onnx, numpy, gguf (README: bench/), about 12 GB of RAM and several minutes.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import onnx
import torch
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from export import export_onnx, write_configs  # noqa: E402
from gguf_export import write_gguf_f32  # noqa: E402
from model import Config, Qwen2, count_params  # noqa: E402
from quantize import quantize_int8, quantize_q4, weight_matmuls  # noqa: E402
from qwen25_tokenizer import CHAT_TEMPLATE, write_tokenizer  # noqa: E402

LLAMA_QUANTIZE = os.path.join(HERE, "work", "llama.cpp", "build", "bin", "llama-quantize")


def qwen05b_config():
    return Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                  num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768, rope_theta=1000000.0)


def weight_bytes_per_token(m):
    """Initializer bytes one decode step reads: whole tensors, except a lookup table read only by
    Gather nodes, of which one row (the gathered axis' slice) is read."""
    consumers = {}
    for n in m.graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    total = 0
    for t in m.graph.initializer:
        size = numpy_helper.to_array(t).nbytes
        users = consumers.get(t.name, [])
        if users and all(u.op_type == "Gather" for u in users):
            axis = next((a.i for a in users[0].attribute if a.name == "axis"), 0)
            size //= t.dims[axis]
        total += size
    return total


def fp32_weight_matmuls(m):
    """Plain MatMul nodes left reading a constant weight (0: every projection, output included, is quantized)."""
    return len(weight_matmuls(m)[0])


def write_quantized(fp32, dst, quantize):
    m = quantize(onnx.load(fp32))
    onnx.save(m, dst)
    return m


def run_llama_quantize(src, dst, kind):
    if not os.path.exists(LLAMA_QUANTIZE):
        raise SystemExit(f"{LLAMA_QUANTIZE} missing: run tools/model/build_llama_cpp.sh first")
    subprocess.run([LLAMA_QUANTIZE, src, dst, kind], check=True, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "work", "random-qwen05b"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--q4-accuracy-level", type=int, default=4, choices=[0, 4])
    ap.add_argument("--skip-gguf-quant", action="store_true", help="write only the F32 GGUF")
    args = ap.parse_args()
    t0 = time.time()
    log = lambda what: print(f"{what} {time.time() - t0:.0f}s", flush=True)  # noqa: E731
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    c = qwen05b_config()
    tok = write_tokenizer(args.out)
    write_configs(c, args.out, args.out,
                  extra={"transformers.js_config": {"use_external_data_format": {"model.onnx": True}},
                         "note": "random weights, Qwen2.5-Coder-0.5B dimensions, for benchmarks only"})
    with torch.no_grad():
        model = Qwen2(c).eval()
    n_params = count_params(model)
    print(f"params {n_params}", flush=True)
    gdir = os.path.join(args.out, "gguf")
    os.makedirs(gdir, exist_ok=True)
    f32 = os.path.join(gdir, "model-f32.gguf")
    write_gguf_f32(model, tok, f32, chat_template=CHAT_TEMPLATE)
    log("gguf f32 written")
    odir = os.path.join(args.out, "onnx")
    fp32 = os.path.join(odir, "model.onnx")
    export_onnx(model, fp32, external_data=True)
    del model
    log("fp32 written")
    m = onnx.load(fp32)
    report = {"fp32": weight_bytes_per_token(m), "fp32_weight_matmuls": fp32_weight_matmuls(m)}
    del m
    m = write_quantized(fp32, os.path.join(odir, "model_q4.onnx"), lambda x: quantize_q4(x, args.q4_accuracy_level))
    report["q4"], report["q4_fp32_matmuls"] = weight_bytes_per_token(m), fp32_weight_matmuls(m)
    del m
    log("q4 written")
    m = write_quantized(fp32, os.path.join(odir, "model_int8.onnx"), quantize_int8)
    report["int8"], report["int8_fp32_matmuls"] = weight_bytes_per_token(m), fp32_weight_matmuls(m)
    del m
    log("int8 written")
    if not args.skip_gguf_quant:
        for kind in ("Q8_0", "Q4_0"):
            run_llama_quantize(f32, os.path.join(gdir, f"model-{kind.lower()}.gguf"), kind)
            log(f"gguf {kind} written")
    files = {}
    for sub in ("onnx", "gguf"):
        for f in sorted(os.listdir(os.path.join(args.out, sub))):
            files[f"{sub}/{f}"] = os.path.getsize(os.path.join(args.out, sub, f))
    for f, n in files.items():
        print(f"{f}: {n} bytes")
    print("weight bytes read per token:", json.dumps(report))
    with open(os.path.join(args.out, "sizes.json"), "w") as fo:
        json.dump({"params": n_params, "files": files, "weight_bytes_per_token": report,
                   "q4_accuracy_level": args.q4_accuracy_level, "seconds": round(time.time() - t0)}, fo, indent=1)
    log("done")


if __name__ == "__main__":
    main()
