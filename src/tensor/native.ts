/**
 * `native`: the N-API addon in native/ (built at install time by
 * scripts/build-native.mjs when OpenBLAS is present):
 *   - matmul: our AVX-512 GEMM (native/gemm.c) when the addon was compiled for
 *     AVX-512, else OpenBLAS cblas_sgemm; FTLEDGER_GEMM=openblas forces OpenBLAS;
 *   - every FusedKernels op in C: AdamW, RMSNorm, SwiGLU, cross-entropy, attention
 *     (one sequence, all heads), RoPE, residual adds and the embedding's gather and
 *     scatter, checked against the TypeScript references in test/tensor/fused.test.ts;
 *   - optional bf16 products (setMatmulPrecision("bf16"), or FTLEDGER_MATMUL=bf16):
 *     operands rounded to bfloat16, sums in float32, where the CPU has AVX512_BF16
 *     (asked at run time); off by default, since it moves results by about 1e-3
 *     relative (docs/PERFORMANCE.md, test/model/bf16.test.ts);
 *   - one thread setting (setThreads) for OpenBLAS and for the addon's own pool.
 *
 * This file checks every shape, leading dimension and buffer length before calling C,
 * so a wrong call is a clear Error naming the argument rather than a silent
 * out-of-bounds write. Views (subarray) are fine: the addon reads each array's
 * byteOffset.
 *
 * NOTE: Debian's OpenBLAS 0.3.21 does not recognise this CPU and, as this workplace
 * pins OPENBLAS_CORETYPE=Haswell, runs its AVX2 kernels at about half the speed of
 * AVX-512 (4096×512×128 on one thread: 87 vs 175 GFLOP/s). We do not override the core
 * type: it is pinned because older OpenBLAS builds compute wrong results or crash on
 * some of these processors. Our own GEMM (native/gemm.c) uses AVX-512 directly instead.
 *
 * NOTE: after a multi-threaded sgemm, OpenBLAS 0.3.21's workers spin (calling
 * sched_yield) for 2^28 cycles, about 0.1 s, and on 2 cores they take CPU from the
 * addon's own pool: with FTLEDGER_GEMM=openblas the fused attention ran 1.5–2× slower
 * (step 272 → 250 ms once fixed). OpenBLAS reads OPENBLAS_THREAD_TIMEOUT (log2 of the
 * cycles) once, when the library loads, so we set it to 16 (≈ 20 µs) for that load
 * only, unless it is set already, and restore the environment afterwards.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { DECODE_MAX_ROWS, type AdamwKernelArgs, type AttentionShape, type FusedKernels, type Kernels, type MatmulArgs } from "./kernels.js";
import { INT32_MAX, need, size } from "./native-checks.js";
import { elementwise, type ElementwiseAddon, type ElementwiseOp } from "./native-elementwise.js";
import type { KernelsAttempt } from "./kernels.js";

/** The native kernels' extras beyond the Kernels interface. */
export interface NativeKernels extends Kernels {
  readonly name: "native";
  /** Threads for OpenBLAS's large products and for the addon's own pool (its GEMM, the fused kernels). */
  setThreads(n: number): void;
  threads(): number;
  /** OpenBLAS products with M·N·K below this run on one thread (default 2^25; see ftledger_native.c). */
  setSerialBelow(mnk: number): void;
  /** Route matmul to the addon's own GEMM (true; only where it was built for AVX-512) or to OpenBLAS. */
  setOwnGemm(on: boolean): void;
  /** Whether matmul currently runs on the addon's own GEMM. */
  ownGemm(): boolean;
  /** How long idle pool workers spin before sleeping, in microseconds (default 100). */
  setSpinMicros(us: number): void;
  /** Whether this CPU runs bf16 products (AVX512_BF16, asked at run time). */
  readonly bf16Supported: boolean;
  /**
   * "f32" (the default) or "bf16": products with M ≥ 8 then round both operands to
   * bfloat16 and sum in float32 (the caller's buffers, weights included, stay float32).
   * Throws, naming the missing CPU feature, for "bf16" where bf16Supported is false.
   */
  setMatmulPrecision(p: MatmulPrecision): void;
  matmulPrecision(): MatmulPrecision;
}

export type MatmulPrecision = "f32" | "bf16";

type F32 = Float32Array;

/** What ftledger_native.c exports. */
interface Addon extends ElementwiseAddon {
  sgemm(c: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number,
    lda: number, ldb: number, ldc: number, flags: number): void;
  adamw(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, mask: Uint8Array,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number, gradScale: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setSerialBelow(mnk: number): void;
  setOwnGemm(on: boolean): void;
  setSpinMicros(us: number): void;
  misalignment(a: Float32Array): number;
  config(): { config: string; corename: string; ownGemmBuilt: boolean; ownGemm: boolean; bf16Supported: boolean; bf16: boolean };
  setBf16(on: boolean): boolean;
  rmsnormForward(out: F32, rstd: F32, inp: F32, weight: F32, N: number, C: number, eps: number): void;
  rmsnormBackward(dinp: F32, dweight: F32, dout: F32, inp: F32, weight: F32, rstd: F32, N: number, C: number): void;
  swigluForward(out: F32, gate: F32, up: F32, n: number): void;
  swigluBackward(dgate: F32, dup: F32, dout: F32, gate: F32, up: F32, n: number, accumulate: boolean): void;
  crossEntropyForward(result: Float64Array, logprobs: F32, probs: F32 | null, logits: F32, targets: Int32Array,
    mask: F32 | null, N: number, V: number): void;
  crossEntropyBackward(probs: F32, targets: Int32Array, mask: F32 | null, count: number, N: number, V: number): void;
  attentionForward(out: F32, att: F32, q: F32, key: F32, value: F32,
    Tq: number, Tk: number, qOffset: number, NH: number, KVH: number, HS: number): void;
  attentionBackward(dq: F32, dkey: F32, dvalue: F32, dout: F32, att: F32, q: F32, key: F32, value: F32,
    Tq: number, Tk: number, qOffset: number, NH: number, KVH: number, HS: number): void;
  attentionDecode(out: F32, q: F32, keys: F32[], values: F32[], rows: Int32Array, Tq: Int32Array, Tk: Int32Array,
    NH: number, KVH: number, HS: number): void;
}

const ADDON_FUNCTIONS = [
  "sgemm", "adamw", "setNumThreads", "getNumThreads", "setSerialBelow", "setOwnGemm", "setSpinMicros", "misalignment", "config",
  "rmsnormForward", "rmsnormBackward", "swigluForward", "swigluBackward", "crossEntropyForward", "crossEntropyBackward",
  "attentionForward", "attentionBackward", "attentionDecode", "setBf16",
  "ropeForward", "ropeBackward", "residualForward", "residualBackward", "embeddingForward", "embeddingBackward",
] as const;

const FLAG_TRANS_A = 1;
const FLAG_TRANS_B = 2;
const FLAG_ACCUMULATE = 4;

/** native/build/Release/ftledger_native.node, two levels above src/tensor or dist/tensor. */
export const addonPath = fileURLToPath(new URL("../../native/build/Release/ftledger_native.node", import.meta.url));

const BF16_MISSING = "this CPU lacks AVX512_BF16 (no avx512_bf16 in /proc/cpuinfo flags)";

const FIX = "install libopenblas-dev (Debian/Ubuntu) and run `npm rebuild ftledger` or `node scripts/build-native.mjs`";

export async function createNativeKernels(): Promise<KernelsAttempt> {
  if (!existsSync(addonPath)) return { ok: false, reason: `the native addon is not built (${addonPath} is missing); ${FIX}` };
  const coreChoice = coreTypeSource();
  const timeout = process.env.OPENBLAS_THREAD_TIMEOUT;
  if (timeout === undefined) process.env.OPENBLAS_THREAD_TIMEOUT = "16";
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)(addonPath);
  } catch (e) {
    return { ok: false, reason: `the native addon failed to load (${(e as Error).message}); ${FIX}` };
  } finally {
    if (timeout === undefined) delete process.env.OPENBLAS_THREAD_TIMEOUT;
  }
  if (!isAddon(mod)) return { ok: false, reason: `${addonPath} is not the expected addon (an older build?); ${FIX}` };
  const gemm = process.env.FTLEDGER_GEMM ?? "";
  if (!["", "own", "openblas"].includes(gemm)) {
    return { ok: false, reason: `FTLEDGER_GEMM="${gemm}" is not a GEMM choice; use own or openblas, or unset it` };
  }
  if (gemm === "openblas") mod.setOwnGemm(false);
  const precision = process.env.FTLEDGER_MATMUL ?? "";
  if (!["", "f32", "bf16"].includes(precision)) {
    return { ok: false, reason: `FTLEDGER_MATMUL="${precision}" is not a matmul precision; use f32 or bf16, or unset it` };
  }
  if (precision === "bf16" && !mod.setBf16(true)) {
    return { ok: false, reason: `FTLEDGER_MATMUL=bf16 asks for bf16 products, but ${BF16_MISSING}; unset FTLEDGER_MATMUL (or set it to f32)` };
  }
  return { ok: true, kernels: wrap(mod, coreChoice) };
}

function isAddon(x: unknown): x is Addon {
  if (typeof x !== "object" || x === null) return false;
  const r = x as Record<string, unknown>;
  return ADDON_FUNCTIONS.every((k) => typeof r[k] === "function");
}

/** How OpenBLAS chose its kernel set, for the description. */
function coreTypeSource(): string {
  const pinned = process.env.OPENBLAS_CORETYPE;
  return pinned ? `OPENBLAS_CORETYPE=${pinned} from the environment` : "detected by OpenBLAS";
}

function wrap(addon: Addon, coreChoice: string): NativeKernels {
  const { config, corename, ownGemmBuilt, bf16Supported } = addon.config();
  const core = `${corename} kernels (${coreChoice})`;
  return {
    name: "native",
    get description(): string {
      const now = addon.config();
      const gemm = now.bf16 ? "bf16 GEMM (AVX512_BF16, f32 sums; OpenBLAS for M < 8)"
        : now.ownGemm ? "own AVX-512 GEMM (OpenBLAS for M < 8)" : "OpenBLAS cblas_sgemm";
      return `${gemm}, fused ops in C, ${addon.getNumThreads()} threads; OpenBLAS ${core}; ${config.trim()}`;
    },
    alloc: (n) => alloc(addon, n),
    matmul: (args) => matmul(addon, args),
    fused: { adamw: (args) => adamw(addon, args), ...fused(addon), ...elementwise(addon) },
    setThreads(n: number): void {
      if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`native setThreads: n must be an integer in 1..1024, got ${n}`);
      addon.setNumThreads(n);
    },
    threads: () => addon.getNumThreads(),
    setSerialBelow(mnk: number): void {
      if (!Number.isSafeInteger(mnk) || mnk < 0) throw new Error(`native setSerialBelow: mnk must be a non-negative integer, got ${mnk}`);
      addon.setSerialBelow(mnk);
    },
    setOwnGemm(on: boolean): void {
      if (on && !ownGemmBuilt) throw new Error("native setOwnGemm: the addon was not compiled for AVX-512, so it has no own GEMM; OpenBLAS stays in use");
      addon.setOwnGemm(on);
    },
    ownGemm: () => addon.config().ownGemm,
    setSpinMicros(us: number): void {
      if (!Number.isInteger(us) || us < 0 || us > 1e6) throw new Error(`native setSpinMicros: us must be an integer in 0..1000000, got ${us}`);
      addon.setSpinMicros(us);
    },
    bf16Supported,
    setMatmulPrecision(p: MatmulPrecision): void {
      if (p !== "f32" && p !== "bf16") throw new Error(`native setMatmulPrecision: "${String(p)}" is not a precision; use "f32" or "bf16"`);
      if (p === "bf16" && !bf16Supported) throw new Error(`native setMatmulPrecision("bf16"): ${BF16_MISSING}; keep "f32"`);
      addon.setBf16(p === "bf16");
    },
    matmulPrecision: () => (addon.config().bf16 ? "bf16" : "f32"),
  };
}

/**
 * A zeroed Float32Array starting on a 64-byte boundary (a view into a slightly larger
 * buffer): the GEMM's vector loads then never straddle cache lines, 8% faster.
 * NOTE: only from 64 floats up; V8 keeps smaller typed arrays on its heap, where they
 * may move, so their address means nothing.
 */
function alloc(addon: Addon, n: number): Float32Array {
  if (n < 64) return new Float32Array(n);
  const raw = new Float32Array(n + 15);
  const skip = ((64 - addon.misalignment(raw)) % 64) / 4;
  return Number.isInteger(skip) ? raw.subarray(skip, skip + n) : raw.subarray(0, n);
}

function matmul(addon: Addon, args: MatmulArgs<Float32Array>): void {
  const { out, a, b, M, N, K } = args;
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  // Defaults as in ts.ts; max(1, …) because BLAS wants ld ≥ 1 even for an empty dimension.
  const lda = args.lda ?? Math.max(1, transA ? M : K);
  const ldb = args.ldb ?? Math.max(1, transB ? K : N);
  const ldc = args.ldc ?? Math.max(1, N);
  dim("M", M);
  dim("N", N);
  dim("K", K);
  // stored shapes: A is (M, K) or (K, M); B is (K, N) or (N, K); out is (M, N)
  operand("a", a, transA ? K : M, transA ? M : K, "lda", lda);
  operand("b", b, transB ? N : K, transB ? K : N, "ldb", ldb);
  operand("out", out, M, N, "ldc", ldc);
  // NOTE: out must not overlap a or b (BLAS reads them while writing out); not checked.
  const flags = (transA ? FLAG_TRANS_A : 0) | (transB ? FLAG_TRANS_B : 0) | (args.accumulate ? FLAG_ACCUMULATE : 0);
  addon.sgemm(out, a, b, M, N, K, lda, ldb, ldc, flags);
}

function dim(name: string, x: number): void {
  if (!Number.isInteger(x) || x < 0 || x > INT32_MAX) throw new Error(`native matmul: ${name} must be a non-negative int32, got ${x}`);
}

/** Check that a row-major (rows, cols) block with row stride ld fits in buf. */
function operand(name: string, buf: Float32Array, rows: number, cols: number, ldName: string, ld: number): void {
  if (!(buf instanceof Float32Array)) throw new Error(`native matmul: ${name} must be a Float32Array`);
  if (!Number.isInteger(ld) || ld < Math.max(1, cols) || ld > INT32_MAX) {
    throw new Error(`native matmul: ${ldName}=${ld} must be an integer ≥ ${Math.max(1, cols)} (the columns of ${name} as stored)`);
  }
  const need = rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0;
  if (buf.length < need) {
    throw new Error(`native matmul: ${name} has ${buf.length} elements but a ${rows}×${cols} block with ${ldName}=${ld} needs ${need}`);
  }
}

function adamw(addon: Addon, args: AdamwKernelArgs): void {
  const { params, grads, m, v, decayMask, step } = args;
  const n = params.length;
  for (const [name, buf] of [["params", params], ["grads", grads], ["m", m], ["v", v]] as const) {
    if (!(buf instanceof Float32Array)) throw new Error(`native adamw: ${name} must be a Float32Array`);
    if (buf.length !== n) throw new Error(`native adamw: ${name} has ${buf.length} elements, params has ${n}`);
  }
  if (!(decayMask instanceof Uint8Array)) throw new Error("native adamw: decayMask must be a Uint8Array");
  if (decayMask.length !== n) throw new Error(`native adamw: decayMask has ${decayMask.length} elements, params has ${n}`);
  if (!Number.isInteger(step) || step < 1) throw new Error(`native adamw: step must be an integer ≥ 1 (1-based), got ${step}`);
  addon.adamw(params, grads, m, v, decayMask, args.lr, args.beta1, args.beta2, args.eps, args.weightDecay, step, args.gradScale);
}

// Fused kernels ------------------------------------------------------------------------

/** The FusedKernels ops beyond AdamW, each argument checked before it reaches C. */
function fused(addon: Addon): Omit<Required<FusedKernels>, "adamw" | ElementwiseOp> {
  const ceResult = new Float64Array(2); // [loss, count], reused: no allocation per call
  return {
    rmsnormForward({ out, rstd, inp, weight, N, C, eps }) {
      const op = "rmsnormForward";
      size(op, "N", N, 0);
      size(op, "C", C, 1);
      if (!(eps >= 0 && Number.isFinite(eps))) throw new Error(`native ${op}: eps must be a finite number ≥ 0, got ${eps}`);
      need(op, { out: [out, N * C], inp: [inp, N * C], rstd: [rstd, N], weight: [weight, C] });
      addon.rmsnormForward(out, rstd, inp, weight, N, C, eps);
    },
    rmsnormBackward({ dinp, dweight, dout, inp, weight, rstd, N, C }) {
      const op = "rmsnormBackward";
      size(op, "N", N, 0);
      size(op, "C", C, 1);
      need(op, { dinp: [dinp, N * C], dout: [dout, N * C], inp: [inp, N * C], dweight: [dweight, C], weight: [weight, C], rstd: [rstd, N] });
      addon.rmsnormBackward(dinp, dweight, dout, inp, weight, rstd, N, C);
    },
    swigluForward({ out, gate, up, n }) {
      size("swigluForward", "n", n, 0);
      need("swigluForward", { out: [out, n], gate: [gate, n], up: [up, n] });
      addon.swigluForward(out, gate, up, n);
    },
    swigluBackward({ dgate, dup, dout, gate, up, n, accumulate }) {
      size("swigluBackward", "n", n, 0);
      need("swigluBackward", { dgate: [dgate, n], dup: [dup, n], dout: [dout, n], gate: [gate, n], up: [up, n] });
      addon.swigluBackward(dgate, dup, dout, gate, up, n, accumulate !== false);
    },
    crossEntropyForward({ logprobs, probs, logits, targets, mask, N, V }) {
      const op = "crossEntropyForward";
      size(op, "N", N, 0);
      size(op, "V", V, 1);
      need(op, { logprobs: [logprobs, N], logits: [logits, N * V], ...(probs ? { probs: [probs, N * V] } : {}), ...(mask ? { mask: [mask, N] } : {}) });
      checkTargets(op, targets, N, V);
      addon.crossEntropyForward(ceResult, logprobs, probs ?? null, logits, targets, mask, N, V);
      return { loss: ceResult[0], count: ceResult[1] };
    },
    crossEntropyBackward({ probs, targets, mask, count, N, V }) {
      const op = "crossEntropyBackward";
      size(op, "N", N, 0);
      size(op, "V", V, 1);
      if (!(count > 0)) throw new Error(`native ${op}: count must be > 0 (the loss mask selects no token), got ${count}`);
      need(op, { probs: [probs, N * V], ...(mask ? { mask: [mask, N] } : {}) });
      checkTargets(op, targets, N, V);
      addon.crossEntropyBackward(probs, targets, mask, count, N, V);
    },
    attentionForward(a) {
      const { Tq, Tk, NH, KVH, HS } = attentionShape("attentionForward", a);
      need("attentionForward", {
        out: [a.out, Tq * NH * HS], q: [a.q, Tq * NH * HS], key: [a.key, Tk * KVH * HS], value: [a.value, Tk * KVH * HS], att: [a.att, NH * Tq * Tk],
      });
      addon.attentionForward(a.out, a.att, a.q, a.key, a.value, Tq, Tk, a.qOffset, NH, KVH, HS);
    },
    attentionDecode(a) {
      const { NH, KVH, HS, seqs } = a;
      attentionShape("attentionDecode", { Tq: 1, Tk: 1, qOffset: 0, NH, KVH, HS });
      const n = seqs.length;
      const rows = new Int32Array(n), Tq = new Int32Array(n), Tk = new Int32Array(n);
      const keys: Float32Array[] = new Array(n), values: Float32Array[] = new Array(n);
      let end = 0;
      for (let i = 0; i < n; i++) {
        const s = seqs[i];
        if (!(Number.isInteger(s.Tq) && s.Tq >= 1 && s.Tq <= DECODE_MAX_ROWS && Number.isInteger(s.Tk) && s.Tk >= s.Tq && Number.isInteger(s.row) && s.row >= 0)) {
          throw new Error(`native attentionDecode: sequence ${i} has row ${s.row}, Tq ${s.Tq}, Tk ${s.Tk}; each needs a row ≥ 0, 1 ≤ Tq ≤ ${DECODE_MAX_ROWS} and Tk ≥ Tq (send a sequence of more rows to attentionForward)`);
        }
        // the sequences run in parallel: rows that two of them wrote would be a race
        if (s.row < end) throw new Error(`native attentionDecode: sequence ${i} starts at row ${s.row}, inside the rows of the sequence before it (which end at ${end}); give the sequences in row order, without overlap`);
        need(`attentionDecode (sequence ${i})`, { key: [s.key, s.Tk * KVH * HS], value: [s.value, s.Tk * KVH * HS] });
        rows[i] = s.row;
        Tq[i] = s.Tq;
        Tk[i] = s.Tk;
        keys[i] = s.key;
        values[i] = s.value;
        end = s.row + s.Tq;
      }
      need("attentionDecode", { out: [a.out, end * NH * HS], q: [a.q, end * NH * HS] });
      if (n > 0) addon.attentionDecode(a.out, a.q, keys, values, rows, Tq, Tk, NH, KVH, HS);
    },
    attentionBackward(a) {
      const { Tq, Tk, NH, KVH, HS } = attentionShape("attentionBackward", a);
      const qn = Tq * NH * HS;
      const kn = Tk * KVH * HS;
      need("attentionBackward", {
        dq: [a.dq, qn], dkey: [a.dkey, kn], dvalue: [a.dvalue, kn], dout: [a.dout, qn], att: [a.att, NH * Tq * Tk],
        q: [a.q, qn], key: [a.key, kn], value: [a.value, kn],
      });
      // NOTE: `scratch` is not used; the addon keeps its own per-thread scratch.
      addon.attentionBackward(a.dq, a.dkey, a.dvalue, a.dout, a.att, a.q, a.key, a.value, Tq, Tk, a.qOffset, NH, KVH, HS);
    },
  };
}

/** RoPE, residual adds and the embedding (native/napi_elementwise.c), each argument checked. */
function checkTargets(op: string, targets: Int32Array, N: number, V: number): void {
  if (!(targets instanceof Int32Array)) throw new Error(`native ${op}: targets must be an Int32Array`);
  if (targets.length < N) throw new Error(`native ${op}: targets has ${targets.length} elements but N is ${N}`);
  for (let n = 0; n < N; n++) {
    const t = targets[n];
    if (t < 0 || t >= V) throw new Error(`native ${op}: target ${t} at index ${n} is outside the vocabulary [0, ${V})`);
  }
}

function attentionShape(op: string, a: AttentionShape): AttentionShape {
  for (const k of ["Tq", "Tk", "qOffset"] as const) size(op, k, a[k], 0);
  for (const k of ["NH", "KVH", "HS"] as const) size(op, k, a[k], 1);
  if (a.NH % a.KVH !== 0) throw new Error(`native ${op}: NH=${a.NH} must be a multiple of KVH=${a.KVH}`);
  if (a.NH * a.Tq * a.Tk > INT32_MAX) throw new Error(`native ${op}: att would need NH·Tq·Tk = ${a.NH * a.Tq * a.Tk} elements, more than 2^31 − 1`);
  return a;
}
