#!/usr/bin/env bash
# Reproduces models/default, the model `llm generate` / `llm chat` use when none is named: a
# character-level Llama trained by `llm pretrain` itself on ../shared/data/tinyshakespeare/input.txt.
# It is nanoGPT's shakespeare-char CPU recipe (scripts/recipe-shakespeare-char.sh) with a 256-token
# context instead of 64 (batch 4 × 256 = 1,024 tokens per step instead of 12 × 64 = 768), so the
# model can write 256 characters in one go. Afterwards its Hugging Face files are copied in; the run
# state (checkpoint/, metrics.jsonl, token cache) stays in the run folder. Training is deterministic
# for a given thread count; the committed model used onnxruntime's default.
#
#   npm run build && scripts/train-default-model.sh [RUN_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_DIR:-$root/../shared}"
run="${1:-${TMPDIR:-/tmp}/llm-runs/default-model}"
dest="$root/models/default"
if [ -e "$run/checkpoint" ]; then echo "$run already holds a run; remove it or pass another RUN_DIR" >&2; exit 2; fi
mkdir -p "$(dirname "$run")"
NODE_ENV=production node "$root/bin/run.js" pretrain \
  --data "$shared/data/tinyshakespeare/input.txt" --tokenizer char \
  --layers 4 --heads 4 --dim 128 --seq-len 256 --tie \
  --batch-size 4 --steps 2000 --lr 1e-3 --min-lr 1e-4 --warmup 100 --schedule cosine \
  --beta1 0.9 --beta2 0.99 --weight-decay 0.1 --grad-clip 1.0 --seed 1337 \
  --val-fraction 0.1 --eval-every 250 --eval-steps 20 --checkpoint-every 250 \
  --out "$run" --json --progress jsonl 2> "$run.log.jsonl" | tee "$run.summary.json"
mkdir -p "$dest/onnx"
for f in config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json onnx/model.onnx; do
  cp "$run/$f" "$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f"
done
echo "models/default updated from $run (summary: $run.summary.json, log: $run.log.jsonl)" >&2
