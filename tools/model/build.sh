#!/usr/bin/env bash
# Rebuild the bundled code model end to end:
#   corpus -> tokenizer -> training data -> train -> export -> quantize -> verify data -> eval -> model card
# Everything intermediate goes to tools/model/work/ (git-ignored); the shipped files go to
# models/autoglm-coder/.  Wall time on a 2-core CPU: TRAIN_MINUTES plus about 20 min
# (corpus + data ~1 min, export + quantize ~1 min, golden data ~1 min, evaluation ~10-15 min).
#
# Two modes:
#   default        continue training the weights in models/autoglm-coder (read back from
#                  onnx/model.onnx by import_onnx.py) with the shipped tokenizer; this is how the
#                  released model was made from the previous release (batch 2 x 512, lr 1e-3).
#   FROM_SCRATCH=1 train a new tokenizer and start from random weights (batch 8 x 512, lr 2e-3).
# Needs Debian's python3-torch, python3-onnx, python3-numpy, python3-regex and
# libopenblas0-pthread, the repository's node_modules, and the npm registry for the extra
# corpus packages below.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
W=tools/model/work
M=models/autoglm-coder
TRAIN_MINUTES=${TRAIN_MINUTES:-92}
FROM_SCRATCH=${FROM_SCRATCH:-0}
export OPENBLAS_NUM_THREADS=2
mkdir -p "$W" "$M"
start=$(date +%s)
log() { echo "[$(date -u +%H:%M:%S)] $*"; }

log "corpus"
if [ ! -d "$W/corpus-npm/node_modules" ]; then
  npm install --ignore-scripts --no-audit --no-fund --prefix "$W/corpus-npm" \
    rxjs@7.8.2 zod@3.25.76 lodash-es@4.18.1 date-fns@4.4.0 immer@11.2.13 preact@11.2.0 vue@3.5.45 \
    @angular/core@21.2.26 mobx@7.1.3 ramda@0.32.0 axios@1.21.1 express@5.3.0
fi
$PY tools/model/corpus.py --npm node_modules "$W/corpus-npm/node_modules" --out "$W/corpus" --python-share 0.10

rm -rf "$W/run"
if [ "$FROM_SCRATCH" = 1 ]; then
  log "tokenizer + training data"
  $PY tools/model/data.py --corpus "$W/corpus" --out "$W/data" --tokenizer-dir "$W/tokenizer"
  log "train from scratch ($TRAIN_MINUTES min, log: $W/run/train.log)"
  $PY tools/model/train.py --data "$W/data" --out "$W/run" --minutes "$TRAIN_MINUTES" --eval-every-min 8
else
  log "training data with the shipped tokenizer"
  mkdir -p "$W/tokenizer"
  cp "$M"/tokenizer.json "$M"/tokenizer_config.json "$M"/special_tokens_map.json "$W/tokenizer/"
  $PY tools/model/data.py --corpus "$W/corpus" --out "$W/data" --tokenizer-dir "$W/tokenizer" --skip-train-tokenizer
  log "read the shipped weights back"
  # the counters of the release being continued: steps, tokens and minutes it was trained for
  $PY tools/model/import_onnx.py --model-dir "$M" --out "$W/import.pt" \
    --prior-steps "${PRIOR_STEPS:-1334}" --prior-tokens "${PRIOR_TOKENS:-5464064}" --prior-minutes "${PRIOR_MINUTES:-107.6}"
  log "continue training ($TRAIN_MINUTES min, log: $W/run/train.log)"
  $PY tools/model/train.py --data "$W/data" --out "$W/run" --resume "$W/import.pt" --minutes "$TRAIN_MINUTES" \
    --batch 2 --seq 512 --lr 1e-3 --resume-warmup 60 --decay-frac 0.4 --eval-every-min 8
fi

CK="$W/run/final.pt"
log "export + quantize"
$PY tools/model/export.py --checkpoint "$CK" --tokenizer-dir "$W/tokenizer" --out "$M"
$PY tools/model/quantize.py --model-dir "$M"

log "golden data for the Node tests"
$PY tools/model/verify.py --checkpoint "$CK" --model-dir "$M" --corpus "$W/corpus"

log "evaluation"
$PY tools/model/eval.py --checkpoint "$CK" --tokenizer "$M/tokenizer.json" --corpus "$W/corpus" --out "$W/eval.json"

log "model card"
$PY tools/model/card.py --work "$W" --model-dir "$M" --eval "$W/eval.json"
log "done in $(( ($(date +%s) - start) / 60 )) min; run: npx mocha --import=tsx 'test/unit/model/**/*.test.ts'"
