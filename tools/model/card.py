#!/usr/bin/python3
"""Write models/autoglm-coder/README.md (model card), PROVENANCE.md and provenance.json
from the measured artefacts: corpus provenance, data stats, training summary, eval.json,
the golden greedy samples and the file sizes.  Every number comes from those files."""
import argparse
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402

SAMPLE_PICKS = [0, 4, 14, 16, 20]


def mb(n):
    return f"{n / 1e6:.1f} MB"


def fence(text):
    return "````text\n" + text + "\n````"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--model-dir", required=True)
    ap.add_argument("--eval", default=None)
    ap.add_argument("--run", default=None, help="training folder (default WORK/run)")
    ap.add_argument("--extra", default=None, help="optional JSON with extra measured facts (e.g. ORT agreement)")
    args = ap.parse_args()
    W, M = args.work, args.model_dir
    run = args.run or os.path.join(W, "run")
    prov = json.load(open(os.path.join(W, "corpus", "provenance.json")))
    stats = json.load(open(os.path.join(W, "data", "stats.json")))
    cfg = json.load(open(os.path.join(M, "config.json")))
    summ_p = os.path.join(run, "summary.json")
    summ = json.load(open(summ_p)) if os.path.exists(summ_p) else None
    ev = json.load(open(args.eval)) if args.eval and os.path.exists(args.eval) else None
    extra = json.load(open(args.extra)) if args.extra and os.path.exists(args.extra) else {}
    greedy = json.load(open(os.path.join(M, "verify", "greedy.json")))

    # provenance files
    shutil.copy(os.path.join(W, "corpus", "provenance.json"), os.path.join(M, "provenance.json"))
    s = prov["summary"]
    lines = ["# Corpus provenance", "",
             "Sources of the training corpus of `autoglm-coder`, as recorded by `tools/model/corpus.py`.",
             "npm packages: licence read from each package's `package.json` (only MIT, ISC, Apache-2.0, BSD-*, 0BSD kept).",
             "Debian Python packages: upstream licence listed in `corpus.py`, version from `dpkg-query`; the Python",
             "standard library is under the PSF-2.0 licence (permissive).", "",
             f"Files: {s['files']}, bytes: {s['bytes']}, packages: {s['packages']}, seed {s['seed']}, "
             f"validation share {s['valid_frac']}.", "",
             f"Packages skipped for their licence: {', '.join(f'{k} ({v})' for k, v in sorted(s['rejected_licences'].items())) or 'none'}.",
             "", "| package | version | licence | source | files | bytes |", "|---|---|---|---|---|---|"]
    for name, p in sorted(prov["packages"].items()):
        lines.append(f"| {name} | {p['version']} | {p['license']} | {p['source']} | {p['files']} | {p['bytes']} |")
    open(os.path.join(M, "PROVENANCE.md"), "w").write("\n".join(lines) + "\n")

    c = cfg
    hd = c["hidden_size"] // c["num_attention_heads"]
    emb = c["vocab_size"] * c["hidden_size"]
    params = summ["params"] if summ else None
    sizes = {}
    for f in ["model.onnx", "model_q4.onnx", "model_int8.onnx", "model_fp16.onnx"]:
        p = os.path.join(M, "onnx", f)
        if os.path.exists(p):
            sizes[f] = os.path.getsize(p)
    top = sorted(prov["packages"].items(), key=lambda kv: -kv[1]["bytes"])[:15]

    out = ["# autoglm-coder", "",
           "A small code model trained from scratch by this project on permissively licensed source code, "
           "shipped with Open AutoGLM so that the extension works offline and every engine test runs a real model. "
           "It uses the Qwen2 architecture and the same ONNX layout, tokenizer special tokens and prompt formats "
           "(fill-in-the-middle, ChatML) as Qwen2.5-Coder, so one loader serves both.", ""]
    if not ev:
        out += ["**Status: bootstrap.** These weights come from an early checkpoint of the training run "
                f"(step {greedy.get('checkpoint_step')}); quality numbers follow when the run ends. "
                "Folder layout, file names, inputs and outputs are final.", ""]
    out += ["## Architecture", "",
            "| | |", "|---|---|",
            "| type | decoder-only transformer, `model_type: qwen2` (RMSNorm, rotary position embeddings, SwiGLU MLP, grouped-query attention with q/k/v bias, tied input/output embeddings) |",
            f"| layers | {c['num_hidden_layers']} |",
            f"| hidden size | {c['hidden_size']} |",
            f"| attention heads / KV heads / head dim | {c['num_attention_heads']} / {c['num_key_value_heads']} / {hd} |",
            f"| MLP size | {c['intermediate_size']} |",
            f"| vocabulary | {c['vocab_size']} (byte-level BPE, GPT-2 split pattern, {len(bpe.SPECIAL_TOKENS)} special tokens) |",
            f"| RoPE theta | {c['rope_theta']} |",
            f"| trained context | {summ['args']['seq'] if summ else 512} tokens (`max_position_embeddings` {c['max_position_embeddings']}; beyond the trained context quality drops) |"]
    if params:
        out.append(f"| parameters | {params:,} ({emb:,} in the tied embedding, {params - emb:,} in the layers) |")
    out += ["", "Special tokens: " + ", ".join(f"`{t}`" for t in bpe.SPECIAL_TOKENS) +
            f". `<|endoftext|>` (id {c['eos_token_id']}) is EOS and padding; generation also stops at `<|im_end|>`.", "",
            "Prompt formats:", "",
            "- completion: plain text;",
            "- fill in the middle, PSM as Qwen2.5-Coder: `<|fim_prefix|>{before}<|fim_suffix|>{after}<|fim_middle|>` -> the middle, then `<|endoftext|>`;",
            "- fill in the middle, SPM: `<|fim_suffix|>{after}<|fim_prefix|>{before}<|fim_middle|>` -> the middle, then `<|endoftext|>`. "
            "The editor uses this form for this model (FIM family `autoglm-coder`): the text after the cursor comes first, so while the "
            "user types only the end of the prompt changes and the engine's prefix cache serves the rest;",
            "- chat: ChatML via `chat_template` in `tokenizer_config.json` (`<|im_start|>{role}\\n{content}<|im_end|>\\n`, generation prompt `<|im_start|>assistant\\n`, default system message \"You are a helpful coding assistant.\").", "",
            "## Files", "",
            "| file | size | what | batch-invariant |", "|---|---|---|---|"]
    desc = {"model.onnx": ("fp32, reference; used by the tests", "yes"),
            "model_q4.onnx": ("4-bit weights: `com.microsoft` MatMulNBits, block 32, asymmetric, fp32 scales; embedding lookup from an fp16 copy", "yes (left-padded batch of 8 == batch 1, tested)"),
            "model_int8.onnx": ("dynamic int8: DynamicQuantizeLinear + MatMulInteger, per-column weight scales; embedding shares the int8 tensor", "**no**: the activation scale is computed over the whole batch, so a row depends on its batch mates"),
            "model_fp16.onnx": ("fp16", "")}
    for f, n in sizes.items():
        d, b = desc[f]
        out.append(f"| `onnx/{f}` | {mb(n)} ({n:,} bytes) | {d} | {b} |")
    out += ["", f"All variants together: {mb(sum(sizes.values()))}. No fp16 variant is shipped: it would not fit the "
            "40 MB budget next to the other three (fp16 mainly pays off on GPUs).", "",
            "ONNX inputs: `input_ids`, `attention_mask`, `position_ids` (int64), `past_key_values.{i}.key|value` "
            f"(float32 `[batch, {c['num_key_value_heads']}, past, {hd}]`); outputs: `logits`, `present.{{i}}.key|value`. "
            "Batch, sequence, past and total lengths are dynamic; zero-length past tensors start a prefill. For left "
            "padding give pads `attention_mask` 0 and `position_ids = cumsum(mask) - 1` (pads 1).", "",
            "## Corpus", "",
            f"{s['files']:,} files, {mb(s['bytes'])} of text after filtering (exact and whitespace-normalised dedup by hash, "
            "minified/generated files dropped: lines over 400 characters or a mean over 100, inline source maps, `*.min.*`, "
            f"files under 200 bytes or over 400 KB), from {s['packages']} packages. By language: " +
            ", ".join(f"{k} {mb(v)}" for k, v in sorted(s["bytes_by_lang"].items())) + ".",
            f"Split by file with seed {s['seed']}: {stats['train_files']:,} training files ({stats['train_tokens']:,} tokens in the training "
            f"stream), {stats['valid_files']} held-out validation files ({mb(stats['valid_bytes'])}, {stats['valid_tokens']:,} tokens, "
            f"{stats['valid_bytes'] / stats['valid_tokens']:.2f} bytes/token).", "",
            "Sources: the JavaScript/TypeScript sources and type declarations inside permissively licensed npm packages "
            "(the repository's dependencies plus rxjs, zod, lodash-es, date-fns, immer, preact, vue, @angular/core, mobx, "
            "ramda, axios, express) and Python sources of permissively licensed Debian-packaged libraries and the Python "
            "standard library. Largest contributors: " + ", ".join(f"{n}@{p['version']} ({p['license']})" for n, p in top) +
            ". Every package with version and licence: [PROVENANCE.md](PROVENANCE.md) (`provenance.json`).", "",
            "Training stream: files cut at line boundaries into chunks of at most 1,400 characters; "
            f"{stats['samples']['fim'] + stats['samples'].get('fim_spm', 0):,} chunks as fill-in-the-middle samples (half of the chunks; "
            f"{stats['samples']['fim']:,} PSM, {stats['samples'].get('fim_spm', 0):,} SPM; the middle is 1-8 whole lines in half of them, "
            f"a random character span otherwise), {stats['samples']['plain']:,} as plain text, plus {stats['samples']['chat']:,} ChatML samples "
            f"({stats['chat_tokens']:,} tokens, ~5%) built from {stats['chat_unique']:,} JSDoc comments followed by a function "
            "(the comment is the user turn, the function in a code fence the assistant turn).", ""]
    if summ:
        a = summ["args"]
        out += ["## Training", "",
                f"CPU only (2 cores, torch 1.13 with OpenBLAS, `torch.set_num_threads(1)`, `OPENBLAS_NUM_THREADS=2`), seed {a['seed']}. "
                f"AdamW (betas 0.9/0.95, weight decay {a['wd']}), peak learning rate {a['lr']}, "
                + (f"{a['warmup']} warmup steps, constant, then linear decay to {a['min_lr_frac']}x over the last "
                   f"{int(a['decay_frac'] * 100)}% of a wall-clock budget of {a['minutes']:.0f} minutes; " if not a.get("resume") else
                   f"{a['resume_warmup']} warmup steps, constant, then linear decay to {a['min_lr_frac']}x over the last "
                   f"{int(a['decay_frac'] * 100)}% of a wall-clock budget of {a['minutes']:.0f} minutes; ") +
                f"batch {a['batch']} x {a['seq']} tokens, random windows of the training stream, gradient clipping 1.0.", "",
                f"Wall time {summ['wall_s'] / 60:.1f} min, {summ['steps']:,} steps, {summ['tokens']:,} tokens seen in all "
                f"({summ['tokens'] / stats['train_tokens']:.2f} epochs of this stream), counting the earlier stage below.", ""]
        if extra.get("training_note"):
            out += [extra.pop("training_note"), ""]
        out += [
                "| step | tokens | minutes | validation loss (48 windows) |", "|---|---|---|---|"]
        for h in summ["history"]:
            out.append(f"| {h['step']} | {h['tokens']:,} | {h['elapsed_min']} | {h['val_loss']:.3f} |")
        out.append("")
        out += [
                ]
    if ev:
        sc = ev["score"]
        nl = ev["next_line_exact_match"]
        fm = ev["fim_middle_line_exact_match"]
        out += ["## Measured quality (held-out files)", "",
                f"All {sc['files']} validation files ({sc['bytes']:,} bytes, {sc['tokens']:,} tokens), each preceded by `<|endoftext|>` "
                "and scored in 512-token windows:", "",
                "| metric | value |", "|---|---|",
                f"| validation loss | {sc['val_loss_nats_per_token']:.3f} nats/token |",
                f"| bits per byte | {sc['bits_per_byte']:.3f} |",
                f"| next-line exact match ({nl['n']} random non-blank lines, up to {nl['prompt_tokens']} tokens of preceding context, greedy to the newline) | {nl['rate'] * 100:.1f}% ({nl['hits']}/{nl['n']}) |",
                f"| FIM middle-line exact match, PSM ({fm['n']} lines removed, up to 256 tokens before and 128 after; the whole generated middle must be the line) | {fm['rate'] * 100:.1f}% ({fm['hits']}/{fm['n']}) |"]
        fs = ev.get("fim_spm_middle_line_exact_match")
        if fs:
            out.append(f"| the same, SPM | {fs['rate'] * 100:.1f}% ({fs['hits']}/{fs['n']}) |")
        for name, f in (("PSM", fm), ("SPM", fs)):
            if f and "first_line_rate" in f:
                out.append(f"| FIM first generated line == the removed line, {name} (what a one-line completion shows) | {f['first_line_rate'] * 100:.1f}% ({f['first_line_hits']}/{f['n']}) |")
        cols = [("next-line EM", nl, "rate")] + [(f"FIM line EM ({n})", f, "rate") for n, f in (("PSM", fm), ("SPM", fs)) if f]
        cols += [(f"FIM first line ({n})", f, "first_line_rate") for n, f in (("PSM", fm), ("SPM", fs)) if f and "first_line_rate" in f]
        out += ["", "By language:", "", "| language | bits/byte | val loss | " + " | ".join(c[0] for c in cols) + " |",
                "|---|---|---|" + "---|" * len(cols)]
        for lang, v in sc["by_language"].items():
            out.append(f"| {lang} | {v['bits_per_byte']:.3f} | {v['val_loss']:.3f} | "
                       + " | ".join(f"{c[1]['by_language'].get(lang, {}).get(c[2], 0) * 100:.1f}%" for c in cols) + " |")
        target = "meets" if sc["bits_per_byte"] <= 1.1 else "misses"
        out += ["", f"The project's target was at most 1.1 bits per byte on held-out files; this model {target} it on the held-out split "
                f"({sc['bits_per_byte']:.3f}). On code from packages outside the corpus it scores higher where that was measured (below).", ""]
    variants = extra.pop("variants", None)
    if variants:
        n = next(iter(variants.values()))
        out += ["Variants compared in onnxruntime-node (`tools/model/variants.mjs`) on the held-out files of "
                f"`verify/tokenizer_golden.json` ({n['heldout_tokens']:,} tokens, {n['heldout_bytes']:,} bytes) and on the 24 golden prompts:", "",
                "| file | loss (nats/token) | bits/byte | greedy prompts identical to torch fp32 | greedy tokens before first divergence |",
                "|---|---|---|---|---|"]
        for f, v in variants.items():
            out.append(f"| `{f}` | {v['loss']:.3f} | {v['bits_per_byte']:.3f} | {v['greedy_prompts_identical_to_torch']} | {v['greedy_tokens_before_first_divergence']} |")
        out.append("")
    for k, v in extra.items():
        out.append(f"- {k}: {v}")
    if extra:
        out.append("")
    out += ["## Greedy samples", "",
            f"Verbatim greedy continuations ({greedy['tokens']} tokens, no stop at EOS) from `verify/greedy.json`:", ""]
    for i in SAMPLE_PICKS:
        if i < len(greedy["prompts"]):
            p = greedy["prompts"][i]
            out += [f"**{p['kind']}** prompt:", "", fence(p["text"]), "", "continuation:", "", fence(p["completion"]), ""]
    out += ["## What it is not good for", "",
            f"- It is a few-million-parameter model trained for {summ['wall_s'] / 3600 if summ else 2:.1f} hours on a CPU. Its completions are often "
            "syntactically plausible but wrong, repetitive or looping; it does not follow instructions in chat in any "
            "useful sense (the chat format is trained only so that the chat path runs through real prompt formats).",
            "- It has no knowledge beyond the corpus (npm package sources and some Python), was never evaluated for "
            "safety, and must not be used to judge the product's quality, only to exercise the engine: loading, "
            "tokenization, prefill, KV cache, batching, FIM and chat formatting, stopping.",
            "- Context beyond the trained 512 tokens is untested. Languages other than TypeScript, JavaScript and Python "
            "are practically absent from the corpus.",
            "- `model_int8.onnx` is not batch-invariant; use `model.onnx` or `model_q4.onnx` where results must not "
            "depend on batch composition.", "",
            "## Verification", "",
            "`tools/model/verify.py` writes `verify/greedy.json` (24 prompts: 14 plain, 6 FIM, 4 chat; 32 greedy tokens each "
            "from torch) and `verify/tokenizer_golden.json` (held-out files and their Python token ids). "
            "`test/unit/model/model.test.ts` checks, in Node without Python: `@huggingface/tokenizers` ids == Python ids; "
            "onnxruntime-node fp32 greedy == torch greedy for every prompt (a divergence is accepted only at a step where "
            "torch's top two logits are within 1e-3); q4 left-padded batch of 8 == batch 1; the int8 file runs; "
            "`@huggingface/transformers` (`AutoTokenizer`, `AutoModelForCausalLM`, local files only) renders the chat template "
            "identically and reproduces the greedy tokens.", "",
            "Run: `npx mocha --import=tsx 'test/unit/model/**/*.test.ts'`", "",
            "## Reproduce", "",
            "`tools/model/build.sh` runs corpus -> tokenizer -> training data -> training -> export -> quantization -> "
            "golden data -> evaluation -> this card (`TRAIN_MINUTES`, default 92, plus about 20 minutes on 2 cores). By default it "
            "continues from the weights in this folder, read back from `onnx/model.onnx` by `tools/model/import_onnx.py`, with this "
            "folder's tokenizer, as this release was made from the previous one; `FROM_SCRATCH=1` trains a new tokenizer and "
            "starts from random weights, as the first stage was. Intermediate "
            "files go to `tools/model/work/` (not committed). `tools/model/random_qwen05b.py` writes, on demand and not committed, "
            "a random-weight model with Qwen2.5-Coder-0.5B dimensions in the same layout (fp32 + q4) for benchmarks at real scale.", ""]
    rq = os.path.join(W, "random-qwen05b", "sizes.json")
    if os.path.exists(rq):
        r = json.load(open(rq))
        out += [f"Last run of `random_qwen05b.py` here: {r['params']:,} parameters; " +
                ", ".join(f"`onnx/{k}` {v:,} bytes" for k, v in r["files"].items()) +
                f"; written in {r['seconds']:.0f} s on the shared 2-core machine; both files load and decode in onnxruntime-node.", ""]
    open(os.path.join(M, "README.md"), "w").write("\n".join(out))
    print("wrote", os.path.join(M, "README.md"))


if __name__ == "__main__":
    main()
