/**
 * wasm-specific behaviour (the shared conformance suite covers the matmul math):
 * alloc alignment and zeroing, views that survive memory growth, foreign (non-wasm)
 * Float32Arrays copied in and out, shape checks, and the worker-thread split.
 * Tolerance as in conformance.test.ts: |got − ref| ≤ 1e-4 · (1 + |ref|).
 */
import { describe, expect, it } from "vitest";
import type { Kernels, MatmulArgs } from "../../src/tensor/kernels.js";
import { matmulReference } from "../../src/tensor/ts.js";
import { createWasmKernels, type WasmOptions } from "../../src/tensor/wasm.js";
import { mulberry32 } from "../helpers/rng.js";

const TOL = 1e-4;

async function wasm(options: WasmOptions = {}): Promise<Kernels> {
  const r = await createWasmKernels(options);
  // NOTE: not a skip: `npm ci` builds the module (prepare), so a missing one is a failure
  if (!r.ok) throw new Error(`wasm kernels did not start: ${r.reason}`);
  return r.kernels;
}

function fill(x: Float32Array, seed: number): Float32Array {
  const r = mulberry32(seed);
  for (let i = 0; i < x.length; i++) x[i] = r() * 2 - 1;
  return x;
}

/** Run `k.matmul(args)` and the float64 reference on copies of the same inputs; return the worst error. */
function check(k: Kernels, args: MatmulArgs<Float32Array>): number {
  const ref = Float64Array.from(args.out);
  matmulReference({ ...args, out: ref, a: Float64Array.from(args.a), b: Float64Array.from(args.b) });
  k.matmul(args);
  let err = 0;
  for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(args.out[i] - ref[i]) / (1 + Math.abs(ref[i])));
  return Number.isNaN(err) ? Infinity : err;
}

describe("wasm kernels", async () => {
  const k = await wasm();

  it("alloc returns zeroed, 64-byte-aligned, non-overlapping views", () => {
    const views = [1, 3, 16, 17, 1000].map((n) => k.alloc(n));
    for (const v of views) {
      expect(v.byteOffset % 64).toBe(0);
      expect(v.every((x) => x === 0)).toBe(true);
      v.fill(7);
    }
    for (let i = 1; i < views.length; i++) {
      expect(views[i].byteOffset).toBeGreaterThanOrEqual(views[i - 1].byteOffset + views[i - 1].byteLength);
    }
    expect(views.every((v) => v.every((x) => x === 7))).toBe(true);
  });

  it("views allocated before a memory grow keep working after it", () => {
    const M = 20, N = 12, K = 9;
    const a = fill(k.alloc(M * K), 1);
    const before = a.buffer;
    const big = k.alloc(4 * 1024 * 1024); // 16 MiB: forces memory.grow
    expect(big.buffer).not.toBe(before); // a shared memory hands out a new buffer object after a grow
    expect(a.length).toBe(M * K); // ... but the old view is not detached
    big[big.length - 1] = 1;
    const b = fill(k.alloc(K * N), 2);
    expect(check(k, { out: k.alloc(M * N), a, b, M, N, K })).toBeLessThanOrEqual(TOL);
  });

  it("copies foreign arrays in and out, honouring offsets, strides and accumulate", () => {
    // A is a strided block (lda = 13) in a plain array at an offset; B is a wasm view;
    // C is a foreign block with ldc > N, whose gaps must come back untouched.
    const M = 11, N = 6, K = 5, lda = 13, ldc = 9;
    for (const accumulate of [true, false]) {
      const aHost = fill(new Float32Array(3 + M * lda), 3);
      const b = fill(k.alloc(K * N), 4);
      const out = fill(new Float32Array(M * ldc), 5);
      const gaps = out.filter((_, i) => i % ldc >= N);
      const err = check(k, { out, a: aHost.subarray(3), b, M, N, K, lda, ldc, accumulate });
      expect(err, `accumulate=${accumulate}`).toBeLessThanOrEqual(TOL);
      expect(out.filter((_, i) => i % ldc >= N)).toEqual(gaps);
    }
  });

  it("transposed foreign operands match the reference", () => {
    const M = 37, N = 29, K = 41;
    for (const [transA, transB] of [[true, false], [false, true], [true, true]]) {
      const a = fill(new Float32Array(M * K), 6);
      const b = fill(new Float32Array(K * N), 7);
      expect(check(k, { out: new Float32Array(M * N), a, b, M, N, K, transA, transB })).toBeLessThanOrEqual(TOL);
    }
  });

  it("alloc zeroes memory reused from a call's temporary copies", () => {
    const M = 16, N = 16, K = 16;
    const a = fill(new Float32Array(M * K), 13); // foreign: copied into a temporary region
    k.matmul({ out: new Float32Array(M * N), a, b: fill(new Float32Array(K * N), 14), M, N, K });
    expect(k.alloc(4 * M * N).every((x) => x === 0)).toBe(true); // ... which alloc now reuses
  });

  it("K = 0 writes zeros, or leaves C unchanged when accumulating", () => {
    const out = k.alloc(6).fill(3);
    k.matmul({ out, a: k.alloc(0), b: k.alloc(0), M: 2, N: 3, K: 0, accumulate: true });
    expect(Array.from(out)).toEqual([3, 3, 3, 3, 3, 3]);
    k.matmul({ out, a: k.alloc(0), b: k.alloc(0), M: 2, N: 3, K: 0 });
    expect(Array.from(out)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("rejects an operand shorter than its shape needs", () => {
    const run = (): void => k.matmul({ out: k.alloc(4), a: k.alloc(3), b: k.alloc(4), M: 2, N: 2, K: 2 });
    expect(run).toThrow(/a has 3 elements but the shape and leading dimension need 4/);
  });

  it("reports an invalid FTLEDGER_WASM_THREADS as unavailable, with what to do", async () => {
    const saved = process.env.FTLEDGER_WASM_THREADS;
    process.env.FTLEDGER_WASM_THREADS = "two";
    try {
      const r = await createWasmKernels();
      expect(r.ok).toBe(false);
      expect(r.ok ? "" : r.reason).toMatch(/FTLEDGER_WASM_THREADS to an integer from 1 to 64/);
    } finally {
      if (saved === undefined) delete process.env.FTLEDGER_WASM_THREADS;
      else process.env.FTLEDGER_WASM_THREADS = saved;
    }
  });
});

describe("wasm kernels, 2 and 3 threads", async () => {
  // minParallelMacs 0: split even tiny calls, so every edge of the split is exercised
  const pools = [await wasm({ threads: 2, minParallelMacs: 0 }), await wasm({ threads: 3, minParallelMacs: 0 })];

  it("matches the reference for row and column splits, all transposes", () => {
    // M ≥ N splits rows, M < N splits columns; sizes not multiples of the 4×8 tile
    const shapes: [number, number, number][] = [[1, 1, 1], [2, 3, 4], [67, 9, 33], [9, 67, 33], [130, 257, 19], [5, 300, 70]];
    for (const k of pools) {
      for (const [M, N, K] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const args = { out: fill(k.alloc(M * N), 8), a: fill(k.alloc(M * K), 9), b: fill(k.alloc(K * N), 10) };
            const err = check(k, { ...args, M, N, K, transA, transB, accumulate: true });
            expect(err, `${k.description} M=${M} N=${N} K=${K} transA=${transA} transB=${transB}`).toBeLessThanOrEqual(TOL);
          }
        }
      }
    }
  });

  it("workers see memory grown after they started", () => {
    const M = 64, N = 64, K = 64;
    for (const k of pools) {
      k.alloc(4 * 1024 * 1024); // 16 MiB: grows memory past everything the workers have seen
      const args = { out: k.alloc(M * N), a: fill(k.alloc(M * K), 15), b: fill(k.alloc(K * N), 16), M, N, K };
      expect(check(k, args)).toBeLessThanOrEqual(TOL);
    }
  });

  it("survives many calls in a row (no lost wake-ups, no hang)", () => {
    const M = 48, N = 40, K = 24;
    for (const k of pools) {
      const a = fill(k.alloc(M * K), 11);
      const b = fill(k.alloc(K * N), 12);
      for (let i = 0; i < 2000; i++) {
        const out = k.alloc(M * N);
        k.matmul({ out, a, b, M, N, K });
        if (i % 500 === 0) expect(check(k, { out, a, b, M, N, K })).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it("names its thread count", () => {
    expect(pools.map((k) => k.description)).toEqual([expect.stringMatching(/2 threads/), expect.stringMatching(/3 threads/)]);
  });
});
