/**
 * Matmul throughput per kernel backend, for the shapes one training step of the
 * ~1M-parameter llama issues. Run: `npx tsx bench/matmul.ts` (FTLEDGER_BENCH_SECONDS
 * sets the time per cell, default 0.3).
 *
 * Shape key: BT = 4096 tokens per batch (B·T), C = 128 model width, HS = 32 head size,
 * T = 128 context. A linear layer y = x Wᵀ with W (out, in) issues three products:
 *
 *   fwd  y  (BT, out) = x (BT, in) · Wᵀ            transB
 *   dx   dx (BT, in)  = dy (BT, out) · W            no transposes
 *   dW   dW (out, in) += dyᵀ (out, BT) · x (BT, in) transA, accumulate
 *
 * Attention per head reads a strided (T, HS) block out of a (T, C) buffer, so those
 * cells use lda/ldb = C like the real call. Backends that cannot start are listed
 * with the reason and skipped. Where the CPU has AVX512_BF16 a "native bf16" column
 * shows the native kernels with bf16 products (operands rounded to bfloat16, float32
 * sums); GFLOP/s counts the same 2·M·N·K for it.
 */
import { loadKernels, type KernelsName, type Kernels, type MatmulArgs } from "../src/tensor/index.js";
import type { NativeKernels } from "../src/tensor/native.js";

const BT = 4096, C = 128, T = 128, HS = 32;
const SECONDS = Number(process.env.FTLEDGER_BENCH_SECONDS ?? "0.3");

interface Case {
  label: string;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  accumulate?: boolean;
  lda?: number;
  ldb?: number;
}

function linear(inF: number, outF: number): Case[] {
  return [
    { label: `fwd  ${inF}→${outF}`, M: BT, N: outF, K: inF, transB: true },
    { label: `dx   ${inF}→${outF}`, M: BT, N: inF, K: outF },
    { label: `dW   ${inF}→${outF}`, M: outF, N: inF, K: BT, transA: true, accumulate: true },
  ];
}

const cases: Case[] = [
  ...linear(C, C), // attention output projection
  ...linear(C, 3 * C), // fused q, k, v
  ...linear(C, 4 * C), // MLP up
  ...linear(4 * C, C), // MLP down
  // per head: scores = Q Kᵀ, out = P V, and their backward products
  { label: "att  QKᵀ", M: T, N: T, K: HS, transB: true, lda: C, ldb: C },
  { label: "att  P·V", M: T, N: HS, K: T, ldb: C },
  { label: "att  dP=dO·Vᵀ", M: T, N: T, K: HS, transB: true, lda: C, ldb: C },
  { label: "att  dV=Pᵀ·dO", M: T, N: HS, K: T, transA: true, accumulate: true, ldb: C },
  { label: "tiny 1×1×1 (call overhead)", M: 1, N: 1, K: 1 },
];

/** Stored size of an operand with `rows` rows and row stride ld. */
function stored(rows: number, ld: number): number {
  return rows * ld;
}

function buffers(k: Kernels, c: Case): MatmulArgs<Float32Array> {
  const lda = c.lda ?? (c.transA ? c.M : c.K);
  const ldb = c.ldb ?? (c.transB ? c.K : c.N);
  const a = k.alloc(stored(c.transA ? c.K : c.M, lda)).fill(0.5);
  const b = k.alloc(stored(c.transB ? c.N : c.K, ldb)).fill(0.25);
  const out = k.alloc(c.M * c.N);
  return { out, a, b, M: c.M, N: c.N, K: c.K, transA: c.transA, transB: c.transB, accumulate: c.accumulate, lda, ldb };
}

/** GFLOP/s and µs per call, timing batches of calls until SECONDS have passed. */
function measure(k: Kernels, c: Case): { gflops: number; us: number } {
  const args = buffers(k, c);
  k.matmul(args); // warm up (page in buffers, start threads)
  let calls = 0;
  let batch = 1;
  const t0 = performance.now();
  let elapsed = 0;
  while (elapsed < SECONDS * 1000) {
    for (let i = 0; i < batch; i++) k.matmul(args);
    calls += batch;
    batch *= 2;
    elapsed = performance.now() - t0;
  }
  const sec = elapsed / 1000 / calls;
  return { gflops: (2 * c.M * c.N * c.K) / sec / 1e9, us: sec * 1e6 };
}

const names: KernelsName[] = ["ts", "wasm", "native"];
const backends: Kernels[] = [];
for (const name of names) {
  try {
    const { kernels } = await loadKernels(name);
    backends.push(kernels);
    console.log(`${name.padEnd(7)} ${kernels.description}`);
    if (name === "native") {
      const nk = kernels as NativeKernels;
      if (nk.bf16Supported) backends.push(bf16View(nk));
      else console.log("native bf16 skipped: this CPU lacks AVX512_BF16");
    }
  } catch (e) {
    console.log(`${name.padEnd(7)} skipped: ${(e as Error).message}`);
  }
}

/** The native kernels with bf16 products switched on for each call (and off after). */
function bf16View(nk: NativeKernels): Kernels {
  return {
    ...nk,
    name: nk.name,
    description: "native, bf16 products",
    alloc: (n) => nk.alloc(n),
    matmul(args) {
      nk.setMatmulPrecision("bf16");
      try {
        nk.matmul(args);
      } finally {
        nk.setMatmulPrecision("f32");
      }
    },
  };
}

console.log(`\nGFLOP/s (µs per call); ${SECONDS} s per cell\n`);
console.log(["shape".padEnd(28), "M×N×K".padEnd(16), ...backends.map((k) => (k.description === "native, bf16 products" ? "native bf16" : k.name).padStart(18))].join(""));
for (const c of cases) {
  const cells = backends.map((k) => {
    const { gflops, us } = measure(k, c);
    return `${gflops.toFixed(1)} (${us < 100 ? us.toFixed(2) : us.toFixed(0)})`.padStart(18);
  });
  console.log([c.label.padEnd(28), `${c.M}×${c.N}×${c.K}`.padEnd(16), ...cells].join(""));
}
