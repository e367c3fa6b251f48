#!/usr/bin/python3
"""Write the golden files the Node tests compare against (no Python needed at test time).

verify/greedy.json           prompts (plain completion, FIM, ChatML chat), their ids and
                             32 greedy tokens from the torch model (no stopping at EOS),
                             with the top-1/top-2 logit margin of every step.
verify/tokenizer_golden.json held-out validation files and their ids from the Python encoder.
"""
import argparse
import hashlib
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
from model import load_checkpoint  # noqa: E402

PLAIN = [
    "import { readFile } from 'node:fs/promises';\n\nexport async function loadJson(path: string) {\n",
    "function fibonacci(n) {\n    if (n < 2) {\n",
    "export interface User {\n  id: number;\n  name: string;\n",
    "const express = require('express');\nconst app = express();\n\napp.get('/', (req, res) => {\n",
    "def binary_search(items, target):\n    lo, hi = 0, len(items) - 1\n    while lo <= hi:\n",
    "class Stack<T> {\n  private items: T[] = [];\n\n  push(item: T): void {\n",
    "/**\n * Returns true if the value is a plain object.\n */\nexport function isPlainObject(value: unknown): boolean {\n",
    "import os\nimport sys\n\n\ndef main():\n",
    "for (let i = 0; i < arr.length; i++) {\n",
    "export default class EventEmitter {\n  constructor() {\n",
    "  /**\n   * @param {string} name\n   * @returns {Promise<void>}\n   */\n",
    "const result = await fetch(url, { method: 'POST', headers: {",
    "type Result<T, E = Error> =\n  | { ok: true; value: T }\n",
    "    if (typeof callback !== 'function') {\n      throw new TypeError(",
]
FIM = [
    ("function add(a: number, b: number): number {\n  ", "\n}\n"),
    ("export function clamp(value, min, max) {\n  if (value < min) return min;\n", "  return value;\n}\n"),
    ("def greet(name):\n    ", "\n\nprint(greet('world'))\n"),
    ("const items = [1, 2, 3];\nconst doubled = items.map(", ");\nconsole.log(doubled);\n"),
    ("import { useState } from 'react';\n\nexport function Counter() {\n  const [count, setCount] = ", "\n  return count;\n}\n"),
    ("class Point {\n  constructor(x, y) {\n    this.x = x;\n", "  }\n}\n"),
]
CHAT = [
    "Write a TypeScript function: Returns the last element of an array.",
    "Write a JavaScript function: Checks whether a string is empty or only whitespace.",
    "Write a TypeScript function: Creates a debounced version of the given function.",
    "Explain what this code does:\n```ts\nconst unique = [...new Set(items)];\n```",
]


def chat_prompt(user):
    return (f"<|im_start|>system\n{bpe.DEFAULT_SYSTEM}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
            f"<|im_start|>assistant\n")


def fim_prompt(pre, suf):
    return f"<|fim_prefix|>{pre}<|fim_suffix|>{suf}<|fim_middle|>"


@torch.no_grad()
def greedy(model, ids, n):
    x = torch.tensor([ids])
    out, margins = [], []
    for _ in range(n):
        logits = model(x)[0, -1]
        top = torch.topk(logits, 2)
        t = int(top.indices[0])
        out.append(t)
        margins.append(round(float(top.values[0] - top.values[1]), 6))
        x = torch.cat([x, torch.tensor([[t]])], dim=1)
    return out, margins


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--tokens", type=int, default=32)
    ap.add_argument("--tok-bytes", type=int, default=240_000)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model, ck = load_checkpoint(args.checkpoint)
    enc = bpe.Encoder(os.path.join(args.model_dir, "tokenizer.json"))
    out_dir = os.path.join(args.model_dir, "verify")
    os.makedirs(out_dir, exist_ok=True)
    items = []
    for p in PLAIN:
        items.append({"kind": "plain", "text": p})
    for pre, suf in FIM:
        items.append({"kind": "fim", "prefix": pre, "suffix": suf, "text": fim_prompt(pre, suf)})
    for u in CHAT:
        items.append({"kind": "chat", "messages": [{"role": "user", "content": u}], "text": chat_prompt(u)})
    for it in items:
        it["ids"] = enc.encode(it["text"])
        it["greedy"], it["margins"] = greedy(model, it["ids"], args.tokens)
        it["completion"] = enc.decode(it["greedy"])
    onnx_path = os.path.join(args.model_dir, "onnx", "model.onnx")
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest() if os.path.exists(onnx_path) else None
    with open(os.path.join(out_dir, "greedy.json"), "w", encoding="utf-8") as f:
        json.dump({"note": "torch greedy decoding, no stop at EOS; margins are top1-top2 logits per step",
                   "model_onnx_sha256": sha, "checkpoint_step": ck.get("step"), "tokens": args.tokens,
                   "prompts": items}, f, ensure_ascii=False, indent=1)
    # tokenizer golden: held-out files
    files = [json.loads(l) for l in open(os.path.join(args.corpus, "files.jsonl"), encoding="utf-8")]
    valid = [f for f in files if f["split"] == "valid"]
    picked, n = [], 0
    by_lang = {}
    for f in valid:
        size = len(f["text"].encode())
        if size > 40_000:
            continue
        # keep a mix of languages
        if by_lang.get(f["lang"], 0) > args.tok_bytes // 2:
            continue
        picked.append({"path": f["path"], "lang": f["lang"], "text": f["text"], "ids": enc.encode(f["text"])})
        by_lang[f["lang"]] = by_lang.get(f["lang"], 0) + size
        n += size
        if n >= args.tok_bytes:
            break
    with open(os.path.join(out_dir, "tokenizer_golden.json"), "w", encoding="utf-8") as f:
        json.dump({"note": "ids from tools/model/bpe.py (Encoder.encode) on held-out validation files",
                   "files": picked}, f, ensure_ascii=False, separators=(",", ":"))
    print(f"greedy prompts {len(items)}; tokenizer golden {len(picked)} files, {n} bytes, "
          f"{sum(len(p['ids']) for p in picked)} tokens")


if __name__ == "__main__":
    main()
