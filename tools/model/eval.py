#!/usr/bin/python3
"""Measure a checkpoint on the held-out validation files.

* validation loss (nats/token) and bits per byte over every validation file: each file
  is prefixed with <|endoftext|> (as in training) and scored in windows of --ctx tokens
  (one token of overlap), so every token of every file is predicted;
* next-line exact match: for --lines random non-blank lines, the model sees up to
  --prompt-tokens tokens before the line and decodes greedily until a newline; exact
  match of the line (trailing whitespace ignored);
* FIM middle-line exact match: the same kind of line is removed and the model gets
  <|fim_prefix|>before<|fim_suffix|>after<|fim_middle|> (PSM) and, on the same lines,
  <|fim_suffix|>after<|fim_prefix|>before<|fim_middle|> (SPM, the editor's format for this
  model) and decodes until <|endoftext|>.
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
from model import load_checkpoint  # noqa: E402


@torch.no_grad()
def score(model, enc, files, ctx, eos):
    tot_nats, tot_tokens, tot_bytes = 0.0, 0, 0
    by_lang = {}
    tok_bytes = {}
    for f in files:
        ids = [eos] + enc.encode_ordinary(f["text"])
        nats = 0.0
        for s in range(0, len(ids) - 1, ctx):
            w = ids[s:s + ctx + 1]
            x = torch.tensor([w])
            logits = model(x[:, :-1])
            nats += F.cross_entropy(logits[0], x[0, 1:], reduction="sum").item()
        n = len(ids) - 1
        b = len(f["text"].encode("utf-8"))
        tot_nats += nats
        tot_tokens += n
        tot_bytes += b
        l = by_lang.setdefault(f["lang"], [0.0, 0, 0])
        l[0] += nats
        l[1] += n
        l[2] += b
    res = {"val_loss_nats_per_token": tot_nats / tot_tokens, "bits_per_byte": tot_nats / math.log(2) / tot_bytes,
           "tokens": tot_tokens, "bytes": tot_bytes, "bytes_per_token": tot_bytes / tot_tokens, "files": len(files),
           "by_language": {k: {"val_loss": v[0] / v[1], "bits_per_byte": v[0] / math.log(2) / v[2], "tokens": v[1], "bytes": v[2]}
                           for k, v in sorted(by_lang.items())}}
    return res


@torch.no_grad()
def greedy_until(model, ids, stop_fn, max_new):
    c = model.c
    past = [(torch.zeros(1, c.num_key_value_heads, 0, c.head_dim), torch.zeros(1, c.num_key_value_heads, 0, c.head_dim))
            for _ in range(c.num_hidden_layers)]
    x = torch.tensor([ids])
    mask = torch.ones(1, len(ids), dtype=torch.long)
    pos = torch.arange(len(ids)).unsqueeze(0)
    out = []
    for _ in range(max_new):
        logits, past = model.forward_cached(x, mask, pos, past)
        t = int(logits[0, -1].argmax())
        out.append(t)
        if stop_fn(out):
            break
        n = mask.shape[1]
        x = torch.tensor([[t]])
        pos = torch.tensor([[n]])
        mask = torch.ones(1, n + 1, dtype=torch.long)
    return out


def pick_lines(files, n, rng):
    cands = []
    for fi, f in enumerate(files):
        lines = f["text"].split("\n")
        off = 0
        for li, l in enumerate(lines):
            if li > 0 and l.strip() and len(l.strip()) >= 2 and li < len(lines) - 1:
                cands.append((fi, off, l))
            off += len(l) + 1
    rng.shuffle(cands)
    return cands[:n]


def next_line(model, enc, files, args, eos):
    """Next-line exact match: greedy from up to --prompt-tokens tokens before a random line to the newline."""
    nl = set(i for t, i in enc.vocab.items() if "Ċ" in t)  # tokens containing a newline byte
    lines = pick_lines(files, args.lines, random.Random(args.seed))
    hits = 0
    by_lang = {}
    for fi, off, line in lines:
        before = files[fi]["text"][:off]
        ids = enc.encode_ordinary(before)[-args.prompt_tokens:]
        out = greedy_until(model, ids, lambda o: o[-1] in nl or o[-1] == eos, 64)
        text = enc.decode([t for t in out if t != eos])
        pred = text.split("\n")[0]
        ok = pred.rstrip() == line.rstrip()
        hits += ok
        l = by_lang.setdefault(files[fi]["lang"], [0, 0])
        l[0] += ok
        l[1] += 1
    return {"n": len(lines), "hits": hits, "rate": hits / max(1, len(lines)),
            "by_language": {k: {"n": v[1], "rate": v[0] / v[1]} for k, v in sorted(by_lang.items())},
            "prompt_tokens": args.prompt_tokens}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--lines", type=int, default=500)
    ap.add_argument("--fim", type=int, default=500)
    ap.add_argument("--prompt-tokens", type=int, default=384)
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--max-files", type=int, default=0)
    ap.add_argument("--fim-only", action="store_true", help="measure only fill-in-the-middle and update --out in place")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.time()
    model, ck = load_checkpoint(args.checkpoint)
    enc = bpe.Encoder(args.tokenizer)
    sp = enc.special
    eos = sp["<|endoftext|>"]
    files = [json.loads(l) for l in open(os.path.join(args.corpus, "files.jsonl"), encoding="utf-8")]
    files = [f for f in files if f["split"] == "valid"]
    if args.max_files:
        files = files[:args.max_files]
    res = {"checkpoint": {k: ck.get(k) for k in ("step", "tokens", "val_loss", "elapsed_s", "params")}}
    if args.fim_only:
        res = json.load(open(args.out))
    else:
        res["score"] = score(model, enc, files, args.ctx, eos)
        print(json.dumps(res["score"], indent=1), flush=True)
        res["next_line_exact_match"] = next_line(model, enc, files, args, eos)
        print(json.dumps(res["next_line_exact_match"]), flush=True)

    # FIM middle-line exact match, PSM and SPM on the same lines
    lines = pick_lines(files, args.fim, random.Random(args.seed + 1))
    for key, spm in (("fim_middle_line_exact_match", False), ("fim_spm_middle_line_exact_match", True)):
        hits = 0
        first_hits = 0
        by_lang = {}
        for fi, off, line in lines:
            text = files[fi]["text"]
            before = text[:off]
            after = text[off + len(line) + 1:]
            pre = enc.encode_ordinary(before)[-(args.prompt_tokens * 2 // 3):]
            suf = enc.encode_ordinary(after)[:args.prompt_tokens // 3]
            if spm:
                ids = [sp["<|fim_suffix|>"]] + suf + [sp["<|fim_prefix|>"]] + pre + [sp["<|fim_middle|>"]]
            else:
                ids = [sp["<|fim_prefix|>"]] + pre + [sp["<|fim_suffix|>"]] + suf + [sp["<|fim_middle|>"]]
            out = greedy_until(model, ids, lambda o: o[-1] == eos, 64)
            mid = enc.decode([t for t in out if t != eos])
            # strict: the whole middle is the removed line; first line: what a one-line completion would show
            ok = mid.rstrip("\n").rstrip() == line.rstrip()
            first_ok = mid.split("\n")[0].rstrip() == line.rstrip()
            hits += ok
            first_hits += first_ok
            l = by_lang.setdefault(files[fi]["lang"], [0, 0, 0])
            l[0] += ok
            l[1] += 1
            l[2] += first_ok
        res[key] = {"n": len(lines), "hits": hits, "rate": hits / max(1, len(lines)),
                    "first_line_hits": first_hits, "first_line_rate": first_hits / max(1, len(lines)),
                    "by_language": {k: {"n": v[1], "rate": v[0] / v[1], "first_line_rate": v[2] / v[1]} for k, v in sorted(by_lang.items())}}
        print(key, json.dumps(res[key]), flush=True)
    res["eval_seconds"] = round(time.time() - t0, 1)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
