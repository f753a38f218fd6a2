/**
 * `wasm`: WebAssembly SIMD kernels compiled from AssemblyScript at build time.
 *
 * The kernel source is src/tensor/wasm/assembly/gemm.ts (a GotoBLAS-style packed 4×8
 * f32x4 micro-kernel); `npm run build` compiles it to build/wasm/kernels.wasm. This file
 * loads it into one shared WebAssembly.Memory, hands out views into that memory from
 * alloc(), and copies any other Float32Array in and out around a call.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { resolveMatmul, type Kernels, type MatmulArgs } from "./kernels.js";
import type { KernelsAttempt } from "./kernels.js";
import { Arena } from "./wasm/arena.js";
import { CONTROL_BYTES, GemmPool, type GemmJob } from "./wasm/threads.js";
import { WebAssembly, type WasmInstance, type WasmMemory, type WasmModule } from "./wasm/webassembly.js";

/** Signature of the module's `matmul` export (see gemm.ts): pointers are byte offsets. */
type GemmFn = (
  c: number, a: number, b: number, M: number, N: number, K: number,
  aRow: number, aCol: number, bRow: number, bCol: number, ldc: number, accumulate: number, scratch: number,
) => void;

interface GemmExports {
  matmul: GemmFn;
  scratchBytes(): number;
  heapBase(): number;
}

// src/tensor/wasm.ts and dist/tensor/wasm.js are both two levels below the package root
const WASM_URL = new URL("../../build/wasm/kernels.wasm", import.meta.url);
/** 4 GiB: the wasm32 limit. Shared memory must declare a maximum; V8 only reserves address space. */
const MAX_PAGES = 65536;

export interface WasmOptions {
  /** Threads per matmul, the caller's included, 1–64 (default: FTLEDGER_WASM_THREADS, else 1). */
  threads?: number;
  /** Smallest M·N·K that is split across threads (default 2^20; tests set 0). */
  minParallelMacs?: number;
}

export async function createWasmKernels(options: WasmOptions = {}): Promise<KernelsAttempt> {
  const path = fileURLToPath(WASM_URL);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch {
    return { ok: false, reason: `${path} is missing; run \`npm run build\` to compile the WebAssembly kernels` };
  }
  const threads = checkThreads(options.threads ?? process.env.FTLEDGER_WASM_THREADS);
  if (typeof threads === "string") return { ok: false, reason: threads };
  let memory: WasmMemory;
  let module: WasmModule;
  let instance: WasmInstance;
  try {
    memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    module = await WebAssembly.compile(bytes);
    instance = await WebAssembly.instantiate(module, { env: { memory } });
  } catch (e) {
    return { ok: false, reason: `this runtime cannot load ${path} (needs WebAssembly SIMD and threads): ${(e as Error).message}` };
  }
  const gemm = gemmExports(instance);
  if (!gemm) return { ok: false, reason: `${path} is stale (missing exports); run \`npm run build\`` };

  const arena = new Arena(memory, gemm.heapBase());
  const run = (job: GemmJob, scratch: number): void => gemm.matmul(...job, scratch);
  const regions = Array.from({ length: threads - 1 }, () => ({
    control: arena.alloc(CONTROL_BYTES / 4).byteOffset,
    scratch: arena.reserve(gemm.scratchBytes()),
  }));
  const pool = new GemmPool(module, memory, run, arena.reserve(gemm.scratchBytes()), regions, options.minParallelMacs);
  return {
    ok: true,
    kernels: {
      name: "wasm",
      description: `WebAssembly SIMD (AssemblyScript), packed 4×8 f32x4 micro-kernel, ${threads} thread${threads > 1 ? "s" : ""}`,
      alloc: (n) => arena.alloc(n),
      matmul: (args) => matmulWasm(arena, pool, args),
      fused: {},
    } satisfies Kernels,
  };
}

function gemmExports(instance: WasmInstance): GemmExports | undefined {
  const { matmul, scratchBytes, heapBase } = instance.exports;
  if (typeof matmul !== "function" || typeof scratchBytes !== "function" || typeof heapBase !== "function") return undefined;
  return {
    matmul: matmul as GemmFn,
    scratchBytes: scratchBytes as () => number,
    heapBase: heapBase as () => number,
  };
}

/**
 * One matmul call with the same argument defaults as the ts reference (src/tensor/ts.ts).
 *
 * 1. Find the extent (elements from a view's start to its last element used) of A, B, C.
 * 2. Views into wasm memory are passed by pointer; any other array is copied into a
 *    temporary region (C too when accumulating, or when ldc > N leaves gaps to keep).
 * 3. Run; copy C back if it was foreign; release the temporaries.
 */
function matmulWasm(arena: Arena, pool: GemmPool, args: MatmulArgs<Float32Array>): void {
  const { out, a, b, M, N, K } = args;
  const { transA, transB, lda, ldb, ldc } = resolveMatmul(args);
  if (M <= 0 || N <= 0) return;
  // element (i, k) of op(A) and (k, j) of op(B) as (row stride, col stride)
  const [aRow, aCol] = transA ? [1, lda] : [lda, 1];
  const [bRow, bCol] = transB ? [1, ldb] : [ldb, 1];

  const mark = arena.mark();
  try {
    const pa = stage(arena, "a", a, extent(transA ? K : M, transA ? M : K, lda));
    const pb = stage(arena, "b", b, extent(transB ? N : K, transB ? K : N, ldb));
    const cLen = extent(M, N, ldc);
    // a foreign C is copied in unless every element is overwritten
    const pc = stage(arena, "out", out, cLen, args.accumulate === true || ldc !== N);
    pool.matmul([pc, pa, pb, M, N, K, aRow, aCol, bRow, bCol, ldc, args.accumulate ? 1 : 0]);
    if (!arena.owns(out)) out.set(arena.view(pc, cLen));
  } finally {
    arena.release(mark);
  }
}

/** Threads per matmul, the caller's included (from options or FTLEDGER_WASM_THREADS; default 1), or why the value is invalid. */
function checkThreads(v: number | string | undefined): number | string {
  if (v === undefined || v === "") return 1;
  const n = Number(v);
  if (Number.isInteger(n) && n >= 1 && n <= 64) return n;
  return `wasm threads = "${v}" is not a thread count; set FTLEDGER_WASM_THREADS to an integer from 1 to 64 (or unset it for 1)`;
}

/** Elements spanned by `rows` rows of `cols` elements at row stride `ld`. */
function extent(rows: number, cols: number, ld: number): number {
  return rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0;
}

/** Byte offset of `x` in wasm memory; a foreign `x` gets a temporary region (filled from `x` if `copyIn`). */
function stage(arena: Arena, name: string, x: Float32Array, len: number, copyIn = true): number {
  if (x.length < len) {
    throw new RangeError(`matmul: ${name} has ${x.length} elements but the shape and leading dimension need ${len}`);
  }
  if (arena.owns(x)) return x.byteOffset;
  const ptr = arena.reserve(len * 4);
  if (copyIn) arena.view(ptr, len).set(x.subarray(0, len));
  return ptr;
}
