/**
 * Where one training step of the reference model goes: `npx tsx bench/step-profile.ts`.
 *
 * Times, per step (B 32 × T 128, the model of bench/train.ts): zeroGrad, forward,
 * backward, clip and AdamW, and inside forward / backward every matmul (grouped by
 * shape) and every kernel op (rmsnorm, swiglu, attention, cross-entropy, rope,
 * residual, embedding). What the timers do not cover (the batch checks in
 * Llama.forward, gradient-buffer fills, the dispatch itself) is the "other" row.
 *
 * Options:
 *   --backend NAME     kernel backend (default native)
 *   --steps N          timed steps (default 5, after 2 warm-up steps)
 *   --reference-ops    run every op on its TypeScript reference even when the backend
 *                      has a kernel for it (the profile before those kernels existed;
 *                      AdamW stays fused)
 *   --ts-ops LIST      the same for the listed ops only, e.g. rope,residual,embedding
 *                      (the profile before this change moved them into the addon)
 *   native only:
 *   --gemm own|openblas   which GEMM serves matmul (default: the backend's choice)
 *   --threads N           threads for OpenBLAS and the addon's pool
 *   --spin-us N           how long idle pool workers spin before sleeping
 *   --bf16                bf16 products (AVX512_BF16 CPUs only)
 *
 * How: the model is given a wrapper around the backend's Kernels whose matmul and
 * fused entries time each call (performance.now). A call made inside another timed
 * call (the TS attention reference calls matmul) counts towards the outer one. Ops the
 * backend lacks are wrapped TS references, exactly what src/model/ops/dispatch.ts runs.
 */
import { loadKernels, type KernelsName, type FusedKernels, type Kernels, type MatmulArgs } from "../src/tensor/index.js";
import type { NativeKernels } from "../src/tensor/native.js";
import { createRng } from "../src/random/index.js";
import { Llama, decayMask, referenceConfig } from "../src/model/index.js";
import {
  attentionBackward, attentionDecode, attentionForward, crossEntropyBackward, crossEntropyForward, embeddingBackward, embeddingForward,
  residualBackward, residualForward, rmsnormBackward, rmsnormForward, ropeBackward, ropeForward, swigluBackward, swigluForward,
} from "../src/model/ops/index.js";
import { adamwStep, clipGradNorm, createAdamwState } from "../src/train/index.js";

const B = 32;
const T = 128;
const WARMUP = 2;

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const backend = (option("--backend") ?? "native") as KernelsName;
const steps = Number(option("--steps") ?? 5);
const referenceOps = process.argv.includes("--reference-ops");
const tsOps = new Set((option("--ts-ops") ?? "").split(",").filter((x) => x !== ""));

type Phase = "zeroGrad" | "forward" | "backward" | "clip" | "adamw";
let phase: Phase = "forward";
/** ms per (phase, label), summed over timed steps. */
const acc = new Map<string, { ms: number; calls: number; flops: number }>();
let depth = 0;
let recording = false;

function timed<A extends unknown[], R>(label: string | ((...a: A) => string), fn: (...a: A) => R, flops?: (...a: A) => number): (...a: A) => R {
  return (...args: A): R => {
    if (depth > 0 || !recording) {
      depth++;
      try {
        return fn(...args);
      } finally {
        depth--;
      }
    }
    depth++;
    const t0 = performance.now();
    try {
      return fn(...args);
    } finally {
      const ms = performance.now() - t0;
      depth--;
      const key = `${phase}\u0000${typeof label === "string" ? label : label(...args)}`;
      const e = acc.get(key) ?? { ms: 0, calls: 0, flops: 0 };
      e.ms += ms;
      e.calls++;
      e.flops += flops ? flops(...args) : 0;
      acc.set(key, e);
    }
  };
}

function matmulLabel(a: MatmulArgs<Float32Array>): string {
  const flags = `${a.transA ? " Aᵀ" : ""}${a.transB ? " Bᵀ" : ""}${a.accumulate ? " +=" : ""}`;
  return `matmul ${a.M}×${a.N}×${a.K}${flags}`;
}

const { kernels: base } = await loadKernels(backend);
if (base.name === "native") {
  const nk = base as NativeKernels;
  const gemm = option("--gemm");
  if (gemm) nk.setOwnGemm(gemm === "own");
  if (option("--threads")) nk.setThreads(Number(option("--threads")));
  if (option("--spin-us")) nk.setSpinMicros(Number(option("--spin-us")));
  if (process.argv.includes("--bf16")) nk.setMatmulPrecision("bf16");
}
const fusedNames = [
  "rmsnormForward", "rmsnormBackward", "swigluForward", "swigluBackward",
  "attentionForward", "attentionBackward", "crossEntropyForward", "crossEntropyBackward",
  "ropeForward", "ropeBackward", "residualForward", "residualBackward", "embeddingForward", "embeddingBackward",
] as const;

/** The Kernels the model sees: the backend's, with every entry timed. */
const k: Kernels = {
  name: base.name,
  description: base.description,
  alloc: (n) => base.alloc(n),
  matmul: timed(matmulLabel, (a: MatmulArgs<Float32Array>) => base.matmul(a), (a) => 2 * a.M * a.N * a.K),
  fused: {},
};
const references: Required<Omit<FusedKernels, "adamw">> = {
  rmsnormForward, rmsnormBackward, swigluForward, swigluBackward,
  attentionForward: (a) => attentionForward(k, a),
  attentionBackward: (a) => attentionBackward(k, a),
  attentionDecode: (a) => attentionDecode(k, a), // inference only: a training step never calls it
  crossEntropyForward, crossEntropyBackward,
  ropeForward, ropeBackward, residualForward, residualBackward, embeddingForward, embeddingBackward,
};
const fusedUsed: string[] = [];
for (const name of fusedNames) {
  const own = referenceOps || tsOps.has(name.replace(/(Forward|Backward)$/, "")) ? undefined : base.fused[name];
  if (own) fusedUsed.push(name);
  const fn = (own ?? references[name]) as (a: never) => unknown;
  (k.fused as Record<string, unknown>)[name] = timed(`${name.replace(/(Forward|Backward)$/, "")}${own ? "" : " (TS)"}`, fn);
}
if (base.fused.adamw) k.fused.adamw = base.fused.adamw;

const c = referenceConfig;
const model = Llama.f32(c, k);
model.initialize(createRng(1));
const state = createAdamwState(k, model.numParameters);
const mask = decayMask(c);
const rng = createRng(2);
const tokens = new Int32Array(B * T);
const targets = new Int32Array(B * T);

function during<R>(p: Phase, fn: () => R): R {
  phase = p;
  const t0 = performance.now();
  const r = fn();
  const key = `${p}\u0000total`;
  const e = acc.get(key) ?? { ms: 0, calls: 0, flops: 0 };
  if (recording) {
    e.ms += performance.now() - t0;
    e.calls++;
    acc.set(key, e);
  }
  return r;
}

for (let s = 0; s < WARMUP + steps; s++) {
  recording = s >= WARMUP;
  for (let i = 0; i < B * T; i++) {
    tokens[i] = rng.int(c.vocabSize);
    targets[i] = rng.int(c.vocabSize);
  }
  during("zeroGrad", () => model.zeroGrad());
  during("forward", () => model.forward({ B, T, tokens, targets, mask: null }));
  during("backward", () => model.backward());
  const { scale } = during("clip", () => clipGradNorm(model.grads.flat, 1));
  during("adamw", () => adamwStep({ kernels: k, params: model.params.flat, grads: model.grads.flat, state, decayMask: mask, lr: 1e-3, gradScale: scale }));
}

// report ---------------------------------------------------------------------------

const per = (ms: number): number => ms / steps;
const phases: Phase[] = ["zeroGrad", "forward", "backward", "clip", "adamw"];
const stepMs = phases.reduce((s, p) => s + per(acc.get(`${p}\u0000total`)?.ms ?? 0), 0);
const line = (label: string, ms: number, calls: string, extra = ""): string =>
  `${label.padEnd(34)} ${ms.toFixed(2).padStart(9)} ${((100 * ms) / stepMs).toFixed(1).padStart(6)}% ${calls.padStart(7)}  ${extra}`;

console.log(`backend ${base.name}: ${base.description}`);
console.log(`fused ops from the backend: ${fusedUsed.length ? fusedUsed.join(", ") : "none"}${referenceOps ? " (--reference-ops)" : ""}`);
console.log(`reference model, B ${B} × T ${T}, ${steps} timed steps after ${WARMUP} warm-up\n`);
console.log(`${"phase / op".padEnd(34)} ${"ms/step".padStart(9)} ${"share".padStart(7)} ${"calls".padStart(7)}  GFLOP/s`);
for (const p of phases) {
  const total = per(acc.get(`${p}\u0000total`)?.ms ?? 0);
  console.log(line(p, total, ""));
  const rows = [...acc.entries()]
    .filter(([key]) => key.startsWith(`${p}\u0000`) && !key.endsWith("\u0000total"))
    .map(([key, e]) => ({ label: key.split("\u0000")[1], ...e }));
  if (!rows.length) continue;
  // matmuls summed, then each shape; fused ops by time
  const mm = rows.filter((r) => r.label.startsWith("matmul"));
  const ops = rows.filter((r) => !r.label.startsWith("matmul")).sort((a, b) => b.ms - a.ms);
  let covered = 0;
  for (const r of ops) {
    covered += per(r.ms);
    console.log(line(`  ${r.label}`, per(r.ms), String(r.calls / steps)));
  }
  if (mm.length) {
    const ms = mm.reduce((s, r) => s + r.ms, 0);
    const flops = mm.reduce((s, r) => s + r.flops, 0);
    covered += per(ms);
    console.log(line("  matmul (all)", per(ms), String(mm.reduce((s, r) => s + r.calls, 0) / steps), (flops / ms / 1e6).toFixed(1)));
    for (const r of mm.sort((a, b) => b.ms - a.ms)) {
      console.log(line(`    ${r.label.slice(7)}`, per(r.ms), String(r.calls / steps), (r.flops / r.ms / 1e6).toFixed(1)));
    }
  }
  console.log(line("  other (fills, checks, JS)", total - covered, ""));
}
console.log(line("step", stepMs, ""));
console.log(`\n${((B * T) / (stepMs / 1000)).toFixed(0)} tokens/s from the timed steps (timers add a little overhead)`);
