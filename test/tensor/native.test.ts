/**
 * The native backend's own checks; its matmul also runs the shared conformance suite.
 *
 *   - fused AdamW against adamwReference (and the reference against the closed form
 *     of step 1, which does not depend on either implementation)
 *   - friendly errors for shapes, leading dimensions and buffer lengths
 *   - threading: the multi-threaded path gives the same product as one thread
 */
import { describe, expect, it } from "vitest";
import { adamwReference } from "../../src/tensor/adamw-reference.js";
import type { AdamwKernelArgs } from "../../src/tensor/kernels.js";
import { createNativeKernels, type NativeKernels } from "../../src/tensor/native.js";
import { matmulReference } from "../../src/tensor/ts.js";
import { mulberry32 } from "../helpers/rng.js";

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Optimizer state for n parameters; v ≥ 0, a third of the mask 0 (norm weights). */
function adamwState(n: number, seed: number): AdamwKernelArgs {
  return {
    params: rand(n, seed), grads: rand(n, seed + 1, -3, 3), m: rand(n, seed + 2, -0.1, 0.1), v: rand(n, seed + 3, 0, 0.01),
    decayMask: Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1)),
    lr: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: 1, gradScale: 0.5,
  };
}

function cloneState(s: AdamwKernelArgs): AdamwKernelArgs {
  return { ...s, params: s.params.slice(), grads: s.grads.slice(), m: s.m.slice(), v: s.v.slice(), decayMask: s.decayMask.slice() };
}

/** Largest |x − y| / (1 + |y|) and where. */
function maxRelDiff(x: Float32Array, y: Float32Array): { err: number; at: number } {
  let err = 0;
  let at = -1;
  for (let i = 0; i < y.length; i++) {
    const e = Math.abs(x[i] - y[i]) / (1 + Math.abs(y[i]));
    if (!(e <= err)) { err = e; at = i; }
  }
  return { err, at };
}

describe("adamwReference", () => {
  it("matches the closed form of step 1 from zero moments", () => {
    // m = v = 0, step 1: m̂ = g, v̂ = g², so p ← p·(1 − lr·wd) − lr·g/(|g| + eps)
    const s = adamwState(64, 7);
    s.m.fill(0);
    s.v.fill(0);
    const p0 = s.params.slice();
    adamwReference(s);
    for (let i = 0; i < p0.length; i++) {
      const g = s.grads[i] * s.gradScale;
      const decayed = s.decayMask[i] ? p0[i] * (1 - s.lr * s.weightDecay) : p0[i];
      expect(s.params[i]).toBeCloseTo(decayed - (s.lr * g) / (Math.abs(g) + s.eps), 6);
    }
  });
});

const started = await createNativeKernels();

if (!started.ok) {
  describe("native", () => {
    // Reported, not hidden; the reason must tell the user how to get the backend.
    it(`is unavailable on this machine (${started.reason})`, () => {
      expect(started.reason).toMatch(/libopenblas-dev/);
    });
  });
} else {
  const k = started.kernels as NativeKernels;

  describe("native fused adamw", () => {
    // Bitwise equal on x86-64/glibc; the bound leaves room for pow() vs ** differing
    // in the last bit of the bias corrections elsewhere.
    it.each([1, 2, 10, 1000])("matches adamwReference at step %i", (step) => {
      const ref = { ...adamwState(10_001, step), step };
      const got = cloneState(ref);
      adamwReference(ref);
      k.fused.adamw?.(got);
      for (const key of ["params", "m", "v"] as const) {
        const { err, at } = maxRelDiff(got[key], ref[key]);
        expect(err, `${key} first worst index ${at}`).toBeLessThanOrEqual(1e-7);
      }
      expect(got.grads).toEqual(ref.grads); // grads are read, never scaled in place
    });

    it("updates only the given views", () => {
      const s = adamwState(300, 3);
      const before = s.params.slice();
      const view = (x: Float32Array): Float32Array => x.subarray(100, 200);
      const ref = cloneState(s);
      adamwReference({ ...ref, params: view(ref.params), grads: view(ref.grads), m: view(ref.m), v: view(ref.v), decayMask: ref.decayMask.subarray(100, 200) });
      k.fused.adamw?.({ ...s, params: view(s.params), grads: view(s.grads), m: view(s.m), v: view(s.v), decayMask: s.decayMask.subarray(100, 200) });
      expect(maxRelDiff(s.params, ref.params).err).toBeLessThanOrEqual(1e-7);
      expect(s.params.subarray(0, 100)).toEqual(before.subarray(0, 100));
      expect(s.params.subarray(200)).toEqual(before.subarray(200));
    });

    it("rejects mismatched lengths and a 0-based step", () => {
      const s = adamwState(10, 1);
      expect(() => k.fused.adamw?.({ ...s, m: new Float32Array(9) })).toThrow(/m has 9 elements, params has 10/);
      expect(() => k.fused.adamw?.({ ...s, decayMask: new Uint8Array(11) })).toThrow(/decayMask has 11/);
      expect(() => k.fused.adamw?.({ ...s, step: 0 })).toThrow(/step must be an integer ≥ 1/);
    });
  });

  describe("native matmul validation", () => {
    const M = 4, N = 5, K = 6;
    const a = new Float32Array(M * K), b = new Float32Array(K * N), out = new Float32Array(M * N);
    const cases: [string, () => void, RegExp][] = [
      ["a too short", () => k.matmul({ out, a: a.subarray(1), b, M, N, K }), /a has 23 elements but a 4×6 block with lda=6 needs 24/],
      ["b too short for transB", () => k.matmul({ out, a, b: b.subarray(0, 29), M, N, K, transB: true }), /b has 29 elements/],
      ["out too short", () => k.matmul({ out: out.subarray(0, 19), a, b, M, N, K }), /out has 19 elements/],
      ["lda below the columns", () => k.matmul({ out, a, b, M, N, K, lda: 5 }), /lda=5 must be an integer ≥ 6/],
      ["ldc below N", () => k.matmul({ out, a, b, M, N, K, ldc: 4 }), /ldc=4 must be an integer ≥ 5/],
      ["strided block past the end", () => k.matmul({ out, a, b, M: 2, N, K, lda: 24 }), /a has 24 elements but a 2×6 block with lda=24 needs 30/],
      ["negative M", () => k.matmul({ out, a, b, M: -1, N, K }), /M must be a non-negative int32/],
      ["fractional K", () => k.matmul({ out, a, b, M, N, K: 2.5 }), /K must be a non-negative int32/],
      ["a Float64Array", () => k.matmul({ out, a: new Float64Array(M * K) as unknown as Float32Array, b, M, N, K }), /a must be a Float32Array/],
    ];
    it.each(cases)("throws a clear error: %s", (_, call, msg) => {
      expect(call).toThrow(msg);
    });

    it("K = 0 gives zeros, or leaves out unchanged when accumulating", () => {
      const c = new Float32Array(M * N).fill(7);
      k.matmul({ out: c, a, b, M, N, K: 0, accumulate: true });
      expect(c.every((x) => x === 7)).toBe(true);
      k.matmul({ out: c, a, b, M, N, K: 0 });
      expect(c.every((x) => x === 0)).toBe(true);
    });
  });

  describe("native threads", () => {
    it("describes OpenBLAS and its thread count", () => {
      expect(k.description).toMatch(/OpenBLAS .*\d+ threads/);
      expect(() => k.setThreads(0)).toThrow(/setThreads/);
    });

    it("gives the same product on one thread and on several, above the serial cutoff", () => {
      // 4096·128·64 = 2^25, the default cutoff: the multi-threaded path
      const M = 4096, N = 128, K = 64;
      const a = rand(M * K, 11), b = rand(N * K, 12);
      const ref = new Float32Array(M * N);
      matmulReference({ out: ref, a, b, M, N, K, transB: true });
      const before = k.threads();
      try {
        for (const n of [1, 2]) {
          k.setThreads(n);
          const out = new Float32Array(M * N);
          k.matmul({ out, a, b, M, N, K, transB: true });
          expect(maxRelDiff(out, ref).err, `${n} threads`).toBeLessThanOrEqual(1e-4);
        }
      } finally {
        k.setThreads(before);
      }
    });
  });
}
