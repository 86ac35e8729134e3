#!/usr/bin/env bash
# Reproduces models/default, the model `llm generate` / `llm chat` use when none is named:
# the shakespeare-char recipe (scripts/recipe-shakespeare-char.sh: 4 layers, 4 heads, dim 128,
# seq 64, 2,000 steps, character tokenizer, ~0.8M parameters) trained by `llm pretrain` itself on
# ../shared/data/tinyshakespeare/input.txt, then its Hugging Face files copied in (the run state
# — checkpoint/, metrics, token cache — stays in the run folder). Training is deterministic for a
# given thread count; the committed model was trained with the default (all cores).
#
#   npm run build && scripts/train-default-model.sh [RUN_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
run="${1:-${TMPDIR:-/tmp}/llm-runs/default-model}"
dest="$root/models/default"
if [ -e "$run/checkpoint" ]; then echo "$run already holds a run; remove it or pass another RUN_DIR" >&2; exit 2; fi
"$root/scripts/recipe-shakespeare-char.sh" "$run" --progress jsonl 2> "$run.log.jsonl" | tee "$run.summary.json"
mkdir -p "$dest/onnx"
for f in config.json generation_config.json model.safetensors tokenizer.json tokenizer_config.json onnx/model.onnx; do
  cp "$run/$f" "$dest/$f.tmp" && mv "$dest/$f.tmp" "$dest/$f"
done
echo "models/default updated from $run (summary: $run.summary.json, log: $run.log.jsonl)" >&2
