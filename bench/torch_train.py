#!/usr/bin/env python3
"""PyTorch side of bench/train.ts: the same Llama model (shared/tools/torch_reference.py's forward,
Hugging Face conventions), the same batch shape and the same step (cross-entropy, backward,
clip_grad_norm_, AdamW with decay on matrices), timed per step; prints one JSON line.

  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/torch_train.py --vocab 65 --dim 128 --hidden 352 \
      --layers 4 --heads 4 --kv-heads 4 --seq 64 --batch 12 --steps 20 --threads 1

(OPENBLAS_CORETYPE=SkylakeX: Debian's OpenBLAS otherwise picks a slow kernel on this CPU;
1 thread is torch's best on a 2-core machine — shared/docs/ort-training-notes.md.)"""
import argparse
import importlib.util
import json
import os
import time

import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
shared = os.environ.get("SHARED_DIR", os.path.join(here, "..", "..", "shared"))
spec = importlib.util.spec_from_file_location("torch_reference", os.path.join(shared, "tools", "torch_reference.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)

ap = argparse.ArgumentParser()
for name, default in [("vocab", 65), ("dim", 128), ("hidden", 352), ("layers", 4), ("heads", 4), ("kv-heads", 4),
                      ("seq", 64), ("batch", 12), ("steps", 20), ("threads", 1), ("seed", 0)]:
    ap.add_argument("--" + name, type=int, default=default)
ap.add_argument("--tie", action="store_true")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)

C, V, HD = a.dim, a.vocab, a.dim // a.heads
cfg = {"hidden_size": C, "num_attention_heads": a.heads, "num_key_value_heads": a.kv_heads, "rms_norm_eps": 1e-5,
       "rope_theta": 10000.0, "num_hidden_layers": a.layers, "tie_word_embeddings": a.tie}
shapes = {"model.embed_tokens.weight": (V, C), "model.norm.weight": (C,)}
if not a.tie:
    shapes["lm_head.weight"] = (V, C)
for i in range(a.layers):
    L = f"model.layers.{i}."
    shapes.update({L + "input_layernorm.weight": (C,), L + "post_attention_layernorm.weight": (C,),
                   L + "self_attn.q_proj.weight": (a.heads * HD, C), L + "self_attn.k_proj.weight": (a.kv_heads * HD, C),
                   L + "self_attn.v_proj.weight": (a.kv_heads * HD, C), L + "self_attn.o_proj.weight": (C, a.heads * HD),
                   L + "mlp.gate_proj.weight": (a.hidden, C), L + "mlp.up_proj.weight": (a.hidden, C),
                   L + "mlp.down_proj.weight": (C, a.hidden)})
params = {n: (torch.ones(s) if len(s) == 1 else torch.randn(s) * 0.02).requires_grad_() for n, s in shapes.items()}
plist = list(params.values())
opt = torch.optim.AdamW([{"params": [q for q in plist if q.dim() >= 2], "weight_decay": 0.1},
                         {"params": [q for q in plist if q.dim() < 2], "weight_decay": 0.0}],
                        lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
stream = torch.randint(0, V, (a.batch * a.seq * 8 + 1,))
times = []
for i in range(a.steps + 2):
    k = i % 8
    x = stream[k * a.batch * a.seq: (k + 1) * a.batch * a.seq].view(a.batch, a.seq)
    y = stream[k * a.batch * a.seq + 1: (k + 1) * a.batch * a.seq + 1].view(a.batch, a.seq)
    t = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(ref.forward(params, cfg, x).view(-1, V), y.reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(plist, 1.0)
    opt.step()
    if i >= 2:  # the first steps allocate
        times.append((time.perf_counter() - t) * 1000)
times.sort()
# which BLAS actually got loaded: Debian's reference libblas is ~100x slower than OpenBLAS
with open("/proc/self/maps") as maps:
    blas = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})
print(json.dumps({"blas": blas, "params": sum(q.numel() for q in plist), "threads": a.threads, "torch": torch.__version__,
                  "median_ms": round(times[len(times) // 2], 2), "min_ms": round(times[0], 2), "loss": round(loss.item(), 4)}))
