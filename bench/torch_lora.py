#!/usr/bin/env python3
"""PyTorch side of bench/finetune.ts: one LoRA step (PEFT conventions, shared/tools/lora_reference.py's
formulation: effective weight W + scaling · B @ A for each target, frozen base, Hugging Face causal-LM
loss, clip_grad_norm_ and AdamW over A and B only), timed per step; prints one JSON line with the
median step time and the process's peak RSS.

  OPENBLAS_CORETYPE=Haswell /usr/bin/python3 bench/torch_lora.py --vocab 8192 --dim 384 --hidden 1024 \
      --layers 6 --heads 6 --kv-heads 2 --seq 256 --batch 4 --r 8 --threads 1"""
import argparse, importlib.util, json, math, os, resource, time
import torch
import torch.nn.functional as F

here = os.path.dirname(os.path.abspath(__file__))
shared = os.environ.get("SHARED_DIR", os.path.join(here, "..", "..", "shared"))
spec = importlib.util.spec_from_file_location("torch_reference", os.path.join(shared, "tools", "torch_reference.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)

ap = argparse.ArgumentParser()
for name, default in [("vocab", 8192), ("dim", 384), ("hidden", 1024), ("layers", 6), ("heads", 6), ("kv-heads", 2),
                      ("seq", 256), ("batch", 4), ("steps", 10), ("threads", 1), ("r", 8), ("alpha", 16)]:
    ap.add_argument("--" + name, type=int, default=default)
ap.add_argument("--targets", default="q_proj,v_proj")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
C, V, HD = a.dim, a.vocab, a.dim // a.heads
cfg = {"hidden_size": C, "num_attention_heads": a.heads, "num_key_value_heads": a.kv_heads, "rms_norm_eps": 1e-5,
       "rope_theta": 10000.0, "num_hidden_layers": a.layers, "tie_word_embeddings": True}
MOD = {"q_proj": "self_attn", "k_proj": "self_attn", "v_proj": "self_attn", "o_proj": "self_attn", "gate_proj": "mlp", "up_proj": "mlp", "down_proj": "mlp"}
out_dim = {"q_proj": a.heads * HD, "k_proj": a.kv_heads * HD, "v_proj": a.kv_heads * HD, "o_proj": C, "gate_proj": a.hidden, "up_proj": a.hidden, "down_proj": C}
in_dim = {"q_proj": C, "k_proj": C, "v_proj": C, "o_proj": a.heads * HD, "gate_proj": C, "up_proj": C, "down_proj": a.hidden}
base = {"model.embed_tokens.weight": torch.randn(V, C) * 0.02, "model.norm.weight": torch.ones(C)}
for i in range(a.layers):
    L = f"model.layers.{i}."
    base[L + "input_layernorm.weight"] = torch.ones(C)
    base[L + "post_attention_layernorm.weight"] = torch.ones(C)
    for m, g in MOD.items():
        base[f"{L}{g}.{m}.weight"] = torch.randn(out_dim[m], in_dim[m]) * 0.02
targets = a.targets.split(",")
scaling = a.alpha / a.r
lora = {}
for i in range(a.layers):
    for m in targets:
        key = f"model.layers.{i}.{MOD[m]}.{m}"
        lora[key + ".A"] = (torch.rand(a.r, in_dim[m]) * 2 - 1).div(math.sqrt(in_dim[m])).requires_grad_()
        lora[key + ".B"] = torch.zeros(out_dim[m], a.r).requires_grad_()
params = list(lora.values())
opt = torch.optim.AdamW(params, lr=2e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
x = torch.randint(0, V, (a.batch, a.seq)); y = x.clone(); y[:, : a.seq // 4] = -100
times = []
for step in range(a.steps + 2):
    t = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    p = dict(base)
    for i in range(a.layers):
        for m in targets:
            key = f"model.layers.{i}.{MOD[m]}.{m}"
            p[key + ".weight"] = base[key + ".weight"] + scaling * (lora[key + ".B"] @ lora[key + ".A"])
    loss = F.cross_entropy(ref.forward(p, cfg, x)[:, :-1].reshape(-1, V), y[:, 1:].reshape(-1), ignore_index=-100)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    if step >= 2:
        times.append((time.perf_counter() - t) * 1000)
times.sort()
with open("/proc/self/maps") as maps:
    blas = sorted({line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line})
print(json.dumps({"median_ms": round(times[len(times) // 2], 1), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  "threads": a.threads, "blas": blas, "torch": torch.__version__, "trainable": sum(q.numel() for q in params)}))
