#!/usr/bin/python3
"""Turn a shipped fp32 `onnx/model.onnx` (written by export.py) back into a training checkpoint.

Used to continue training the bundled model from its released weights instead of from
random ones.  The mapping from ONNX initializers to torch parameters is found, not
assumed: a probe model of the same configuration with random weights is exported with
the same code, and each of its initializers is matched to the parameter (or transposed
parameter) it equals.  The same initializer names in the shipped file then give the
released weights.  Fails loudly if any parameter stays unmatched.

    import_onnx.py --model-dir models/autoglm-coder --out tools/model/work/import.pt \
        --prior-steps 1334 --prior-tokens 5464064 --prior-minutes 107.6
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export import export_onnx  # noqa: E402
from model import Config, Qwen2, count_params  # noqa: E402


def config_from_hf(cfg):
    return Config(vocab_size=cfg["vocab_size"], hidden_size=cfg["hidden_size"], intermediate_size=cfg["intermediate_size"],
                  num_hidden_layers=cfg["num_hidden_layers"], num_attention_heads=cfg["num_attention_heads"],
                  num_key_value_heads=cfg["num_key_value_heads"], max_position_embeddings=cfg["max_position_embeddings"],
                  rope_theta=cfg["rope_theta"], rms_norm_eps=cfg["rms_norm_eps"])


def initializers(m):
    return {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prior-steps", type=int, default=0, help="optimizer steps the shipped weights were trained for")
    ap.add_argument("--prior-tokens", type=int, default=0, help="training tokens the shipped weights have seen")
    ap.add_argument("--prior-minutes", type=float, default=0.0, help="training wall time of the shipped weights")
    args = ap.parse_args()
    torch.manual_seed(7)
    c = config_from_hf(json.load(open(os.path.join(args.model_dir, "config.json"))))
    probe = Qwen2(c)
    # distinct values everywhere, so that every parameter is recognisable in the export
    with torch.no_grad():
        for p in probe.parameters():
            p.copy_(torch.randn_like(p))
    with tempfile.TemporaryDirectory() as d:
        probe_inits = initializers(export_onnx(probe, os.path.join(d, "model.onnx")))
    shipped = initializers(onnx.load(os.path.join(args.model_dir, "onnx", "model.onnx")))
    params = dict(probe.named_parameters())
    mapping = {}  # param name -> (initializer name, transposed)
    for iname, arr in probe_inits.items():
        for pname, p in params.items():
            v = p.detach().numpy()
            if v.shape == arr.shape and np.array_equal(v, arr):
                mapping.setdefault(pname, (iname, False))
            elif v.ndim == 2 and v.T.shape == arr.shape and np.array_equal(v.T, arr):
                mapping.setdefault(pname, (iname, True))
    missing = sorted(set(params) - set(mapping))
    if missing:
        raise SystemExit(f"no initializer found for: {', '.join(missing)}")
    state = {}
    for pname, (iname, transposed) in mapping.items():
        if iname not in shipped:
            raise SystemExit(f"{iname} (for {pname}) is not in the shipped model; was it written by another export?")
        a = shipped[iname]
        state[pname] = torch.from_numpy(np.ascontiguousarray(a.T if transposed else a)).to(torch.float32)
    model = Qwen2(c)
    model.load_state_dict(state)
    torch.save({"config": c.to_dict(), "model": model.state_dict(), "step": args.prior_steps, "tokens": args.prior_tokens,
                "elapsed_s": args.prior_minutes * 60,
                "val_loss": None, "imported_from": os.path.join(args.model_dir, "onnx", "model.onnx"),
                "params": count_params(model)}, args.out)
    print(f"imported {len(mapping)} parameters ({count_params(model)} values) from {args.model_dir} -> {args.out}")


if __name__ == "__main__":
    main()
