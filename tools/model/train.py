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
    ap.add_argument("--resume", default=None, help="continue from a checkpoint (weights, counters, history; "
                    "optimizer state when the checkpoint has it); --minutes is then the budget of this segment")
    ap.add_argument("--resume-warmup", type=int, default=30)
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
    resumed = None
    if args.resume:
        resumed = torch.load(args.resume, map_location="cpu")
        c = Config.from_dict(resumed["config"])
        model = Qwen2(c)
        model.load_state_dict(resumed["model"])
        rng = np.random.default_rng(args.seed + int(resumed["step"]))
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
    if resumed is not None and "optimizer" in resumed:
        opt.load_state_dict(resumed["optimizer"])
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
    prior_s = 0.0  # wall time of earlier segments
    segments = []
    start_step = 0
    if resumed is not None:
        step = start_step = int(resumed["step"])
        tokens = int(resumed["tokens"])
        prior_s = float(resumed["elapsed_s"])
        history = list(resumed.get("history", []))
        if not history and os.path.exists(os.path.join(args.out, "train.log")):
            # checkpoints written before history was stored: recover it from the log
            def secs(hms):
                h, m, s_ = (int(x) for x in hms.split(":"))
                return h * 3600 + m * 60 + s_
            first = None
            for line in open(os.path.join(args.out, "train.log")):
                p = line.split()
                if first is None and len(p) > 1 and p[1] == "config":
                    first = secs(p[0])
                if len(p) >= 8 and p[1] == "eval" and int(p[3]) <= step:
                    el = (secs(p[0]) - first) % 86400 / 60 if first is not None else None
                    history.append({"step": int(p[3]), "tokens": int(p[5]), "val_loss": float(p[7]),
                                    "elapsed_min": round(el, 2) if el is not None else None})
        segments = list(resumed.get("segments", []))
        best = float(resumed.get("best", resumed.get("val_loss") or float("inf")))
        say(f"resumed from {args.resume}: step {step} tokens {tokens} elapsed {prior_s / 60:.1f}m "
            f"optimizer state {'yes' if 'optimizer' in resumed else 'no'}")
    segments.append({"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t0)), "minutes_budget": args.minutes,
                     "start_step": step})

    def save(name, vloss):
        torch.save({"config": c.to_dict(), "model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                    "tokens": tokens, "val_loss": vloss, "elapsed_s": prior_s + time.time() - t0, "args": vars(args),
                    "params": n_params, "history": history, "segments": segments, "best": best},
                   os.path.join(args.out, name + ".tmp"))
        os.replace(os.path.join(args.out, name + ".tmp"), os.path.join(args.out, name))

    tokens0 = tokens
    model.train()
    while True:
        elapsed = time.time() - t0
        frac = elapsed / budget
        if frac >= 1.0 or (args.max_steps and step >= args.max_steps):
            break
        if resumed is None and step < args.warmup:
            lr = args.lr * (step + 1) / args.warmup
        elif resumed is not None and step - start_step < args.resume_warmup and "optimizer" not in resumed:
            lr = args.lr * (step - start_step + 1) / args.resume_warmup
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
            say(f"step {step} tokens {tokens} loss {ema:.4f} lr {lr:.2e} tok/s {(tokens - tokens0) / el:.0f} elapsed {(prior_s + el) / 60:.1f}m")
        now = time.time()
        if now - last_eval >= args.eval_every_min * 60:
            last_eval = now
            v = evaluate()
            history.append({"step": step, "tokens": tokens, "elapsed_min": round((prior_s + now - t0) / 60, 2), "val_loss": v})
            say(f"eval step {step} tokens {tokens} val_loss {v:.4f}")
            save("latest.pt", v)
            if v < best:
                best = v
                save("best.pt", v)
    v = evaluate()
    history.append({"step": step, "tokens": tokens, "elapsed_min": round((prior_s + time.time() - t0) / 60, 2), "val_loss": v})
    segments[-1]["end_step"] = step
    segments[-1]["minutes"] = round((time.time() - t0) / 60, 2)
    say(f"final step {step} tokens {tokens} val_loss {v:.4f} wall {(prior_s + time.time() - t0) / 60:.1f}m")
    save("latest.pt", v)
    save("final.pt", v)
    if v < best:
        save("best.pt", v)
    json.dump({"history": history, "steps": step, "tokens": tokens, "wall_s": prior_s + time.time() - t0, "params": n_params,
               "config": c.to_dict(), "args": vars(args), "segments": segments}, open(os.path.join(args.out, "summary.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
