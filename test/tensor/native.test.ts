/**
 * The native kernels' own checks; its matmul also runs the shared conformance suite
 * and its other fused kernels test/tensor/fused.test.ts.
 *
 *   - fused AdamW against adamwReference (and the reference against the closed form
 *     of step 1, which does not depend on either implementation)
 *   - friendly errors for shapes, leading dimensions and buffer lengths
 *   - both GEMMs (the addon's own, where built, and OpenBLAS) on the training shapes
 *   - threading: every kernel of ours (not OpenBLAS's sgemm) gives bit-identical
 *     results on 1, 2 and 3 threads (3 is more than this machine has: oversubscribed,
 *     it must still finish); a second
 *     JavaScript thread calling the addon at the same time gets correct results
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { mustStart } from "../helpers/required.js";
import { attentionForward } from "../../src/model/ops/index.js";
import { adamwReference } from "../../src/tensor/adamw-reference.js";
import type { AdamwKernelArgs, MatmulArgs } from "../../src/tensor/kernels.js";
import { addonPath, createNativeKernels, type NativeKernels } from "../../src/tensor/native.js";
import { createTsKernels } from "../../src/tensor/ts.js";
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

/** The first index where x and y differ (bitwise, so NaN = NaN), or −1. */
function firstDifference(x: Float32Array, y: Float32Array): number {
  if (x.length !== y.length) return Math.min(x.length, y.length);
  const xi = new Int32Array(x.buffer, x.byteOffset, x.length), yi = new Int32Array(y.buffer, y.byteOffset, y.length);
  for (let i = 0; i < xi.length; i++) if (xi[i] !== yi[i]) return i;
  return -1;
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
      expect(mustStart("native"), "FTLEDGER_REQUIRE_NATIVE=1: the native kernels must build and load in this run").toBe(false);
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
    it("describes its GEMM, OpenBLAS and its thread count", () => {
      expect(k.description).toMatch(/OpenBLAS .*\d+ threads/);
      expect(k.description).toMatch(k.ownGemm() ? /own AVX-512 GEMM/ : /OpenBLAS cblas_sgemm/);
      expect(() => k.setThreads(0)).toThrow(/setThreads/);
      expect(() => k.setSpinMicros(-1)).toThrow(/setSpinMicros/);
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

  /** The training products (B·T = 4096 rows, C = 128, F = 512) and odd ones, M ≥ 8 (the own GEMM's range). */
  const gemmShapes: (Omit<MatmulArgs<Float32Array>, "out" | "a" | "b"> & { label: string })[] = [
    { label: "forward x·Wᵀ", M: 4096, N: 512, K: 128, transB: true },
    { label: "dx = dy·W", M: 4096, N: 128, K: 512 },
    { label: "dW += dyᵀ·x (K split)", M: 128, N: 128, K: 4096, transA: true, accumulate: true },
    { label: "dW 512×128 (K split)", M: 512, N: 128, K: 4096, transA: true, accumulate: true },
    { label: "both transposed, odd sizes", M: 33, N: 300, K: 65, transA: true, transB: true, accumulate: true },
    { label: "narrow N, strided", M: 19, N: 8, K: 8, lda: 24, ldb: 24, ldc: 10, transB: true },
    { label: "K = 0 clears", M: 9, N: 40, K: 0 },
    { label: "K = 0 accumulating keeps", M: 9, N: 40, K: 0, accumulate: true },
  ];

  /** The backend's product, and the reference's unless `withReference` is false (it takes seconds in JS). */
  function runMatmul(s: (typeof gemmShapes)[number], seed: number, withReference = true): { got: Float32Array; ref: Float32Array } {
    const rowsA = s.transA ? s.K : s.M, rowsB = s.transB ? s.N : s.K;
    const lda = s.lda ?? Math.max(1, s.transA ? s.M : s.K), ldb = s.ldb ?? Math.max(1, s.transB ? s.K : s.N), ldc = s.ldc ?? s.N;
    const a = rand(Math.max(1, rowsA * lda), seed), b = rand(Math.max(1, rowsB * ldb), seed + 1);
    const ref = rand(s.M * ldc, seed + 2);
    const got = ref.slice();
    const args = { ...s, lda, ldb, ldc, a, b };
    if (withReference) matmulReference({ ...args, out: ref });
    k.matmul({ ...args, out: got });
    return { got, ref };
  }

  describe("native GEMMs", () => {
    const choices = k.ownGemm() ? [true, false] : [false];
    for (const own of choices) {
      it.each(gemmShapes.map((s) => [s.label, s] as const))(`${own ? "own GEMM" : "OpenBLAS"}: %s matches the reference`, (_, s) => {
        const before = k.ownGemm();
        k.setOwnGemm(own);
        try {
          const { got, ref } = runMatmul(s, 40);
          expect(maxRelDiff(got, ref).err).toBeLessThanOrEqual(1e-4);
        } finally {
          k.setOwnGemm(before);
        }
      });
    }
  });

  describe("native threads: results do not depend on the thread count", () => {
    const HS = 32, T = 128, NH = 4, KVH = 2;
    const shape = { Tq: T, Tk: T, qOffset: 0, NH, KVH, HS };
    const q = rand(T * NH * HS, 50, -2, 2), key = rand(T * KVH * HS, 51, -2, 2), value = rand(T * KVH * HS, 52);
    const dout = rand(T * NH * HS, 53);
    /** Every kernel once, outputs concatenated. */
    function everything(): Float32Array[] {
      const outs: Float32Array[] = [];
      // OpenBLAS's own products may change with its thread count: only ours are checked
      if (k.ownGemm()) for (const s of gemmShapes.slice(0, 5)) outs.push(runMatmul(s, 60, false).got);
      const out = new Float32Array(T * NH * HS), att = new Float32Array(NH * T * T);
      k.fused.attentionForward!({ ...shape, out, att, q, key, value });
      const dq = new Float32Array(T * NH * HS), dkey = rand(T * KVH * HS, 54), dvalue = rand(T * KVH * HS, 55);
      k.fused.attentionBackward!({ ...shape, dq, dkey, dvalue, dout, att, q, key, value, scratch: new Float32Array(T * T) });
      const N = 4096, C = 128;
      const x = rand(N * C, 56, -2, 2), w = rand(C, 57), ln = new Float32Array(N * C), rstd = new Float32Array(N);
      k.fused.rmsnormForward!({ out: ln, rstd, inp: x, weight: w, N, C, eps: 1e-5 });
      const dinp = rand(N * C, 58), dweight = rand(C, 59);
      k.fused.rmsnormBackward!({ dinp, dweight, dout: x, inp: x, weight: w, rstd, N, C });
      const gate = rand(N * 4 * C, 60, -6, 6), up = rand(N * 4 * C, 61), h = new Float32Array(N * 4 * C);
      k.fused.swigluForward!({ out: h, gate, up, n: h.length });
      const dgate = rand(h.length, 62), dup = rand(h.length, 63);
      k.fused.swigluBackward!({ dgate, dup, dout: up, gate, up, n: h.length });
      const V = 128, logits = rand(N * V, 64, -5, 5), logprobs = new Float32Array(N);
      const targets = Int32Array.from({ length: N }, (_, i) => (i * 7) % V);
      const { loss } = k.fused.crossEntropyForward!({ logprobs, probs: logits, logits, targets, mask: null, N, V });
      k.fused.crossEntropyBackward!({ probs: logits, targets, mask: null, count: N, N, V });
      outs.push(out, att, dq, dkey, dvalue, ln, rstd, dinp, dweight, h, dgate, dup, logprobs, logits, Float32Array.of(loss));
      return outs;
    }

    it("1, 2 and 3 threads give bit-identical outputs for every kernel", () => {
      const before = k.threads();
      try {
        k.setThreads(1);
        const one = everything();
        for (const n of [2, 3]) {
          k.setThreads(n);
          const many = everything();
          // NOTE: a loop, not toEqual: vitest's deep equality takes minutes on 10^7 floats
          many.forEach((x, i) => expect(firstDifference(x, one[i]), `${n} threads, output ${i}: first differing index`).toBe(-1));
        }
      } finally {
        k.setThreads(before);
      }
    });

    it("a second JavaScript thread using the addon at the same time gets correct results", async () => {
      // The worker loads the addon itself (same process, same thread pool) and runs
      // sgemm in a loop while this thread runs attention and sgemm; a caller that finds
      // the pool busy runs alone, on its own scratch.
      const M = 512, N = 128, K = 4096;
      const a = rand(K * M, 70), b = rand(K * N, 71);
      const ref = new Float32Array(M * N);
      matmulReference({ out: ref, a, b, M, N, K, transA: true });
      const code = `
        const { parentPort, workerData: d } = require("node:worker_threads");
        const addon = require(d.path);
        let worst = 0;
        for (let r = 0; r < 20; r++) {
          const c = new Float32Array(d.M * d.N);
          addon.sgemm(c, d.a, d.b, d.M, d.N, d.K, d.M, d.N, d.N, 1);
          for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(c[i] - d.ref[i]) / (1 + Math.abs(d.ref[i])));
        }
        parentPort.postMessage(worst);`;
      const worker = new Worker(code, { eval: true, workerData: { path: addonPath, a, b, ref, M, N, K } });
      const done = new Promise<number>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      const ts = createTsKernels();
      const refOut = new Float64Array(T * NH * HS), refAtt = new Float64Array(NH * T * T);
      attentionForward(ts, { ...shape, out: refOut, att: refAtt, q: Float64Array.from(q), key: Float64Array.from(key), value: Float64Array.from(value) });
      for (let r = 0; r < 20; r++) {
        const out = new Float32Array(T * NH * HS), att = new Float32Array(NH * T * T);
        k.fused.attentionForward!({ ...shape, out, att, q, key, value });
        expect(maxRelDiff(out, Float32Array.from(refOut)).err).toBeLessThanOrEqual(1e-5);
        const c = new Float32Array(M * N);
        k.matmul({ out: c, a, b, M, N, K, transA: true });
        expect(maxRelDiff(c, ref).err).toBeLessThanOrEqual(1e-4);
      }
      expect(await done).toBeLessThanOrEqual(1e-4);
      await worker.terminate();
    });
  });

  describe("native alloc", () => {
    it("hands out zeroed buffers, 64-byte aligned from 64 floats up", () => {
      const addon = createRequire(import.meta.url)(addonPath) as { misalignment(a: Float32Array): number };
      for (const n of [0, 1, 63, 64, 1000, 4096 * 128]) {
        const x = k.alloc(n);
        expect(x.length).toBe(n);
        expect(x.every((v) => v === 0)).toBe(true);
        if (n >= 64) expect(addon.misalignment(x), `alloc(${n})`).toBe(0);
      }
    });
  });

  describe("native fused kernels: friendly errors", () => {
    const f = k.fused;
    const shape = { Tq: 4, Tk: 4, qOffset: 0, NH: 2, KVH: 2, HS: 8 };
    const buf = (n: number) => new Float32Array(n);
    const cases: [string, () => void, RegExp][] = [
      ["attention NH not a multiple of KVH", () => f.attentionForward!({ ...shape, KVH: 3, out: buf(64), att: buf(32), q: buf(64), key: buf(64), value: buf(64) }), /NH=2 must be a multiple of KVH=3/],
      ["attention att too short", () => f.attentionForward!({ ...shape, out: buf(64), att: buf(31), q: buf(64), key: buf(64), value: buf(64) }), /att has 31 elements but the shape needs 32/],
      ["attention negative qOffset", () => f.attentionForward!({ ...shape, qOffset: -1, out: buf(64), att: buf(32), q: buf(64), key: buf(64), value: buf(64) }), /qOffset must be an integer ≥ 0/],
      ["attention dkey too short", () => f.attentionBackward!({ ...shape, dq: buf(64), dkey: buf(63), dvalue: buf(64), dout: buf(64), att: buf(32), q: buf(64), key: buf(64), value: buf(64), scratch: buf(16) }), /dkey has 63 elements/],
      ["rmsnorm weight too short", () => f.rmsnormForward!({ out: buf(8), rstd: buf(2), inp: buf(8), weight: buf(3), N: 2, C: 4, eps: 1e-5 }), /weight has 3 elements but the shape needs 4/],
      ["rmsnorm negative eps", () => f.rmsnormForward!({ out: buf(8), rstd: buf(2), inp: buf(8), weight: buf(4), N: 2, C: 4, eps: -1 }), /eps must be a finite number ≥ 0/],
      ["swiglu a Float64Array", () => f.swigluForward!({ out: buf(4), gate: new Float64Array(4) as unknown as Float32Array, up: buf(4), n: 4 }), /gate must be a Float32Array/],
      ["cross-entropy target out of range", () => f.crossEntropyForward!({ logprobs: buf(2), logits: buf(8), targets: Int32Array.of(1, 4), mask: null, N: 2, V: 4 }), /target 4 at index 1 is outside the vocabulary \[0, 4\)/],
      ["cross-entropy backward with count 0", () => f.crossEntropyBackward!({ probs: buf(8), targets: Int32Array.of(0, 1), mask: null, count: 0, N: 2, V: 4 }), /count must be > 0/],
    ];
    it.each(cases)("throws a clear error: %s", (_, call, msg) => {
      expect(call).toThrow(msg);
    });
  });
}
