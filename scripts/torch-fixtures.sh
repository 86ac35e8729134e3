#!/usr/bin/env bash
# Regenerate the PyTorch reference fixtures for the training engine (test/kernels/train/torch-parity.test.ts).
# Each folder holds one optimisation step computed by ../shared/tools/torch_reference.py (PyTorch,
# Hugging Face Llama conventions): config.json, model.safetensors (initial weights), tokens.bin,
# batch.json, expected.json (loss, grad norm, per-tensor grad norms), grads.safetensors,
# after_step.safetensors. Needs Debian's torch: /usr/bin/python3 with python3-torch (1.13 here).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
ref="${SHARED_DIR:-$root/../shared}/tools/torch_reference.py"
out="$root/test/fixtures/torch"
py=/usr/bin/python3
gen() { name=$1; shift; rm -rf "$out/$name"; "$py" "$ref" "$out/$name" "$@" >/dev/null; echo "$name: $(cat "$out/$name/expected.json" | "$py" -c 'import json,sys; e=json.load(sys.stdin); print("loss %.5f grad_norm %.5f" % (e["loss"], e["grad_norm"]))')"; }

# tied embeddings + grouped-query attention (4 query heads share 2 KV heads), default clip 1.0
gen tied-gqa   --tie --vocab 128 --dim 64 --layers 2 --heads 4 --kv-heads 2 --hidden 172 --seq 16 --batch 4 --lr 1e-3 --wd 0.1 --seed 1
# untied lm_head + multi-head attention, no clipping
gen untied-mha --vocab 96 --dim 32 --layers 2 --heads 4 --kv-heads 4 --hidden 88 --seq 12 --batch 3 --lr 3e-3 --wd 0.05 --grad-clip 0 --seed 2
# clipping active: max norm far below the gradient norm
gen clip       --vocab 64 --dim 32 --layers 2 --heads 2 --kv-heads 1 --hidden 64 --seq 8 --batch 4 --lr 1e-2 --wd 0.1 --grad-clip 0.05 --seed 3
# adam eps 1.0: the update is ~ lr·m/(√v + 1) ≈ lr·g, proportional to the gradient (no sign-like normalisation)
gen large-eps  --tie --vocab 80 --dim 32 --layers 2 --heads 4 --kv-heads 2 --hidden 96 --seq 8 --batch 2 --lr 1.0 --adam-eps 1.0 --wd 0.1 --beta2 0.99 --grad-clip 0 --seed 4
