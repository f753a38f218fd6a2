/**
 * `native`: matmul through OpenBLAS cblas_sgemm and a fused AdamW in C, via the N-API
 * addon in native/ (built at install time by scripts/build-native.mjs when OpenBLAS
 * is present).
 *
 * This file checks every shape, leading dimension and buffer length before calling C,
 * so a wrong call is a clear Error naming the argument rather than a silent
 * out-of-bounds write. Views (subarray) are fine: the addon reads each array's
 * byteOffset.
 *
 * NOTE: Debian's OpenBLAS 0.3.21 does not recognise AMD Zen 4 and runs its Haswell
 * (AVX2) kernels, at about half the speed of its SkylakeX (AVX-512) ones on the same
 * chip (measured: 4096×512×128 on one thread, 87 vs 175 GFLOP/s). On an AMD CPU with
 * AVX-512 we therefore set OPENBLAS_CORETYPE=SkylakeX before loading the library,
 * unless OPENBLAS_CORETYPE is already set (an explicit choice wins; the description
 * says which applied). It must happen before the first load in the process, and from
 * the main thread: a worker thread's process.env is a private copy.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";
import type { AdamwKernelArgs, Kernels, MatmulArgs } from "./kernels.js";
import type { BackendAttempt } from "./load.js";

/** The native backend's extras beyond the Kernels interface. */
export interface NativeKernels extends Kernels {
  readonly name: "native";
  /** Threads OpenBLAS uses for large products (openblas_set_num_threads). */
  setThreads(n: number): void;
  threads(): number;
  /** Products with M·N·K below this run on one thread (default 2^25; see ftledger_native.c). */
  setSerialBelow(mnk: number): void;
}

/** What ftledger_native.c exports. */
interface Addon {
  sgemm(c: Float32Array, a: Float32Array, b: Float32Array, M: number, N: number, K: number,
    lda: number, ldb: number, ldc: number, flags: number): void;
  adamw(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, mask: Uint8Array,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number, gradScale: number): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  setSerialBelow(mnk: number): void;
  config(): { config: string; corename: string };
}

const FLAG_TRANS_A = 1;
const FLAG_TRANS_B = 2;
const FLAG_ACCUMULATE = 4;
const INT32_MAX = 2 ** 31 - 1;

/** native/build/Release/ftledger_native.node, two levels above src/tensor or dist/tensor. */
export const addonPath = fileURLToPath(new URL("../../native/build/Release/ftledger_native.node", import.meta.url));

const FIX = "install libopenblas-dev (Debian/Ubuntu) and run `npm rebuild ftledger` or `node scripts/build-native.mjs`";

export async function createNativeKernels(): Promise<BackendAttempt> {
  if (!existsSync(addonPath)) return { ok: false, reason: `the native addon is not built (${addonPath} is missing); ${FIX}` };
  const coreChoice = preferAvx512Kernels();
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)(addonPath);
  } catch (e) {
    return { ok: false, reason: `the native addon failed to load (${(e as Error).message}); ${FIX}` };
  }
  if (!isAddon(mod)) return { ok: false, reason: `${addonPath} is not the expected addon; ${FIX}` };
  return { ok: true, kernels: wrap(mod, coreChoice) };
}

function isAddon(x: unknown): x is Addon {
  if (typeof x !== "object" || x === null) return false;
  const r = x as Record<string, unknown>;
  return ["sgemm", "adamw", "setNumThreads", "getNumThreads", "setSerialBelow", "config"].every((k) => typeof r[k] === "function");
}

/** True once preferAvx512Kernels has set OPENBLAS_CORETYPE itself. */
let setByUs = false;

/**
 * Set OPENBLAS_CORETYPE=SkylakeX on AMD CPUs with AVX-512 (see the NOTE above).
 * Returns how the kernel set was chosen, for the description.
 */
function preferAvx512Kernels(): string {
  const SET = "OPENBLAS_CORETYPE=SkylakeX set by ftledger for AMD AVX-512";
  if (setByUs) return SET;
  const pinned = process.env.OPENBLAS_CORETYPE;
  if (pinned) return `OPENBLAS_CORETYPE=${pinned} from the environment`;
  if (process.platform !== "linux" || !isMainThread) return "detected by OpenBLAS";
  let cpuinfo: string;
  try {
    cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return "detected by OpenBLAS";
  }
  const flags = new Set((/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? "").trim().split(/\s+/));
  const amd = /^vendor_id\s*:\s*AuthenticAMD/m.test(cpuinfo);
  if (!amd || !["avx512f", "avx512bw", "avx512dq", "avx512vl"].every((f) => flags.has(f))) return "detected by OpenBLAS";
  // NOTE: child processes started later (e.g. a PyTorch baseline) inherit this too.
  process.env.OPENBLAS_CORETYPE = "SkylakeX";
  setByUs = true;
  return SET;
}

function wrap(addon: Addon, coreChoice: string): NativeKernels {
  const { config, corename } = addon.config();
  const core = `${corename} kernels (${coreChoice})`;
  return {
    name: "native",
    get description(): string {
      return `OpenBLAS cblas_sgemm, ${addon.getNumThreads()} threads, ${core}; ${config.trim()}`;
    },
    alloc: (n) => new Float32Array(n),
    matmul: (args) => matmul(addon, args),
    fused: { adamw: (args) => adamw(addon, args) },
    setThreads(n: number): void {
      if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`native setThreads: n must be an integer in 1..1024, got ${n}`);
      addon.setNumThreads(n);
    },
    threads: () => addon.getNumThreads(),
    setSerialBelow(mnk: number): void {
      if (!Number.isSafeInteger(mnk) || mnk < 0) throw new Error(`native setSerialBelow: mnk must be a non-negative integer, got ${mnk}`);
      addon.setSerialBelow(mnk);
    },
  };
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
