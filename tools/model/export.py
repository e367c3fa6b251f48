#!/usr/bin/python3
"""Export a checkpoint to ONNX in the optimum / transformers.js decoder layout.

Inputs:  input_ids [B,S] int64, attention_mask [B,P+S] int64, position_ids [B,S] int64,
         past_key_values.{i}.key|value [B, kvHeads, P, headDim] float32
Outputs: logits [B,S,V] float32, present.{i}.key|value [B, kvHeads, P+S, headDim]

The tied embedding is stored once, as a [hidden, vocab] tensor that serves both the
token lookup (Gather on axis 1) and the output projection (MatMul), so constant
folding cannot duplicate it.
Also writes config.json, generation_config.json and copies the tokenizer files.
"""
import argparse
import inspect
import json
import os
import shutil
import sys
import tempfile

import onnx
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, Qwen2, load_checkpoint  # noqa: E402

TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]


class Exportable(nn.Module):
    def __init__(self, model: Qwen2):
        super().__init__()
        self.model = model
        self.emb_t = nn.Parameter(model.embed_tokens.weight.detach().t().contiguous())
        self.n = model.c.num_hidden_layers

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(self.n)]
        logits, presents = self.model.forward_cached(input_ids, attention_mask, position_ids, past, emb_t=self.emb_t)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        return tuple(out)


def io_names(n_layers):
    inputs = ["input_ids", "attention_mask", "position_ids"]
    outputs = ["logits"]
    for i in range(n_layers):
        inputs += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        outputs += [f"present.{i}.key", f"present.{i}.value"]
    return inputs, outputs


def export_onnx(model: Qwen2, path, opset=14, external_data=False):
    c = model.c
    wrapper = Exportable(model).eval()
    # keep only the transposed embedding as a parameter reachable from the graph
    B, S, P = 2, 3, 4
    ids = torch.randint(0, c.vocab_size, (B, S))
    mask = torch.ones(B, P + S, dtype=torch.long)
    pos = torch.arange(P, P + S).unsqueeze(0).expand(B, S).contiguous()
    past = []
    for _ in range(c.num_hidden_layers):
        past += [torch.zeros(B, c.num_key_value_heads, P, c.head_dim), torch.zeros(B, c.num_key_value_heads, P, c.head_dim)]
    inputs, outputs = io_names(c.num_hidden_layers)
    dyn = {"input_ids": {0: "batch_size", 1: "sequence_length"},
           "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
           "position_ids": {0: "batch_size", 1: "sequence_length"},
           "logits": {0: "batch_size", 1: "sequence_length"}}
    for n in inputs[3:]:
        dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
    for n in outputs[1:]:
        dyn[n] = {0: "batch_size", 2: "total_sequence_length"}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp_dir = tempfile.mkdtemp(prefix="export-", dir=os.path.dirname(path))
    tmp = os.path.join(tmp_dir, "model.onnx")
    # torch >= 2.9 defaults to the dynamo exporter; this layout is written by the TorchScript one
    legacy = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    with torch.no_grad():
        torch.onnx.export(wrapper, (ids, mask, pos, *past), tmp, input_names=inputs, output_names=outputs,
                          dynamic_axes=dyn, opset_version=opset, do_constant_folding=True, **legacy)
    m = onnx.load(tmp)
    # drop the unused copy of the untransposed embedding if the exporter kept it
    used = set()
    for node in m.graph.node:
        used.update(node.input)
    keep = [t for t in m.graph.initializer if t.name in used]
    del m.graph.initializer[:]
    m.graph.initializer.extend(keep)
    shutil.rmtree(tmp_dir)
    if external_data:
        data_name = os.path.basename(path) + "_data"
        if os.path.exists(path + "_data"):
            os.remove(path + "_data")
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True, location=data_name,
                        size_threshold=1024)
    else:
        onnx.save(m, path)
    return m


def write_configs(c: Config, out_dir, tokenizer_dir, extra=None):
    os.makedirs(out_dir, exist_ok=True)
    for f in TOKENIZER_FILES if os.path.abspath(tokenizer_dir) != os.path.abspath(out_dir) else []:
        shutil.copy(os.path.join(tokenizer_dir, f), os.path.join(out_dir, f))
    tok = json.load(open(os.path.join(tokenizer_dir, "tokenizer.json"), encoding="utf-8"))
    sp = {a["content"]: a["id"] for a in tok["added_tokens"]}
    eos = sp["<|endoftext|>"]
    cfg = {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "attention_dropout": 0.0,
        "bos_token_id": eos,
        "eos_token_id": eos,
        "pad_token_id": eos,
        "hidden_act": "silu",
        "hidden_size": c.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": c.intermediate_size,
        "max_position_embeddings": c.max_position_embeddings,
        "max_window_layers": c.num_hidden_layers,
        "num_attention_heads": c.num_attention_heads,
        "num_hidden_layers": c.num_hidden_layers,
        "num_key_value_heads": c.num_key_value_heads,
        "head_dim": c.head_dim,
        "rms_norm_eps": c.rms_norm_eps,
        "rope_scaling": None,
        "rope_theta": c.rope_theta,
        "sliding_window": c.max_position_embeddings,
        "use_sliding_window": False,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
        "use_cache": True,
        "vocab_size": c.vocab_size,
        "transformers.js_config": {"use_external_data_format": False},
    }
    if extra:
        cfg.update(extra)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    gen = {"bos_token_id": eos, "eos_token_id": [eos, sp["<|im_end|>"]], "pad_token_id": eos, "do_sample": False,
           "max_new_tokens": 128, "repetition_penalty": 1.0}
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump(gen, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--tokenizer-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--opset", type=int, default=14)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, ck = load_checkpoint(args.checkpoint)
    write_configs(model.c, args.out, args.tokenizer_dir)
    m = export_onnx(model, os.path.join(args.out, "onnx", "model.onnx"), opset=args.opset)
    inits = sum(1 for _ in m.graph.initializer)
    print(f"exported {args.out}/onnx/model.onnx: {os.path.getsize(os.path.join(args.out, 'onnx', 'model.onnx'))} bytes, "
          f"{inits} initializers, step {ck.get('step')} val_loss {ck.get('val_loss')}")


if __name__ == "__main__":
    main()
