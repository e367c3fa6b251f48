#!/usr/bin/python3
"""Write a Qwen2 checkpoint (model.py) as an F32 GGUF for llama.cpp (architecture qwen2).

Tensor names follow llama.cpp's qwen2 layout: token_embd, blk.N.{attn_norm, attn_q, attn_k,
attn_v (each with .bias), attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down}, output_norm.  The
embedding is tied, so there is no output.weight (llama.cpp then uses token_embd for the output).
qwen2 uses NEOX rotary embeddings, the same rotate-half layout as model.py, so q/k need no
permutation.  The tokenizer metadata is the full byte-level BPE (model gpt2, pre-tokenizer qwen2);
ids past the tokenizer's last token pad the embedding and are typed UNUSED.
"""
import re

import gguf
import numpy as np

LAYER_TENSORS = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
SPECIAL_LOOKING = re.compile(r"^<\|.*\|>$")


def gguf_name(name):
    if name == "embed_tokens.weight":
        return "token_embd.weight"
    if name == "norm.weight":
        return "output_norm.weight"
    m = re.match(r"layers\.(\d+)\.(.+)$", name)
    if m and m.group(2) in LAYER_TENSORS:
        return f"blk.{m.group(1)}.{LAYER_TENSORS[m.group(2)]}"
    raise KeyError(name)


def vocab_table(tok, vocab_size):
    """tokens and token types for ids 0..vocab_size-1 from a tokenizer.json object."""
    tokens = [None] * vocab_size
    types = [gguf.TokenType.UNUSED] * vocab_size
    for text, i in tok["model"]["vocab"].items():
        tokens[i] = text
        types[i] = gguf.TokenType.NORMAL
    for a in tok["added_tokens"]:
        tokens[a["id"]] = a["content"]
        control = a.get("special") or SPECIAL_LOOKING.match(a["content"])
        types[a["id"]] = gguf.TokenType.CONTROL if control else gguf.TokenType.USER_DEFINED
    for i in range(vocab_size):
        if tokens[i] is None:
            tokens[i] = f"[PAD{i}]"
    return tokens, types


def merges_list(tok):
    return [m if isinstance(m, str) else " ".join(m) for m in tok["model"]["merges"]]


def add_metadata(w, c, name):
    w.add_name(name)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_context_length(c.max_position_embeddings)
    w.add_embedding_length(c.hidden_size)
    w.add_block_count(c.num_hidden_layers)
    w.add_feed_forward_length(c.intermediate_size)
    w.add_head_count(c.num_attention_heads)
    w.add_head_count_kv(c.num_key_value_heads)
    w.add_rope_freq_base(c.rope_theta)
    w.add_layer_norm_rms_eps(c.rms_norm_eps)


def add_tokenizer(w, tok, vocab_size, chat_template=None):
    tokens, types = vocab_table(tok, vocab_size)
    ids = {a["content"]: a["id"] for a in tok["added_tokens"]}
    eos = ids["<|endoftext|>"]
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("qwen2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges_list(tok))
    w.add_eos_token_id(eos)
    w.add_bos_token_id(eos)
    w.add_pad_token_id(eos)
    w.add_add_bos_token(False)
    if chat_template:
        w.add_chat_template(chat_template)


def write_gguf_f32(model, tok, path, name="random-qwen05b", chat_template=None):
    """model: model.Qwen2; tok: tokenizer.json object."""
    c = model.c
    w = gguf.GGUFWriter(path, "qwen2")
    add_metadata(w, c, name)
    add_tokenizer(w, tok, c.vocab_size, chat_template)
    for n, p in model.state_dict().items():
        w.add_tensor(gguf_name(n), p.detach().to("cpu").float().numpy().astype(np.float32, copy=False))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
