#!/usr/bin/env bash
# nanoGPT's shakespeare_char recipe, CPU variant (karpathy/nanoGPT README "I only have a macbook":
# --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000
# --lr_decay_iters=2000 --dropout=0.0, with config/train_shakespeare_char.py's learning_rate 1e-3,
# min_lr 1e-4, warmup_iters 100, beta2 0.99, weight_decay 0.1, grad_clip 1.0, eval_iters 20),
# run by `llm pretrain` on a Llama block (RMSNorm, RoPE, SwiGLU). nanoGPT reaches val loss ~1.88.
#
#   scripts/recipe-shakespeare-char.sh [OUT_DIR] [extra pretrain flags…]
# Needs a build (npm run build) and ../shared/data/tinyshakespeare/input.txt (or SHARED_DIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="${SHARED_DIR:-$root/../shared}"
out="${1:-${TMPDIR:-/tmp}/llm-runs/shakespeare-char}"
shift || true
exec env NODE_ENV=production node "$root/bin/run.js" pretrain \
  --data "$shared/data/tinyshakespeare/input.txt" --tokenizer char \
  --layers 4 --heads 4 --dim 128 --seq-len 64 --tie \
  --batch-size 12 --steps 2000 --lr 1e-3 --min-lr 1e-4 --warmup 100 --schedule cosine \
  --beta1 0.9 --beta2 0.99 --weight-decay 0.1 --grad-clip 1.0 --seed 1337 \
  --val-fraction 0.1 --eval-every 250 --eval-steps 20 --checkpoint-every 250 \
  --out "$out" --json "$@"
