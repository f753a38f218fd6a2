/**
 * `npm run bench:train`: trains the reference model (vocab 128, dim 128, 4 layers,
 * 4 heads, ffn 512, context 128, batch 32, AdamW) on every kernel backend that starts
 * here and prints tokens/s and achieved GFLOP/s; where the CPU has AVX512_BF16, also
 * the native kernels with bf16 products (the "native bf16" row: operands rounded to
 * bfloat16, float32 sums and master weights); when Debian's python3-torch is
 * importable, trains the same model in PyTorch with 1 and 2 threads in the same run.
 * Last line (machine-readable):
 *   train tokens_per_s=<N> torch_best=<M> ratio=<N/M> bf16_tokens_per_s=<B> bf16_ratio=<B/M>
 * where N is the best float32 row and the bf16 fields read "none" without AVX512_BF16.
 *
 * Options (env): BENCH_STEPS (timed steps, default 16: a step of the native kernels
 * is ~0.1 s, and 8 of them were too few on a shared machine), BENCH_WARMUP (default 2),
 * BENCH_BACKENDS (comma list, default ts,wasm,native; ts runs 2 steps only),
 * BENCH_TORCH=0 (skip PyTorch: torch_best and the ratios then read "none").
 *
 * The `lora` row: a LoRA fine-tune (r 8, alpha 16, q_proj + v_proj; Hu et al. 2021) against
 * a full fine-tune of zoo/base-l (BENCH_LORA_MODEL to choose another checkpoint) on the best
 * kernel set that started, same batch (32×128), BENCH_STEPS timed updates each (forward,
 * backward, clip, AdamW over what is trained), with the forward / backward / optimiser split:
 * the LoRA backward computes no base weight gradient (the base is frozen), only dx and the
 * adapter's dA, dB. Its own line, before the last:
 *   train lora_tokens_per_s=<L> full_ft_tokens_per_s=<F> lora_speedup=<L/F> lora_backward_ms=… full_backward_ms=…
 * BENCH_LORA=0 skips it.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadKernels, type Kernels, type KernelsName } from "../src/tensor/index.js";
import type { NativeKernels } from "../src/tensor/native.js";
import { createRng } from "../src/random/index.js";
import { Llama, referenceConfig, totalParameters, headDim, type ModelConfig } from "../src/model/index.js";
import { adamwStep, clipGradNorm, createAdamwState, loraTrainable, modelTrainable, type Trainable } from "../src/train/index.js";
import { createLoraAdapter, decayMask } from "../src/model/index.js";
import { loadCheckpoint, resolveCheckpointDir } from "../src/formats/index.js";

const B = 32;
const T = 128;
const steps = Number(process.env.BENCH_STEPS ?? 16);
const warmup = Number(process.env.BENCH_WARMUP ?? 2);
const backends = (process.env.BENCH_BACKENDS ?? "ts,wasm,native").split(",") as KernelsName[];

/** Model FLOPs of one training step: 3 × forward (forward + 2× for backward). */
function trainFlops(c: ModelConfig): number {
  const N = B * T;
  const matmulParams = totalParameters(c) - c.vocabSize * c.dim * (c.tiedEmbeddings ? 0 : 1) - c.nLayers * 2 * c.dim - c.dim;
  // embedding lookup is not a matmul; lm_head is (tied or not) one V×C matmul
  const forward = 2 * N * matmulParams + c.nLayers * 4 * B * c.nHeads * T * T * headDim(c);
  return 3 * forward;
}

async function benchBackend(name: KernelsName, bf16 = false): Promise<number | null> {
  let kernels;
  try {
    kernels = (await loadKernels(name)).kernels;
  } catch (e) {
    console.log(`${name.padEnd(7)} unavailable: ${(e as Error).message}`);
    return null;
  }
  if (bf16) {
    const nk = kernels as NativeKernels;
    if (!nk.bf16Supported) {
      console.log("native bf16 unavailable: this CPU lacks AVX512_BF16");
      return null;
    }
    nk.setMatmulPrecision("bf16");
    try {
      return run(name, kernels, "native bf16");
    } finally {
      nk.setMatmulPrecision("f32");
    }
  }
  return run(name, kernels, name);
}

function run(name: KernelsName, kernels: Kernels, label: string): number {
  const c = referenceConfig;
  const model = Llama.f32(c, kernels);
  model.initialize(createRng(1));
  const state = createAdamwState(kernels, model.numParameters);
  const mask = decayMask(c);
  const rng = createRng(2);
  const tokens = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  const n = name === "ts" ? 2 : steps;
  const w = name === "ts" ? 1 : warmup;
  let t0 = 0;
  for (let s = 0; s < w + n; s++) {
    if (s === w) t0 = performance.now();
    for (let i = 0; i < B * T; i++) {
      tokens[i] = rng.int(c.vocabSize);
      targets[i] = rng.int(c.vocabSize);
    }
    model.zeroGrad();
    model.forward({ B, T, tokens, targets, mask: null });
    model.backward();
    const { scale } = clipGradNorm(model.grads.flat, 1);
    adamwStep({ kernels, params: model.params.flat, grads: model.grads.flat, state, decayMask: mask, lr: 1e-3, gradScale: scale });
  }
  const sec = (performance.now() - t0) / 1000;
  const tps = (n * B * T) / sec;
  const gflops = (n * trainFlops(c)) / sec / 1e9;
  console.log(`${label.padEnd(7)} ${tps.toFixed(0).padStart(7)} tokens/s  ${gflops.toFixed(1).padStart(6)} GFLOP/s  (${kernels.description}; ${n} steps)`);
  return tps;
}

/**
 * PyTorch's speed on the same model. Its best setting is searched over 1 and 2 threads
 * and over the OpenBLAS environment: this workplace pins OPENBLAS_CORETYPE (and
 * OPENBLAS_L2_SIZE) for old OpenBLAS builds, which slows PyTorch's BLAS, so each thread
 * count also runs with both unset in that command alone (our engine keeps them as set).
 */
function torchBench(threads: number, unsetBlasEnv: boolean): number | null {
  const script = fileURLToPath(new URL("./torch_train.py", import.meta.url));
  const env = { ...process.env };
  if (unsetBlasEnv) {
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
  }
  const label = `${threads} thread${threads > 1 ? "s" : ""}${unsetBlasEnv ? ", OPENBLAS_CORETYPE unset" : ""}`;
  for (const py of ["/usr/bin/python3", "python3"]) {
    const probe = spawnSync(py, ["-c", "import torch"], { encoding: "utf8" });
    if (probe.status !== 0) continue;
    const r = spawnSync(py, [script, "--threads", String(threads), "--steps", String(steps)], { encoding: "utf8", env });
    if (r.status !== 0) {
      console.log(`torch   ${label} failed: ${r.stderr.trim().split("\n").pop()}`);
      return null;
    }
    const line = r.stdout.trim().split("\n").pop()!;
    const tps = (JSON.parse(line) as { tokens_per_s: number }).tokens_per_s;
    console.log(`torch   ${tps.toFixed(0).padStart(7)} tokens/s  (${label}; ${py})`);
    return tps;
  }
  return null;
}

/** One fine-tuning mode on a loaded checkpoint: tokens/s and the mean ms of forward, backward and the optimiser per update. */
function fineTuneRun(kernels: Kernels, config: ModelConfig, weights: Float32Array, mode: "full" | "lora") {
  const model = Llama.f32(config, kernels);
  model.params.flat.set(weights);
  if (mode === "lora") model.attachLora(createLoraAdapter(config, { r: 8, alpha: 16, dropout: 0, targetModules: ["q_proj", "v_proj"] }, createRng(3)), { train: true });
  const t: Trainable = mode === "lora" ? loraTrainable(model, 1) : modelTrainable(model);
  const state = createAdamwState(kernels, t.params.length);
  const rng = createRng(2);
  const tokens = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  const ms = { forward: 0, backward: 0, optimiser: 0 };
  let t0 = 0;
  for (let s = 0; s < warmup + steps; s++) {
    if (s === warmup) {
      t0 = performance.now();
      ms.forward = ms.backward = ms.optimiser = 0;
    }
    for (let i = 0; i < B * T; i++) {
      tokens[i] = rng.int(config.vocabSize);
      targets[i] = rng.int(config.vocabSize);
    }
    const a = performance.now();
    t.zeroGrad();
    model.forward({ B, T, tokens, targets, mask: null });
    const b = performance.now();
    model.backward();
    const c = performance.now();
    const { scale } = clipGradNorm(t.grads, 1);
    adamwStep({ kernels, params: t.params, grads: t.grads, state, decayMask: t.decayMask, lr: 1e-4, gradScale: scale });
    const d = performance.now();
    ms.forward += b - a;
    ms.backward += c - b;
    ms.optimiser += d - c;
  }
  const tps = (steps * B * T) / ((performance.now() - t0) / 1000);
  const per = (x: number) => (x / steps).toFixed(1);
  console.log(`${(mode === "lora" ? "lora" : "full ft").padEnd(7)} ${tps.toFixed(0).padStart(7)} tokens/s  forward ${per(ms.forward)} ms, backward ${per(ms.backward)} ms, optimiser ${per(ms.optimiser)} ms per update (${t.params.length} trained parameters)`);
  return { tps, backward: ms.backward / steps };
}

/** The `lora` row: LoRA (r 8, q/v) vs a full fine-tune of a zoo checkpoint on the best kernels. */
async function loraRow(): Promise<string | null> {
  const path = process.env.BENCH_LORA_MODEL ?? "zoo/base-l";
  const ck = await loadCheckpoint(await resolveCheckpointDir(path));
  if (!ck.ok) {
    console.log(`lora    unavailable: ${path} does not load`);
    return null;
  }
  let kernels: Kernels | null = null;
  for (const name of ["native", "wasm", "ts"] as KernelsName[]) {
    if (!backends.includes(name) && name !== "ts") continue;
    try {
      kernels = (await loadKernels(name)).kernels;
      break;
    } catch {
      // the next kernel set
    }
  }
  if (!kernels) return null;
  console.log(`lora row: ${path} (${totalParameters(ck.value.config)} parameters), ${kernels.name} kernels, batch ${B}×${T}`);
  const full = fineTuneRun(kernels, ck.value.config, ck.value.params, "full");
  const lora = fineTuneRun(kernels, ck.value.config, ck.value.params, "lora");
  return `train lora_tokens_per_s=${lora.tps.toFixed(0)} full_ft_tokens_per_s=${full.tps.toFixed(0)} lora_speedup=${(lora.tps / full.tps).toFixed(2)} ` +
    `lora_backward_ms=${lora.backward.toFixed(1)} full_backward_ms=${full.backward.toFixed(1)}`;
}

console.log(`reference model: ${totalParameters(referenceConfig)} parameters, batch ${B}×${T}, ${(trainFlops(referenceConfig) / 1e9).toFixed(2)} GFLOP per step`);
let best = 0;
for (const name of backends) best = Math.max(best, (await benchBackend(name)) ?? 0);
const bf16 = backends.includes("native") ? await benchBackend("native", true) : null;
const torch = process.env.BENCH_TORCH === "0" ? []
  : [torchBench(1, false), torchBench(2, false), torchBench(1, true), torchBench(2, true)].filter((x): x is number => x !== null);
const torchBest = torch.length ? Math.max(...torch) : null;
const loraLine = process.env.BENCH_LORA === "0" ? null : await loraRow();
if (loraLine) console.log(loraLine);
const ratio = (x: number | null): string => (x === null || torchBest === null ? "none" : (x / torchBest).toFixed(2));
console.log(
  `train tokens_per_s=${best.toFixed(0)} torch_best=${torchBest === null ? "none" : torchBest.toFixed(0)} ratio=${ratio(best)} ` +
  `bf16_tokens_per_s=${bf16 === null ? "none" : bf16.toFixed(0)} bf16_ratio=${ratio(bf16)}`,
);
