/**
 * One conformance suite, run against every kernel set that can start here.
 * Tolerance: |got − ref| ≤ 1e-4 · (1 + |ref|) per element for fp32 products with
 * K ≤ 300 (fp32 accumulation order differs between backends; the reference runs in
 * float64 so the bound is on the backend's own rounding error).
 */
import { describe, expect, it } from "vitest";
import { loadKernels, matmulReference, type KernelsName, type Kernels } from "../../src/tensor/index.js";
import { mulberry32 } from "../helpers/rng.js";
import { mustStart } from "../helpers/required.js";

const TOL = 1e-4;

function randn(n: number, seed: number): Float64Array {
  const r = mulberry32(seed);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = r() * 2 - 1;
  return x;
}

function toKernelBuf(k: Kernels, src: Float64Array): Float32Array {
  const out = k.alloc(src.length);
  out.set(src);
  return out;
}

function maxRelErr(got: Float32Array, ref: Float64Array): { err: number; at: number } {
  let err = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(got[i] - ref[i]) / (1 + Math.abs(ref[i]));
    if (!(e <= err)) { err = e; at = i; }
  }
  return { err, at };
}

const shapes: [number, number, number][] = [
  [1, 1, 1], [3, 5, 7], [4, 4, 4], [17, 33, 9], [64, 128, 128], [128, 32, 128], [33, 300, 65],
];

async function available(name: KernelsName): Promise<Kernels | string> {
  try {
    return (await loadKernels(name)).kernels;
  } catch (e) {
    return (e as Error).message;
  }
}

for (const name of ["ts", "wasm", "native"] as const) {
  describe(`kernels: ${name}`, async () => {
    const k = await available(name);
    // A backend that cannot start here (no OpenBLAS, wasm not built) is reported, not hidden:
    // the test below records the reason; `ts` must always start.
    if (typeof k === "string") {
      it(`${name} is unavailable on this machine (${k})`, () => {
        expect(mustStart(name), `${name} must start in this run`).toBe(false);
      });
      return;
    }
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const accumulate of [false, true]) {
          it(`matmul transA=${transA} transB=${transB} accumulate=${accumulate}`, () => {
            for (const [M, N, K] of shapes) {
              const a64 = randn(M * K, M * 7 + K);
              const b64 = randn(K * N, N * 13 + K);
              const c64 = randn(M * N, M + N);
              const ref = Float64Array.from(c64);
              matmulReference({ out: ref, a: a64, b: b64, M, N, K, transA, transB, accumulate });
              const out = toKernelBuf(k, c64);
              k.matmul({ out, a: toKernelBuf(k, a64), b: toKernelBuf(k, b64), M, N, K, transA, transB, accumulate });
              const { err, at } = maxRelErr(out, ref);
              expect(err, `M=${M} N=${N} K=${K}: first worst index ${at}`).toBeLessThanOrEqual(TOL);
            }
          });
        }
      }
    }
    it("matmul with leading dimensions addresses a strided block", () => {
      // one attention head: Q (T, NH·HS) block h, times K block hᵀ
      const T = 19, NH = 3, HS = 8, h = 1;
      const q = randn(T * NH * HS, 1);
      const kk = randn(T * NH * HS, 2);
      const ref = new Float64Array(T * T);
      matmulReference({ out: ref, a: q.subarray(h * HS), b: kk.subarray(h * HS), M: T, N: T, K: HS, transB: true, lda: NH * HS, ldb: NH * HS });
      const qb = toKernelBuf(k, q);
      const kb = toKernelBuf(k, kk);
      const out = k.alloc(T * T);
      k.matmul({ out, a: qb.subarray(h * HS), b: kb.subarray(h * HS), M: T, N: T, K: HS, transB: true, lda: NH * HS, ldb: NH * HS });
      expect(maxRelErr(out, ref).err).toBeLessThanOrEqual(TOL);
    });
    it("accepts plain Float32Arrays not allocated by the backend", () => {
      const M = 9, N = 10, K = 11;
      const a = Float32Array.from(randn(M * K, 3));
      const b = Float32Array.from(randn(K * N, 4));
      const out = new Float32Array(M * N);
      const ref = new Float64Array(M * N);
      matmulReference({ out: ref, a: Float64Array.from(a), b: Float64Array.from(b), M, N, K });
      k.matmul({ out, a, b, M, N, K });
      expect(maxRelErr(out, ref).err).toBeLessThanOrEqual(TOL);
    });
  });
}
