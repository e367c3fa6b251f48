#!/usr/bin/python3
"""Train the tokenizer and turn the corpus into training token streams.

Training stream (train.bin, uint16): every training file is cut into chunks at
line boundaries; each chunk becomes, with fixed seeds,
  * a fill-in-the-middle sample (probability --fim-rate), in Qwen2.5-Coder's PSM form
        <|fim_prefix|>P<|fim_suffix|>S<|fim_middle|>M<|endoftext|>
    or (share --spm-rate of the FIM samples) in SPM form, which puts the text after the
    cursor first so that a prompt keeps its cached keys and values while the user types:
        <|fim_suffix|>S<|fim_prefix|>P<|fim_middle|>M<|endoftext|>
  * otherwise plain text followed by <|endoftext|>.
Chat samples (ChatML) are derived from JS/TS doc comments followed by a
function: the doc comment text is the user turn, the function the assistant
turn.  They make up about --chat-rate of the stream.
Validation files are encoded plainly (valid.bin + valid_index.json).
"""
import argparse
import json
import os
import random
import re
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402

FENCE = {"typescript": "ts", "javascript": "js", "python": "python"}


def chunk_lines(text, max_chars):
    lines = text.splitlines(keepends=True)
    cur = []
    n = 0
    for l in lines:
        if n + len(l) > max_chars and cur:
            yield "".join(cur)
            cur, n = [], 0
        cur.append(l)
        n += len(l)
    if cur:
        yield "".join(cur)


DOC_FN = re.compile(
    r"/\*\*((?:[^*]|\*(?!/)){20,600})\*/\s*\n([ \t]*)((?:export\s+)?(?:default\s+)?(?:async\s+)?function\*?\s*[A-Za-z_$][\w$]*\s*(?:<[^>\n]*>)?\s*\()"
)


def clean_doc(doc):
    lines = []
    for l in doc.split("\n"):
        l = l.strip()
        if l.startswith("*"):
            l = l[1:].strip()
        if l.startswith("@"):
            break
        lines.append(l)
    s = " ".join(x for x in lines if x).strip()
    return s


def extract_chat(text, lang):
    out = []
    for m in DOC_FN.finditer(text):
        desc = clean_doc(m.group(1))
        if len(desc) < 15:
            continue
        start = m.start(3)
        depth = 0
        i = text.find("{", m.end(3))
        if i < 0 or i - m.end(3) > 300:
            continue
        end = None
        j = i
        while j < len(text) and j - start < 2500:
            c = text[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    end = j + 1
                    break
            j += 1
        if end is None:
            continue
        body = m.group(2) + text[start:end]
        # dedent
        ind = len(m.group(2))
        body = "\n".join(l[ind:] if l[:ind].strip() == "" else l for l in body.split("\n"))
        lang_name = "TypeScript" if lang == "typescript" else "JavaScript"
        user = f"Write a {lang_name} function: {desc}"
        out.append((user, f"```{FENCE[lang]}\n{body}\n```"))
    return out


def chat_ids(enc, sp, user, assistant):
    ids = [sp["<|im_start|>"]] + enc.encode_ordinary("system\n" + bpe.DEFAULT_SYSTEM) + [sp["<|im_end|>"]] + enc.encode_ordinary("\n")
    ids += [sp["<|im_start|>"]] + enc.encode_ordinary("user\n" + user) + [sp["<|im_end|>"]] + enc.encode_ordinary("\n")
    ids += [sp["<|im_start|>"]] + enc.encode_ordinary("assistant\n" + assistant) + [sp["<|im_end|>"]] + enc.encode_ordinary("\n")
    ids.append(sp["<|endoftext|>"])
    return ids


def fim_ids(enc, sp, text, rng, spm=False):
    """PSM (or SPM) fill-in-the-middle on character boundaries; half the time the middle is whole lines."""
    n = len(text)
    if rng.random() < 0.5:
        # middle = 1..8 whole lines
        starts = [0] + [m.end() for m in re.finditer("\n", text) if m.end() < n]
        if len(starts) >= 2:
            a = rng.randrange(len(starts))
            k = rng.randint(1, 8)
            b = a + k
            i = starts[a]
            j = starts[b] if b < len(starts) else n
        else:
            i, j = sorted(rng.sample(range(n + 1), 2))
    else:
        i, j = sorted(rng.sample(range(n + 1), 2))
    pre, mid, suf = text[:i], text[i:j], text[j:]
    if spm:
        return ([sp["<|fim_suffix|>"]] + enc.encode_ordinary(suf) + [sp["<|fim_prefix|>"]] + enc.encode_ordinary(pre)
                + [sp["<|fim_middle|>"]] + enc.encode_ordinary(mid) + [sp["<|endoftext|>"]])
    return ([sp["<|fim_prefix|>"]] + enc.encode_ordinary(pre) + [sp["<|fim_suffix|>"]] + enc.encode_ordinary(suf)
            + [sp["<|fim_middle|>"]] + enc.encode_ordinary(mid) + [sp["<|endoftext|>"]])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tokenizer-dir", required=True)
    ap.add_argument("--vocab-size", type=int, default=8192)
    ap.add_argument("--bpe-sample-bytes", type=int, default=12_000_000)
    ap.add_argument("--chunk-chars", type=int, default=1400)
    ap.add_argument("--fim-rate", type=float, default=0.5)
    ap.add_argument("--spm-rate", type=float, default=0.5, help="share of FIM samples in SPM form")
    ap.add_argument("--chat-rate", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--skip-train-tokenizer", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    files = [json.loads(l) for l in open(os.path.join(args.corpus, "files.jsonl"), encoding="utf-8")]
    train_files = [f for f in files if f["split"] == "train"]
    valid_files = [f for f in files if f["split"] == "valid"]
    rng = random.Random(args.seed)

    tok_path = os.path.join(args.tokenizer_dir, "tokenizer.json")
    if not args.skip_train_tokenizer:
        order = list(range(len(train_files)))
        rng.shuffle(order)
        sample, n = [], 0
        for i in order:
            sample.append(train_files[i]["text"])
            n += len(train_files[i]["text"])
            if n >= args.bpe_sample_bytes:
                break
        vocab, merges = bpe.train(sample, args.vocab_size, log=lambda s: print(s, flush=True))
        bpe.save_hf(vocab, merges, args.tokenizer_dir)
        print(f"tokenizer: {len(vocab)} tokens, {time.time() - t0:.0f}s", flush=True)
    enc = bpe.Encoder(tok_path)
    sp = enc.special

    # validation: plain encoding per file
    vids = []
    index = []
    for f in valid_files:
        ids = enc.encode_ordinary(f["text"])
        index.append({"path": f["path"], "lang": f["lang"], "start": len(vids), "len": len(ids),
                      "bytes": len(f["text"].encode("utf-8"))})
        vids.extend(ids)
    np.array(vids, dtype=np.uint16).tofile(os.path.join(args.out, "valid.bin"))
    with open(os.path.join(args.out, "valid_index.json"), "w") as fo:
        json.dump(index, fo)
    vbytes = sum(x["bytes"] for x in index)
    print(f"valid: {len(valid_files)} files, {vbytes} bytes, {len(vids)} tokens, {vbytes / len(vids):.3f} bytes/token", flush=True)

    # training stream
    rng = random.Random(args.seed + 7)
    order = list(range(len(train_files)))
    rng.shuffle(order)
    samples = []
    n_tokens = 0
    n_bytes = 0
    n_plain_tokens = 0
    chats = []
    kinds = {"plain": 0, "fim": 0, "fim_spm": 0, "chat": 0}
    for k, i in enumerate(order):
        f = train_files[i]
        text = f["text"]
        n_bytes += len(text.encode("utf-8"))
        if f["lang"] in ("typescript", "javascript") and "/**" in text:
            chats.extend(extract_chat(text, f["lang"]))
        for ch in chunk_lines(text, args.chunk_chars):
            if rng.random() < args.fim_rate and len(ch) > 20:
                spm = rng.random() < args.spm_rate
                ids = fim_ids(enc, sp, ch, rng, spm)
                kinds["fim_spm" if spm else "fim"] += 1
            else:
                ids = enc.encode_ordinary(ch) + [sp["<|endoftext|>"]]
                kinds["plain"] += 1
            samples.append(ids)
            n_tokens += len(ids)
        if k % 2000 == 0:
            print(f"encode: {k}/{len(order)} files, {n_tokens} tokens, {time.time() - t0:.0f}s", flush=True)
    # chat samples: dedupe, then add up to chat_rate of the stream
    seen = set()
    uniq = []
    for u, a in chats:
        if (u, a) in seen:
            continue
        seen.add((u, a))
        uniq.append((u, a))
    rng.shuffle(uniq)
    chat_budget = int(n_tokens * args.chat_rate / (1 - args.chat_rate))
    chat_samples = []
    ct = 0
    for u, a in uniq:
        ids = chat_ids(enc, sp, u, a)
        chat_samples.append(ids)
        ct += len(ids)
        if ct >= chat_budget:
            break
    # repeat chat samples if there are too few to reach the share
    base_chat = list(chat_samples)
    while ct < chat_budget and base_chat:
        for ids in base_chat:
            chat_samples.append(ids)
            ct += len(ids)
            if ct >= chat_budget:
                break
    kinds["chat"] = len(chat_samples)
    samples.extend(chat_samples)
    rng.shuffle(samples)
    arr = np.fromiter((t for s in samples for t in s), dtype=np.uint16)
    arr.tofile(os.path.join(args.out, "train.bin"))
    stats = {"train_files": len(train_files), "train_bytes": n_bytes, "train_tokens": int(arr.size),
             "chat_unique": len(uniq), "chat_tokens": ct, "samples": kinds,
             "valid_files": len(valid_files), "valid_bytes": vbytes, "valid_tokens": len(vids),
             "vocab_size": len(enc.vocab) + len(sp), "seconds": round(time.time() - t0, 1)}
    with open(os.path.join(args.out, "stats.json"), "w") as fo:
        json.dump(stats, fo, indent=1)
    print(json.dumps(stats, indent=1), flush=True)


if __name__ == "__main__":
    main()
