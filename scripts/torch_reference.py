#!/usr/bin/env python3
"""
Writes the PyTorch reference fixture for the engine (docs/CONTRIBUTING.md §5): a tiny llama,
written out by hand with the Hugging Face `LlamaForCausalLM` conventions, so that
test/model/torch-reference.test.ts checks our TypeScript engine against a model we
did not write.

    /usr/bin/python3 scripts/torch_reference.py --out test/fixtures/torch/tiny-llama-v1

Conventions followed (transformers/models/llama/modeling_llama.py):
  * RMSNorm         y = w * x / sqrt(mean(x^2) + eps), computed in float32
  * RoPE            "rotate_half" layout: the pair (i, i + HS/2) of each head rotates by
                    pos * inv_freq[i], inv_freq = 1 / theta^(arange(0, HS, 2) / HS),
                    positions 0..T-1
  * attention       causal softmax(q k^T / sqrt(HS)) v; GQA via repeat_kv: query head h
                    reads kv head h // (NH / KVH)
  * MLP             down(silu(gate(x)) * up(x)); every Linear without bias, weight (out, in)
  * head            final RMSNorm, then lm_head (or embed_tokens when tied)
  * loss            sum(mask * nll) / sum(mask) over the B*T tokens, targets explicit
  * optimiser       torch.optim.AdamW, 2-D weights weight_decay=0.1, 1-D gains 0,
                    clip_grad_norm_(params, 1.0) before each step, warmup + cosine lr

Everything is float32. The output is deterministic: running twice gives identical
files (torch.manual_seed, one thread, deterministic algorithms).

Fixture layout (version 1): every tensor is a flat row-major list of numbers; shapes
are in `params` (weights, grads) or stated in the field name's comment below.
Numbers are the shortest decimal that parses back to the same float32 (parse, then
Math.fround, to get torch's float32 exactly).
"""
import argparse
import json
import math
import os
import shutil
import struct
import sys

FIXTURE_VERSION = 1
FIXTURE_NAME = "tiny-llama-v1"
GENERATOR = "scripts/torch_reference.py"


def _reexec_with_torch() -> None:
    """Debian's python3-torch lives under /usr/bin/python3; a pyenv python3 on PATH has no
    torch. Try this interpreter, then /usr/bin/python3, then python3 on PATH, each once."""
    try:
        import torch  # noqa: F401
        return
    except ImportError:
        pass
    tried = set(filter(None, os.environ.get("TORCH_REFERENCE_TRIED", "").split(os.pathsep)))
    tried.add(os.path.realpath(sys.executable))
    for cand in ("/usr/bin/python3", shutil.which("python3") or ""):
        if cand and os.path.exists(cand) and os.path.realpath(cand) not in tried:
            tried.add(os.path.realpath(cand))
            os.environ["TORCH_REFERENCE_TRIED"] = os.pathsep.join(sorted(tried))
            os.execv(cand, [cand, os.path.abspath(__file__), *sys.argv[1:]])
    sys.exit("torch_reference.py: no python with `import torch` found (tried " + ", ".join(sorted(tried)) + "); install python3-torch")


# Pin what changes float32 rounding, before torch loads: one thread, OpenBLAS's Haswell
# sgemm kernel (else it picks one per CPU model) and ATen's AVX2 kernels (else AVX-512
# where the CPU has it). With these, a rerun elsewhere reproduces the committed files
# byte for byte; without them values move by an ulp or so, far inside the test's bounds.
PINNED_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_CORETYPE": "Haswell",
    "ATEN_CPU_CAPABILITY": "avx2",
}
for _k, _v in PINNED_ENV.items():
    # threads always; the kernel choices can be overridden on a CPU without AVX2
    if _k.endswith("_THREADS"):
        os.environ[_k] = _v
    else:
        os.environ.setdefault(_k, _v)
_reexec_with_torch()

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

# ---------------------------------------------------------------------------------
# Variants

BASE = dict(
    vocabSize=17, dim=16, nLayers=2, nHeads=4, nKvHeads=2, ffnDim=24,
    contextLength=8, ropeTheta=10000.0, normEps=1e-5, tiedEmbeddings=False,
)
VARIANTS = {
    "gqa-untied": dict(BASE, nKvHeads=2, tiedEmbeddings=False),
    "mha-tied": dict(BASE, nKvHeads=4, tiedEmbeddings=True),
}
SEEDS = {"gqa-untied": 1234, "mha-tied": 5678}
B, T = 2, 8

# AdamW run (lr schedule: linear warmup over `warmup` steps, then cosine to minLr)
STEPS = 10
MAX_LR, MIN_LR, WARMUP, TOTAL = 1e-2, 1e-3, 3, 10
BETAS = (0.9, 0.95)
EPS = 1e-8
WEIGHT_DECAY = 0.1
CLIP = 1.0


def lr_at(s: int) -> float:
    if s < WARMUP:
        return MAX_LR * (s + 1) / WARMUP
    return MIN_LR + 0.5 * (MAX_LR - MIN_LR) * (1 + math.cos(math.pi * (s - WARMUP) / max(1, TOTAL - WARMUP)))


# ---------------------------------------------------------------------------------
# The model, by hand


def param_table(c):
    """Names, shapes and weight-decay flags in the storage order of src/model/parameters.ts."""
    C, HS = c["dim"], c["dim"] // c["nHeads"]
    q, kv, Fd, V = c["nHeads"] * HS, c["nKvHeads"] * HS, c["ffnDim"], c["vocabSize"]
    t = [("model.embed_tokens.weight", [V, C], True)]
    for l in range(c["nLayers"]):
        p = f"model.layers.{l}."
        t += [
            (p + "input_layernorm.weight", [C], False),
            (p + "self_attn.q_proj.weight", [q, C], True),
            (p + "self_attn.k_proj.weight", [kv, C], True),
            (p + "self_attn.v_proj.weight", [kv, C], True),
            (p + "self_attn.o_proj.weight", [C, q], True),
            (p + "post_attention_layernorm.weight", [C], False),
            (p + "mlp.gate_proj.weight", [Fd, C], True),
            (p + "mlp.up_proj.weight", [Fd, C], True),
            (p + "mlp.down_proj.weight", [C, Fd], True),
        ]
    t.append(("model.norm.weight", [C], False))
    if not c["tiedEmbeddings"]:
        t.append(("lm_head.weight", [V, C], True))
    return t


def init_params(c, gen):
    """Large enough weights that every path matters: matrices N(0, 0.15²) (embeddings
    N(0, 0.5²)), norm gains 1 + 0.1·N(0, 1)."""
    params = {}
    for name, shape, _ in param_table(c):
        if len(shape) == 1:
            w = 1.0 + 0.1 * torch.randn(shape, generator=gen)
        elif name == "model.embed_tokens.weight":
            w = 0.5 * torch.randn(shape, generator=gen)
        else:
            w = 0.15 * torch.randn(shape, generator=gen)
        params[name] = w.to(torch.float32).requires_grad_(True)
    return params


def rms_norm(x, w, eps):
    # LlamaRMSNorm: variance in float32, x * rsqrt(var + eps), then weight *
    xf = x.to(torch.float32)
    var = xf.pow(2).mean(-1, keepdim=True)
    return w * (xf * torch.rsqrt(var + eps)).to(x.dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rope_cos_sin(HS, T_, theta):
    # LlamaRotaryEmbedding (default rope type), float32 throughout
    inv_freq = 1.0 / (theta ** (torch.arange(0, HS, 2, dtype=torch.int64).float() / HS))
    pos = torch.arange(T_, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)  # (T, HS)
    return emb.cos(), emb.sin()


def repeat_kv(x, n_rep):
    # (B, KVH, T, HS) -> (B, KVH * n_rep, T, HS); query head h reads kv head h // n_rep
    if n_rep == 1:
        return x
    b, kvh, t, hs = x.shape
    return x[:, :, None, :, :].expand(b, kvh, n_rep, t, hs).reshape(b, kvh * n_rep, t, hs)


def forward(c, P, tokens):
    """tokens (B, T) int64 -> logits (B, T, V)."""
    Bn, Tn = tokens.shape
    C, NH, KVH = c["dim"], c["nHeads"], c["nKvHeads"]
    HS = C // NH
    eps = c["normEps"]
    cos, sin = rope_cos_sin(HS, Tn, c["ropeTheta"])
    causal = torch.full((Tn, Tn), float("-inf")).triu(1)  # additive mask, 0 on/below diagonal
    x = F.embedding(tokens, P["model.embed_tokens.weight"])
    for l in range(c["nLayers"]):
        p = f"model.layers.{l}."
        h = rms_norm(x, P[p + "input_layernorm.weight"], eps)
        q = F.linear(h, P[p + "self_attn.q_proj.weight"]).view(Bn, Tn, NH, HS).transpose(1, 2)
        k = F.linear(h, P[p + "self_attn.k_proj.weight"]).view(Bn, Tn, KVH, HS).transpose(1, 2)
        v = F.linear(h, P[p + "self_attn.v_proj.weight"]).view(Bn, Tn, KVH, HS).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = repeat_kv(k, NH // KVH)
        v = repeat_kv(v, NH // KVH)
        att = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(HS)) + causal
        att = F.softmax(att, dim=-1, dtype=torch.float32).to(q.dtype)
        y = torch.matmul(att, v).transpose(1, 2).reshape(Bn, Tn, NH * HS)
        x = x + F.linear(y, P[p + "self_attn.o_proj.weight"])
        h = rms_norm(x, P[p + "post_attention_layernorm.weight"], eps)
        m = F.silu(F.linear(h, P[p + "mlp.gate_proj.weight"])) * F.linear(h, P[p + "mlp.up_proj.weight"])
        x = x + F.linear(m, P[p + "mlp.down_proj.weight"])
    x = rms_norm(x, P["model.norm.weight"], eps)
    head = P["model.embed_tokens.weight"] if c["tiedEmbeddings"] else P["lm_head.weight"]
    return F.linear(x, head)


def masked_loss(logits, targets, mask):
    V = logits.shape[-1]
    nll = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="none")
    m = mask.reshape(-1)
    return (m * nll).sum() / m.sum()


# ---------------------------------------------------------------------------------
# Data


def make_batch(c, gen, zero_mask_count):
    V = c["vocabSize"]
    tokens = torch.randint(0, V, (B, T), generator=gen)
    targets = torch.randint(0, V, (B, T), generator=gen)
    mask = torch.ones(B, T)
    # zero a few loss weights (never all of a row, never all of the batch)
    if zero_mask_count:
        idx = torch.randperm(B * T, generator=gen)[:zero_mask_count]
        mask.view(-1)[idx] = 0.0
    return tokens, targets, mask


# ---------------------------------------------------------------------------------
# Output helpers


def f32(x: float) -> float:
    """The shortest decimal that reads back as the same float32 (as a Python float)."""
    (x32,) = struct.unpack("f", struct.pack("f", x))
    if math.isnan(x32) or math.isinf(x32):
        raise ValueError(f"non-finite value in fixture: {x32}")
    for p in range(1, 10):
        s = float("%.*g" % (p, x32))
        if struct.unpack("f", struct.pack("f", s))[0] == x32:
            return s
    return x32


def flat(t: torch.Tensor):
    return [f32(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]


def ints(t: torch.Tensor):
    return [int(v) for v in t.reshape(-1).tolist()]


def build_variant(variant: str):
    c = VARIANTS[variant]
    gen = torch.Generator().manual_seed(SEEDS[variant])
    torch.manual_seed(SEEDS[variant])
    table = param_table(c)
    P = init_params(c, gen)
    initial = {name: flat(P[name]) for name, _, _ in table}

    # 1. one forward + backward at the initial weights
    tokens, targets, mask = make_batch(c, gen, zero_mask_count=3)
    logits = forward(c, P, tokens)
    loss = masked_loss(logits, targets, mask)
    for w in P.values():
        w.grad = None
    loss.backward()
    logsm = F.log_softmax(logits.detach(), dim=-1)
    tok_lp = logsm.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    grads = {name: flat(P[name].grad) for name, _, _ in table}

    # 2. ten AdamW steps, one batch each (step 0 reuses the batch above)
    batches = [(tokens, targets, mask)] + [make_batch(c, gen, zero_mask_count=s % 4) for s in range(1, STEPS)]
    decay = [P[n] for n, shape, d in table if d]
    no_decay = [P[n] for n, shape, d in table if not d]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": WEIGHT_DECAY}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr_at(0), betas=BETAS, eps=EPS, foreach=False,
    )
    all_params = [P[n] for n, _, _ in table]
    step_losses, grad_norms, lrs = [], [], []
    for s, (tk, tg, mk) in enumerate(batches):
        lr = lr_at(s)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        l = masked_loss(forward(c, P, tk), tg, mk)
        l.backward()
        norm = torch.nn.utils.clip_grad_norm_(all_params, CLIP)
        opt.step()
        step_losses.append(f32(l.item()))
        grad_norms.append(f32(norm.item()))
        lrs.append(lr)
    final = {name: flat(P[name]) for name, _, _ in table}

    return {
        "version": FIXTURE_VERSION,
        "fixture": FIXTURE_NAME,
        "variant": variant,
        "generator": GENERATOR,
        "torch_version": torch.__version__,
        "seed": SEEDS[variant],
        "dtype": "float32",
        "environment": {k: os.environ[k] for k in PINNED_ENV},
        "config": c,
        "B": B,
        "T": T,
        "params": [{"name": n, "shape": s, "decay": d} for n, s, d in table],
        "weights": initial,
        "inputs": {"tokens": ints(tokens), "targets": ints(targets), "mask": flat(mask)},
        "logits": flat(logits),  # (B, T, V)
        "log_softmax": flat(logsm),  # (B, T, V)
        "token_logprobs": flat(tok_lp),  # (B, T) log p(target)
        "mask_count": f32(mask.sum().item()),
        "loss": f32(loss.item()),
        "grads": grads,
        "adamw": {
            "steps": STEPS,
            "schedule": {"maxLr": MAX_LR, "minLr": MIN_LR, "warmupSteps": WARMUP, "totalSteps": TOTAL},
            "lrs": lrs,
            "betas": list(BETAS),
            "eps": EPS,
            "weight_decay": WEIGHT_DECAY,
            "clip_norm": CLIP,
            "batches": [{"tokens": ints(a), "targets": ints(b_), "mask": flat(m)} for a, b_, m in batches],
            "step_losses": step_losses,
            "grad_norms": grad_norms,
            "final_weights": final,
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder, e.g. test/fixtures/torch/tiny-llama-v1")
    ap.add_argument("--variant", choices=sorted(VARIANTS), action="append", help="default: all")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for v in args.variant or sorted(VARIANTS):
        fx = build_variant(v)
        path = os.path.join(args.out, f"{v}.json")
        with open(path, "w") as f:
            json.dump(fx, f, separators=(",", ":"))
            f.write("\n")
        print(f"{path}: loss {fx['loss']:.6f}, step losses {fx['adamw']['step_losses'][0]:.4f} -> {fx['adamw']['step_losses'][-1]:.4f}, "
              f"{os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
