#!/usr/bin/python3
"""Byte-level BPE (GPT-2 split pattern): trainer, encoder and Hugging Face tokenizer.json writer."""
import heapq
import json
import os
from collections import Counter

import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
PAT = regex.compile(GPT2_PATTERN)

# Same names and relative order as Qwen2.5-Coder's added tokens.
SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
]

CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{%- if loop.first and message['role'] != 'system' %}"
    "{{- '<|im_start|>system\\nYou are a helpful coding assistant.<|im_end|>\\n' }}"
    "{%- endif %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- endif %}"
)
DEFAULT_SYSTEM = "You are a helpful coding assistant."


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


B2U = bytes_to_unicode()
U2B = {v: k for k, v in B2U.items()}


def to_unicode(s):
    return "".join(B2U[b] for b in s.encode("utf-8"))


def train(texts, vocab_size, min_freq=2, log=print):
    """Return (vocab list of token strings in id order, merges list of (a, b))."""
    wc = Counter()
    for t in texts:
        wc.update(PAT.findall(t))
    base = [B2U[b] for b in range(256)]
    sym_id = {s: i for i, s in enumerate(base)}
    symbols = list(base)
    words, freqs = [], []
    for w, f in wc.items():
        if f < min_freq:
            continue
        u = to_unicode(w)
        words.append([sym_id[c] for c in u])
        freqs.append(f)
    log(f"bpe: {len(wc)} distinct words, {len(words)} kept")
    counts = Counter()
    where = {}
    for i, w in enumerate(words):
        f = freqs[i]
        for p in zip(w, w[1:]):
            counts[p] += f
            where.setdefault(p, set()).add(i)
    heap = [(-c, symbols[p[0]], symbols[p[1]], p) for p, c in counts.items()]
    heapq.heapify(heap)
    merges = []
    n_merges = vocab_size - 256 - len(SPECIAL_TOKENS)
    while len(merges) < n_merges and heap:
        negc, _, _, pair = heapq.heappop(heap)
        cur = counts.get(pair, 0)
        if cur <= 0:
            continue
        if -negc != cur:
            heapq.heappush(heap, (-cur, symbols[pair[0]], symbols[pair[1]], pair))
            continue
        a, b = pair
        new = len(symbols)
        symbols.append(symbols[a] + symbols[b])
        merges.append((symbols[a], symbols[b]))
        changed = set()
        for i in list(where.get(pair, ())):
            w = words[i]
            f = freqs[i]
            j = 0
            out = []
            hit = False
            while j < len(w):
                if j + 1 < len(w) and w[j] == a and w[j + 1] == b:
                    out.append(new)
                    j += 2
                    hit = True
                else:
                    out.append(w[j])
                    j += 1
            if not hit:
                continue
            for p in zip(w, w[1:]):
                counts[p] -= f
                changed.add(p)
            for p in zip(out, out[1:]):
                counts[p] += f
                where.setdefault(p, set()).add(i)
                changed.add(p)
            words[i] = out
        counts.pop(pair, None)
        where.pop(pair, None)
        for p in changed:
            c = counts.get(p, 0)
            if c > 0 and p != pair:
                heapq.heappush(heap, (-c, symbols[p[0]], symbols[p[1]], p))
        if len(merges) % 1000 == 0:
            log(f"bpe: {len(merges)} merges")
    vocab = symbols + SPECIAL_TOKENS
    return vocab, merges


def save_hf(vocab, merges, out_dir, model_max_length=2048):
    os.makedirs(out_dir, exist_ok=True)
    n_normal = len(vocab) - len(SPECIAL_TOKENS)
    added = []
    for i, t in enumerate(SPECIAL_TOKENS):
        added.append({"id": n_normal + i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": True})
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {t: i for i, t in enumerate(vocab[:n_normal])},
            "merges": [a + " " + b for a, b in merges],
        },
    }
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    decoder = {}
    for a in added:
        decoder[str(a["id"])] = {k: a[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
    cfg = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": decoder,
        "additional_special_tokens": [t for t in SPECIAL_TOKENS if t != "<|endoftext|>"],
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|endoftext|>",
        "errors": "replace",
        "model_max_length": model_max_length,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=2, ensure_ascii=False)
    with open(os.path.join(out_dir, "special_tokens_map.json"), "w", encoding="utf-8") as f:
        json.dump({"additional_special_tokens": cfg["additional_special_tokens"],
                   "eos_token": {"content": "<|endoftext|>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
                   "pad_token": {"content": "<|endoftext|>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False}},
                  f, indent=2)


class Encoder:
    def __init__(self, tokenizer_json):
        with open(tokenizer_json, encoding="utf-8") as f:
            tok = json.load(f)
        self.vocab = tok["model"]["vocab"]
        self.id_to_tok = {i: t for t, i in self.vocab.items()}
        self.ranks = {tuple(m.split(" ")): i for i, m in enumerate(tok["model"]["merges"])}
        self.special = {a["content"]: a["id"] for a in tok["added_tokens"]}
        for t, i in self.special.items():
            self.id_to_tok[i] = t
        self.special_re = regex.compile("(" + "|".join(regex.escape(s) for s in self.special) + ")")
        self.cache = {}

    def bpe(self, u):
        word = list(u)
        ranks = self.ranks
        while len(word) > 1:
            best = None
            br = None
            for i in range(len(word) - 1):
                r = ranks.get((word[i], word[i + 1]))
                if r is not None and (br is None or r < br):
                    br = r
                    best = i
            if best is None:
                break
            a, b = word[best], word[best + 1]
            out = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        return [self.vocab[t] for t in word]

    def encode_ordinary(self, text):
        ids = []
        cache = self.cache
        for w in PAT.findall(text):
            r = cache.get(w)
            if r is None:
                r = self.bpe(to_unicode(w))
                if len(cache) < 2_000_000:
                    cache[w] = r
            ids.extend(r)
        return ids

    def encode(self, text):
        """Like the Hugging Face tokenizer: special token strings become their ids."""
        ids = []
        for part in self.special_re.split(text):
            if not part:
                continue
            if part in self.special:
                ids.append(self.special[part])
            else:
                ids.extend(self.encode_ordinary(part))
        return ids

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            t = self.id_to_tok[i]
            if t in self.special:
                out += t.encode()
            else:
                out += bytes(U2B[c] for c in t)
        return out.decode("utf-8", errors="replace")
