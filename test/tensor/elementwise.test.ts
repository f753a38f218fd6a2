/**
 * The native kernels for RoPE, residual adds and the embedding (native/rope.c,
 * residual.c, embedding.c) against their TypeScript references in src/model/ops, plus a
 * finite-difference gradient check run on the kernels themselves.
 *
 * Tolerances: RoPE rotates in double with the float64 tables and rounds once, as the
 * reference does, so |got − ref| ≤ 1e-6 · (1 + |ref|) (one float32 rounding is ≤ 6e-8);
 * residual adds and the embedding are exact (the same float32 additions in the same
 * order), so they must match bit for bit. The gradient check perturbs float64 inputs that
 * are rounded to float32 for the kernel; the three ops are linear in what is perturbed,
 * so a large step (h = 0.5) is exact up to the kernel's float32 rounding, and the bound
 * is 1e-4.
 *
 * The wasm and ts kernel sets have no such kernels: src/model/ops/dispatch.ts runs the
 * references for them (test/tensor/fused.test.ts checks which ops each set provides).
 */
import { describe, expect, it } from "vitest";
import { mustStart } from "../helpers/required.js";
import { gradcheck, weightedSum } from "../helpers/gradcheck.js";
import { mulberry32 } from "../helpers/rng.js";
import { expectClose } from "../helpers/close.js";
import {
  embeddingBackward, embeddingForward, residualBackward, residualForward, ropeBackward, ropeForward, ropeTable,
} from "../../src/model/ops/index.js";
import { loadKernels, type Kernels } from "../../src/tensor/index.js";
import type { NativeKernels } from "../../src/tensor/native.js";

function uniform(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = mulberry32(seed);
  return Float64Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * r()));
}

function expectSameBits(got: Float32Array, ref: Float32Array, what: string): void {
  const g = new Int32Array(got.buffer, got.byteOffset, got.length), r = new Int32Array(ref.buffer, ref.byteOffset, ref.length);
  const at = r.findIndex((x, i) => g[i] !== x);
  expect(at, `${what}: first difference at ${at} (got ${got[at]}, reference ${ref[at]})`).toBe(-1);
}

let native: NativeKernels | string;
try {
  native = (await loadKernels("native")).kernels as NativeKernels;
} catch (e) {
  native = (e as Error).message;
}

describe("native rope, residual and embedding kernels", () => {
  if (typeof native === "string") {
    const why = native;
    it(`native is unavailable on this machine (${why})`, () => expect(mustStart("native"), "native must start in this run").toBe(false));
    return;
  }
  const k: Kernels = native;
  const F = k.fused;
  const nk = native;

  // training (4 heads of 32, positions 0…T−1 per row), GQA keys, an odd half (HS 6), a
  // KV-cache chunk at positions 90…, positions in any order
  const ropeCases = [
    { label: "training q", N: 512, H: 4, HS: 32, pos: (n: number) => n % 128 },
    { label: "one kv head", N: 300, H: 1, HS: 32, pos: (n: number) => n % 128 },
    { label: "HS 6", N: 37, H: 3, HS: 6, pos: (n: number) => (n * 7) % 128 },
    { label: "cache chunk", N: 20, H: 2, HS: 16, pos: (n: number) => 90 + n },
    { label: "no rows", N: 0, H: 2, HS: 8, pos: () => 0 },
  ];
  for (const { label, N, H, HS, pos } of ropeCases) {
    const table = ropeTable(HS, 128, 10000);
    const positions = Int32Array.from({ length: N }, (_, n) => pos(n));
    for (const dir of ["Forward", "Backward"] as const) {
      it(`rope${dir} ${label} (N=${N} H=${H} HS=${HS}) matches the reference`, () => {
        const x = uniform(N * H * HS, 1, -3, 3);
        const ref = Float64Array.from(x);
        const got = Float32Array.from(x);
        if (dir === "Forward") {
          ropeForward({ x: ref, positions, H, HS, table });
          F.ropeForward!({ x: got, positions, H, HS, table });
        } else {
          ropeBackward({ dx: ref, positions, H, HS, table });
          F.ropeBackward!({ dx: got, positions, H, HS, table });
        }
        expectClose(got, ref, 1e-6, `rope${dir}`);
      });
    }
  }

  it("ropeBackward undoes ropeForward (the rotation is orthogonal) and leaves other rows alone", () => {
    const table = ropeTable(32, 128, 10000);
    const positions = Int32Array.from({ length: 64 }, (_, n) => (n * 5) % 128);
    const x = Float32Array.from(uniform(3 * 64 * 128, 2));
    const view = x.subarray(64 * 128, 2 * 64 * 128); // the middle third: the kernel must touch only it
    const before = x.slice();
    F.ropeForward!({ x: view, positions, H: 4, HS: 32, table });
    expect(view.some((v, i) => v !== before[64 * 128 + i])).toBe(true);
    F.ropeBackward!({ dx: view, positions, H: 4, HS: 32, table });
    expectClose(x, Float64Array.from(before), 1e-6, "round trip");
    expectSameBits(x.subarray(0, 64 * 128), before.subarray(0, 64 * 128), "rows before the view");
    expectSameBits(x.subarray(2 * 64 * 128), before.subarray(2 * 64 * 128), "rows after the view");
  });

  for (const n of [0, 5, 1000, (1 << 15) * 3 + 7]) {
    it(`residualForward n=${n}: out separate, out = x, out = y, bit for bit`, () => {
      const x = Float32Array.from(uniform(n, 3)), y = Float32Array.from(uniform(n, 4));
      const want = new Float32Array(n);
      residualForward({ out: want, x, y, n });
      const out = new Float32Array(n);
      F.residualForward!({ out, x, y, n });
      expectSameBits(out, want, "separate out");
      const x2 = x.slice();
      F.residualForward!({ out: x2, x: x2, y, n });
      expectSameBits(x2, want, "out = x");
      const y2 = y.slice();
      F.residualForward!({ out: y2, x, y: y2, n });
      expectSameBits(y2, want, "out = y");
    });
    it(`residualBackward n=${n} adds dout into dx and dy, bit for bit`, () => {
      const dout = Float32Array.from(uniform(n, 5));
      const ref = { dx: Float32Array.from(uniform(n, 6)), dy: Float32Array.from(uniform(n, 7)) };
      const got = { dx: ref.dx.slice(), dy: ref.dy.slice() };
      residualBackward({ ...ref, dout, n });
      F.residualBackward!({ ...got, dout, n });
      expectSameBits(got.dx, ref.dx, "dx");
      expectSameBits(got.dy, ref.dy, "dy");
    });
  }

  it("embedding gathers rows and scatter-adds repeated tokens in the reference's order, bit for bit", () => {
    const V = 50, C = 36, N = 700;
    const r = mulberry32(8);
    const tokens = Int32Array.from({ length: N }, (_, n) => (n % 7 === 0 ? 3 : Math.floor(r() * V))); // token 3 many times
    const wte = Float32Array.from(uniform(V * C, 9));
    const want = new Float32Array(N * C);
    embeddingForward({ out: want, tokens, wte, C });
    const out = new Float32Array(N * C);
    F.embeddingForward!({ out, tokens, wte, C });
    expectSameBits(out, want, "forward");
    const dout = Float32Array.from(uniform(N * C, 10));
    const ref = Float32Array.from(uniform(V * C, 11));
    const got = ref.slice();
    embeddingBackward({ dwte: ref, dout, tokens, C });
    F.embeddingBackward!({ dwte: got, dout, tokens, C });
    expectSameBits(got, ref, "backward");
  });

  describe("finite-difference gradients of the native kernels", () => {
    const opts = { h: 0.5, tol: 1e-4 };
    it("rope: ropeBackward is the gradient of Σ w ⊙ ropeForward(x)", () => {
      const N = 9, H = 2, HS = 8;
      const table = ropeTable(HS, 16, 10000);
      const positions = Int32Array.from([0, 3, 15, 1, 7, 7, 2, 9, 11]);
      const x = uniform(N * H * HS, 12), w = uniform(N * H * HS, 13);
      const f = () => {
        const y = Float32Array.from(x);
        F.ropeForward!({ x: y, positions, H, HS, table });
        return weightedSum(Float64Array.from(y), w);
      };
      const dx = Float32Array.from(w);
      F.ropeBackward!({ dx, positions, H, HS, table });
      gradcheck("native rope dx", x, Float64Array.from(dx), f, opts);
    });
    it("residual: dx and dy of Σ w ⊙ (x + y)", () => {
      const n = 40;
      const x = uniform(n, 14), y = uniform(n, 15), w = uniform(n, 16);
      const f = () => {
        const out = new Float32Array(n);
        F.residualForward!({ out, x: Float32Array.from(x), y: Float32Array.from(y), n });
        return weightedSum(Float64Array.from(out), w);
      };
      const dx = new Float32Array(n), dy = new Float32Array(n);
      F.residualBackward!({ dx, dy, dout: Float32Array.from(w), n });
      gradcheck("native residual dx", x, Float64Array.from(dx), f, opts);
      gradcheck("native residual dy", y, Float64Array.from(dy), f, opts);
    });
    it("embedding: dwte of Σ w ⊙ wte[tokens], a repeated token included", () => {
      const V = 6, C = 5;
      const tokens = Int32Array.from([2, 0, 2, 5, 2]);
      const wte = uniform(V * C, 17), w = uniform(tokens.length * C, 18);
      const f = () => {
        const out = new Float32Array(tokens.length * C);
        F.embeddingForward!({ out, tokens, wte: Float32Array.from(wte), C });
        return weightedSum(Float64Array.from(out), w);
      };
      const dwte = new Float32Array(V * C);
      F.embeddingBackward!({ dwte, dout: Float32Array.from(w), tokens, C });
      gradcheck("native embedding dwte", wte, Float64Array.from(dwte), f, opts);
    });
  });

  it("rope and residual give bit-identical results on 1 and 2 threads", () => {
    const threads = nk.threads();
    const table = ropeTable(32, 128, 10000);
    const positions = Int32Array.from({ length: 2048 }, (_, n) => n % 128);
    const x = Float32Array.from(uniform(2048 * 128, 19)), y = Float32Array.from(uniform(2048 * 128, 20));
    const results = [1, 2].map((t) => {
      nk.setThreads(t);
      const q = x.slice();
      F.ropeForward!({ x: q, positions, H: 4, HS: 32, table });
      const s = new Float32Array(x.length);
      F.residualForward!({ out: s, x, y, n: x.length });
      return { q, s };
    });
    nk.setThreads(threads);
    expectSameBits(results[1].q, results[0].q, "rope");
    expectSameBits(results[1].s, results[0].s, "residual");
  });

  it("refuses positions past the table, token ids past the vocabulary and overlapping gradients, naming them", () => {
    const table = ropeTable(8, 16, 10000);
    const x = new Float32Array(3 * 8);
    expect(() => F.ropeForward!({ x, positions: Int32Array.from([0, 16, 1]), H: 1, HS: 8, table })).toThrow(/position 16 at row 1 is outside the table's 16 positions/);
    expect(() => F.ropeForward!({ x, positions: Int32Array.from([0, 1, 2]), H: 1, HS: 6, table })).toThrow(/HS=6 must be even and match the table/);
    expect(() => F.ropeBackward!({ dx: new Float32Array(5), positions: Int32Array.from([0, 1, 2]), H: 1, HS: 8, table })).toThrow(/dx has 5 elements but the shape needs 24/);
    const wte = new Float32Array(4 * 3);
    expect(() => F.embeddingForward!({ out: new Float32Array(6), tokens: Int32Array.from([1, 4]), wte, C: 3 })).toThrow(/token 4 at index 1 is outside the vocabulary \[0, 4\)/);
    expect(() => F.embeddingBackward!({ dwte: wte, dout: new Float32Array(6), tokens: Int32Array.from([-1, 0]), C: 3 })).toThrow(/token -1 at index 0/);
    const buf = new Float32Array(20);
    expect(() => F.residualBackward!({ dx: buf.subarray(0, 10), dy: buf.subarray(5, 15), dout: new Float32Array(10), n: 10 })).toThrow(/dx and dy overlap/);
    expect(() => F.residualForward!({ out: buf.subarray(1, 11), x: buf.subarray(0, 10), y: new Float32Array(10), n: 10 })).toThrow(/out overlaps x at another offset/);
  });
});
