#!/usr/bin/env python3
"""
PyTorch baseline for the training benchmark: the reference model (src/model/config.ts
`referenceConfig`: vocab 128, dim 128, 4 layers, 4 heads, 4 kv heads, ffn 512,
context 128, ~1.08M parameters), batch 32, AdamW lr 1e-3, on random tokens.

    python3 bench/torch_train.py --threads 1 --steps 20
    -> {"threads":1,"tokens_per_s":...,"steps":20,"params":1082496,...}

Speed notes (measured here; docs/PERFORMANCE.md): the thread count must be fixed *before* torch is imported
(OMP_NUM_THREADS, OPENBLAS_NUM_THREADS, MKL_NUM_THREADS), so the script re-executes
itself with those set, then also calls torch.set_num_threads(N). Attention uses an
additive causal mask through baddbmm (2x faster than masked_fill there; torch 1.13 has
no F.scaled_dot_product_attention). Warmup steps are not timed.

The step matches the engine's trainer: forward, masked-mean cross-entropy (mask all
ones), backward, clip_grad_norm_(1.0), AdamW (betas 0.9/0.95, weight decay 0.1 on
matrices only).
"""
import argparse
import importlib.util
import json
import math
import os
import sys
import time

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def parse_args():
    ap = argparse.ArgumentParser(description="PyTorch training throughput for the reference llama")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    ap.add_argument("--steps", type=int, default=20, help="timed steps (default 20)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed warmup steps (default 3)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if a.threads < 1 or a.steps < 1 or a.warmup < 0:
        ap.error("--threads and --steps must be >= 1, --warmup >= 0")
    return a


def reexec_with_threads(n: int) -> None:
    """Re-run this script under an interpreter that has torch, with the thread env set."""
    want = str(n)
    if all(os.environ.get(v) == want for v in THREAD_VARS) and importlib.util.find_spec("torch") is not None:
        return
    if os.environ.get("TORCH_TRAIN_REEXEC") == "1":
        sys.exit("torch_train.py: no python with torch found (tried this interpreter and /usr/bin/python3); install python3-torch")
    python = sys.executable
    if importlib.util.find_spec("torch") is None:
        python = "/usr/bin/python3"
        if not os.path.exists(python):
            sys.exit("torch_train.py: this python has no torch and /usr/bin/python3 does not exist; install python3-torch")
    env = dict(os.environ, TORCH_TRAIN_REEXEC="1", **{v: want for v in THREAD_VARS})
    os.execve(python, [python, os.path.abspath(__file__), *sys.argv[1:]], env)


ARGS = parse_args()
reexec_with_threads(ARGS.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

CONFIG = dict(vocabSize=128, dim=128, nLayers=4, nHeads=4, nKvHeads=4, ffnDim=512, contextLength=128, ropeTheta=10000.0, normEps=1e-5)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        C, self.nh, self.kvh = c["dim"], c["nHeads"], c["nKvHeads"]
        self.hs = C // self.nh
        self.input_layernorm = RMSNorm(C, c["normEps"])
        self.q_proj = nn.Linear(C, self.nh * self.hs, bias=False)
        self.k_proj = nn.Linear(C, self.kvh * self.hs, bias=False)
        self.v_proj = nn.Linear(C, self.kvh * self.hs, bias=False)
        self.o_proj = nn.Linear(self.nh * self.hs, C, bias=False)
        self.post_attention_layernorm = RMSNorm(C, c["normEps"])
        self.gate_proj = nn.Linear(C, c["ffnDim"], bias=False)
        self.up_proj = nn.Linear(C, c["ffnDim"], bias=False)
        self.down_proj = nn.Linear(c["ffnDim"], C, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, C = x.shape
        nh, kvh, hs = self.nh, self.kvh, self.hs
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(B, T, nh, hs).transpose(1, 2)
        k = self.k_proj(h).view(B, T, kvh, hs).transpose(1, 2)
        v = self.v_proj(h).view(B, T, kvh, hs).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if kvh != nh:  # repeat_kv: query head i reads kv head i // (nh / kvh)
            k = k.repeat_interleave(nh // kvh, dim=1)
            v = v.repeat_interleave(nh // kvh, dim=1)
        q = q.reshape(B * nh, T, hs)
        k = k.reshape(B * nh, T, hs)
        v = v.reshape(B * nh, T, hs)
        # scores = mask + scale · q kᵀ in one call (additive causal mask, broadcast over B·NH)
        att = torch.baddbmm(mask, q, k.transpose(1, 2), beta=1.0, alpha=1.0 / math.sqrt(hs))
        att = F.softmax(att, dim=-1)
        y = torch.bmm(att, v).view(B, nh, T, hs).transpose(1, 2).reshape(B, T, nh * hs)
        x = x + self.o_proj(y)
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embed_tokens = nn.Embedding(c["vocabSize"], c["dim"])
        self.layers = nn.ModuleList(Block(c) for _ in range(c["nLayers"]))
        self.norm = RMSNorm(c["dim"], c["normEps"])
        self.lm_head = nn.Linear(c["dim"], c["vocabSize"], bias=False)
        hs = c["dim"] // c["nHeads"]
        inv_freq = 1.0 / (c["ropeTheta"] ** (torch.arange(0, hs, 2).float() / hs))
        freqs = torch.outer(torch.arange(c["contextLength"]).float(), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos(), persistent=False)
        self.register_buffer("sin", emb.sin(), persistent=False)
        T = c["contextLength"]
        self.register_buffer("mask", torch.full((1, T, T), float("-inf")).triu(1), persistent=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * c["nLayers"]) if name.endswith(("o_proj.weight", "down_proj.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, tokens, targets, mask):
        B, T = tokens.shape
        cos, sin, att_mask = self.cos[:T], self.sin[:T], self.mask[:, :T, :T]
        x = self.embed_tokens(tokens)
        for layer in self.layers:
            x = layer(x, cos, sin, att_mask)
        logits = self.lm_head(self.norm(x))
        nll = F.cross_entropy(logits.view(B * T, -1), targets.reshape(-1), reduction="none")
        m = mask.view(-1)
        return (m * nll).sum() / m.sum()


def main():
    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(ARGS.seed)
    c = dict(CONFIG, contextLength=max(CONFIG["contextLength"], ARGS.context))
    model = Llama(c)
    n_params = sum(p.numel() for p in model.parameters())
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=ARGS.lr, betas=(0.9, 0.95), eps=1e-8,
    )
    B, T, V = ARGS.batch, ARGS.context, c["vocabSize"]
    gen = torch.Generator().manual_seed(ARGS.seed)
    mask = torch.ones(B, T)

    def step():
        seq = torch.randint(0, V, (B, T + 1), generator=gen)
        loss = model(seq[:, :-1].contiguous(), seq[:, 1:].contiguous(), mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for _ in range(ARGS.warmup):
        step()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(ARGS.steps):
        loss = step()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({
        "threads": ARGS.threads,
        "tokens_per_s": round(ARGS.steps * B * T / dt, 1),
        "steps": ARGS.steps,
        "params": n_params,
        "warmup": ARGS.warmup,
        "batch": B,
        "context": T,
        "ms_per_step": round(1000 * dt / ARGS.steps, 2),
        "final_loss": round(loss, 4),
        # CPU seconds per wall second: well under `threads` means other processes shared the cores
        "cpu_per_wall": round(cpu / dt, 2),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
    }, separators=(",", ":")))


if __name__ == "__main__":
    main()
