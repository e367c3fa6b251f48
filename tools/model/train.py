#!/usr/bin/python3
"""Train the Qwen2-style code model on the CPU with a wall-clock budget.

The learning rate follows warmup -> constant -> linear decay, where the decay
phase is placed by elapsed wall time (the last --decay-frac of --minutes), so a
run always ends annealed at its time budget.  Checkpoints (latest and best by
validation loss) are written every --eval-every-min minutes.
Run with OPENBLAS_NUM_THREADS=2 (torch itself uses one thread).
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
from model import Config, Qwen2, count_params  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=90)
    ap.add_argument("--max-steps", type=int, default=0)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr-frac", type=float, default=0.05)
    ap.add_argument("--warmup", type=int, default=150)
    ap.add_argument("--decay-frac", type=float, default=0.35)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--eval-every-min", type=float, default=8)
    ap.add_argument("--eval-windows", type=int, default=48)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--inter", type=int, default=576)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    random.seed(args.seed)

    stats = json.load(open(os.path.join(args.data, "stats.json")))
    c = Config(vocab_size=stats["vocab_size"], hidden_size=args.hidden, intermediate_size=args.inter,
               num_hidden_layers=args.layers, num_attention_heads=args.heads, num_key_value_heads=args.kv_heads)
    model = Qwen2(c)
    n_params = count_params(model)
    train = np.memmap(os.path.join(args.data, "train.bin"), dtype=np.uint16, mode="r")
    valid = np.fromfile(os.path.join(args.data, "valid.bin"), dtype=np.uint16)
    vrng = np.random.default_rng(99)
    vstarts = np.sort(vrng.integers(0, len(valid) - args.seq - 1, size=args.eval_windows))

    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (decay if p.dim() >= 2 else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    log = open(os.path.join(args.out, "train.log"), "a")

    def say(s):
        line = time.strftime("%H:%M:%S ") + s
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    say(f"config {json.dumps(c.to_dict())} params {n_params} args {json.dumps(vars(args))}")
    say(f"train tokens {len(train)} valid tokens {len(valid)}")

    @torch.no_grad()
    def evaluate():
        model.eval()
        tot, n = 0.0, 0
        for i in range(0, len(vstarts), 8):
            xs = np.stack([valid[s:s + args.seq + 1].astype(np.int64) for s in vstarts[i:i + 8]])
            x = torch.from_numpy(xs)
            logits = model(x[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, c.vocab_size), x[:, 1:].reshape(-1), reduction="sum")
            tot += loss.item()
            n += x[:, 1:].numel()
        model.train()
        return tot / n

    budget = args.minutes * 60
    t0 = time.time()
    last_eval = t0
    best = float("inf")
    step = 0
    tokens = 0
    ema = None
    history = []

    def save(name, vloss):
        torch.save({"config": c.to_dict(), "model": model.state_dict(), "step": step, "tokens": tokens,
                    "val_loss": vloss, "elapsed_s": time.time() - t0, "args": vars(args), "params": n_params},
                   os.path.join(args.out, name + ".tmp"))
        os.replace(os.path.join(args.out, name + ".tmp"), os.path.join(args.out, name))

    model.train()
    while True:
        elapsed = time.time() - t0
        frac = elapsed / budget
        if frac >= 1.0 or (args.max_steps and step >= args.max_steps):
            break
        if step < args.warmup:
            lr = args.lr * (step + 1) / args.warmup
        elif frac < 1 - args.decay_frac:
            lr = args.lr
        else:
            d = (frac - (1 - args.decay_frac)) / args.decay_frac
            lr = args.lr * (1 - d * (1 - args.min_lr_frac))
        for g in opt.param_groups:
            g["lr"] = lr
        starts = rng.integers(0, len(train) - args.seq - 1, size=args.batch)
        xs = np.stack([train[s:s + args.seq + 1].astype(np.int64) for s in starts])
        x = torch.from_numpy(xs)
        logits = model(x[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, c.vocab_size), x[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        tokens += args.batch * args.seq
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 20 == 0:
            el = time.time() - t0
            say(f"step {step} tokens {tokens} loss {ema:.4f} lr {lr:.2e} tok/s {tokens / el:.0f} elapsed {el / 60:.1f}m")
        now = time.time()
        if now - last_eval >= args.eval_every_min * 60:
            last_eval = now
            v = evaluate()
            history.append({"step": step, "tokens": tokens, "elapsed_min": round((now - t0) / 60, 2), "val_loss": v})
            say(f"eval step {step} tokens {tokens} val_loss {v:.4f}")
            save("latest.pt", v)
            if v < best:
                best = v
                save("best.pt", v)
    v = evaluate()
    history.append({"step": step, "tokens": tokens, "elapsed_min": round((time.time() - t0) / 60, 2), "val_loss": v})
    say(f"final step {step} tokens {tokens} val_loss {v:.4f} wall {(time.time() - t0) / 60:.1f}m")
    save("latest.pt", v)
    save("final.pt", v)
    if v < best:
        save("best.pt", v)
    json.dump({"history": history, "steps": step, "tokens": tokens, "wall_s": time.time() - t0, "params": n_params,
               "config": c.to_dict(), "args": vars(args)}, open(os.path.join(args.out, "summary.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
