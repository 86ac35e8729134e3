#!/usr/bin/env python3
"""PyTorch peer for bench/engine-step.ts: the same model (shared/tools/torch_reference.py's
forward), batch and AdamW step, timed per step (median). Run with Debian's torch:
  OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 bench/torch-step.py [--preset shakespeare|12m] [--steps 20] [--threads 1]
Without installing OpenBLAS system-wide: `apt-get download libopenblas0-pthread` into /tmp,
`dpkg -x` it to /tmp/openblas, and run with
  LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread OPENBLAS_CORETYPE=SkylakeX \
  OMP_NUM_THREADS=N OPENBLAS_NUM_THREADS=N /usr/bin/python3 bench/torch-step.py --threads N …
(1 thread is torch's best on this 2-core machine; see shared/docs/ort-training-notes.md.)
Check `torch.__config__.show()`: with BLAS_INFO=generic and no libopenblas installed, Debian's torch
runs matmuls on the reference BLAS (~3 GFLOP/s here) and is no fair peer; install
libopenblas0-pthread (the libblas.so.3 alternative) for the ~100 GFLOP/s OpenBLAS path."""
import argparse, importlib.util, json, os, sys, time
import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("ref", os.path.join(here, "..", "..", "shared", "tools", "torch_reference.py"))
ref = importlib.util.module_from_spec(spec); spec.loader.exec_module(ref)

PRESETS = {
    "shakespeare": dict(vocab=65, dim=128, hidden=512, layers=4, heads=4, kv=4, batch=12, seq=64),
    "12m": dict(vocab=512, dim=512, hidden=1376, layers=4, heads=8, kv=8, batch=8, seq=128),
}
ap = argparse.ArgumentParser()
ap.add_argument("--preset", default="shakespeare"); ap.add_argument("--steps", type=int, default=20); ap.add_argument("--threads", type=int, default=1)
a = ap.parse_args()
torch.set_num_threads(a.threads)
p = PRESETS[a.preset]
cfg = {"hidden_size": p["dim"], "num_attention_heads": p["heads"], "num_key_value_heads": p["kv"], "rms_norm_eps": 1e-5,
       "rope_theta": 10000.0, "num_hidden_layers": p["layers"], "tie_word_embeddings": True}
C, H, V = p["dim"], p["hidden"], p["vocab"]
shapes = {"model.embed_tokens.weight": (V, C), "model.norm.weight": (C,)}
for i in range(p["layers"]):
    L = f"model.layers.{i}."
    shapes.update({L + "input_layernorm.weight": (C,), L + "post_attention_layernorm.weight": (C,),
                   L + "self_attn.q_proj.weight": (C, C), L + "self_attn.k_proj.weight": (C, C), L + "self_attn.v_proj.weight": (C, C),
                   L + "self_attn.o_proj.weight": (C, C), L + "mlp.gate_proj.weight": (H, C), L + "mlp.up_proj.weight": (H, C),
                   L + "mlp.down_proj.weight": (C, H)})
params = {n: (torch.ones(s) if len(s) == 1 else torch.randn(s) * 0.02).requires_grad_() for n, s in shapes.items()}
plist = list(params.values())
opt = torch.optim.AdamW([{"params": [q for q in plist if q.dim() >= 2], "weight_decay": 0.1},
                         {"params": [q for q in plist if q.dim() < 2], "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
n = p["batch"] * p["seq"]
x = torch.tensor([(i * 7919) % V for i in range(n)]).view(p["batch"], p["seq"])
y = torch.tensor([(i * 104729 + 3) % V for i in range(n)]).view(p["batch"], p["seq"])
times, cpu = [], []
for i in range(a.steps + 2):
    t = time.perf_counter(); c = time.process_time()
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(ref.forward(params, cfg, x).view(-1, V), y.view(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(plist, 1.0)
    opt.step()
    if i >= 2: times.append((time.perf_counter() - t) * 1000); cpu.append((time.process_time() - c) * 1000)
times.sort(); cpu.sort()
print(json.dumps({"preset": a.preset, "params": sum(q.numel() for q in plist), "threads": a.threads, "torch": torch.__version__,
                  "medianStepMs": round(times[len(times) // 2], 2), "minStepMs": round(times[0], 2), "medianCpuMs": round(cpu[len(cpu) // 2], 2), "finalLoss": round(loss.item(), 4)}))
