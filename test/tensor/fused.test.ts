/**
 * Every backend's fused kernels (FusedKernels in src/tensor/kernels.ts) against the
 * TypeScript references in src/model/ops, on random data with the shapes training
 * and KV-cache decoding use.
 *
 * Tolerance: |got − ref| ≤ 1e-5 · (1 + |ref|) per element, and the same bound for
 * the loss. The reference runs on Float64Array copies of the (float32) inputs, so the
 * bound is on the backend's own float32 rounding (sums of up to 512 terms, a
 * polynomial exp of ≤ 2 ulp); a wrong mask, head, offset or stride gives errors of
 * order 1.
 *
 * Backward kernels add into gradients: those buffers start non-zero here, except
 * where the reference overwrites (attention's dq starts as garbage, cross-entropy
 * works in place). A backend that cannot start is reported as in conformance.test.ts;
 * the set of ops each backend provides is itself checked. RoPE, residual adds and the
 * embedding are checked in test/tensor/elementwise.test.ts.
 */
import { describe, expect, it } from "vitest";
import { mustStart } from "../helpers/required.js";
import {
  attentionBackward, attentionDecode, attentionForward, crossEntropyBackward, crossEntropyForward,
  rmsnormBackward, rmsnormForward, swigluBackward, swigluForward,
} from "../../src/model/ops/index.js";
import { createTsKernels, loadKernels, type AttentionShape, type KernelsName, type FusedKernels, type Kernels } from "../../src/tensor/index.js";
import { mulberry32 } from "../helpers/rng.js";
import { expectClose as expectCloseTo } from "../helpers/close.js";

const TOL = 1e-5;
const ts = createTsKernels();

function uniform(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = mulberry32(seed);
  const x = new Float64Array(n);
  // rounded to float32 so reference and backend see the same inputs
  for (let i = 0; i < n; i++) x[i] = Math.fround(lo + (hi - lo) * r());
  return x;
}

/** The backend's own buffer (wasm needs its arena) holding src. */
function f32(k: Kernels, src: Float64Array): Float32Array {
  const out = k.alloc(src.length);
  out.set(src);
  return out;
}

function expectClose(got: Float32Array, ref: Float64Array, what: string): void {
  expectCloseTo(got, ref, TOL, what);
}

type Op = keyof Omit<FusedKernels, "adamw">;

async function available(name: KernelsName): Promise<Kernels | string> {
  try {
    return (await loadKernels(name)).kernels;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Defines the test when the backend has the op (which ops it has is checked below). */
function withOp(k: Kernels, op: Op, title: string, body: () => void): void {
  if (k.fused[op]) it(`${op}: ${title}`, body);
}

/** The fused ops each backend is expected to provide; losing one is a regression. */
const expectedOps: Record<"native" | "wasm", string[]> = {
  native: [
    "adamw", "attentionBackward", "attentionDecode", "attentionForward", "crossEntropyBackward", "crossEntropyForward",
    "embeddingBackward", "embeddingForward", "residualBackward", "residualForward",
    "rmsnormBackward", "rmsnormForward", "ropeBackward", "ropeForward", "swigluBackward", "swigluForward",
  ],
  wasm: [],
};

for (const name of ["native", "wasm"] as const) {
  describe(`fused kernels: ${name}`, async () => {
    const k = await available(name);
    if (typeof k === "string") {
      it(`${name} is unavailable on this machine (${k})`, () => {
        expect(k).toMatch(/not available/);
        expect(mustStart(name), `${name} must start in this run`).toBe(false);
      });
      return;
    }
    const F = k.fused;
    it(`provides the fused ops: ${expectedOps[name].join(", ") || "none (matmul only)"}`, () => {
      expect(Object.keys(F).filter((op) => F[op as Op] !== undefined).sort()).toEqual(expectedOps[name]);
    });

    // RMSNorm: C = 128 (model width), 100 and 7 (vector tails); N large enough to thread
    for (const [N, C] of [[512, 128], [37, 100], [5, 7], [0, 16]] as const) {
      withOp(k, "rmsnormForward", `N=${N} C=${C}`, () => {
        const inp = uniform(N * C, 1, -3, 3);
        const weight = uniform(C, 2, 0.5, 1.5);
        const ref = { out: new Float64Array(N * C), rstd: new Float64Array(N) };
        rmsnormForward({ ...ref, inp, weight, N, C, eps: 1e-5 });
        const got = { out: k.alloc(N * C), rstd: k.alloc(N) };
        F.rmsnormForward!({ ...got, inp: f32(k, inp), weight: f32(k, weight), N, C, eps: 1e-5 });
        expectClose(got.out, ref.out, "out");
        expectClose(got.rstd, ref.rstd, "rstd");
      });
      withOp(k, "rmsnormBackward", `N=${N} C=${C}, adds into dinp and dweight`, () => {
        const inp = uniform(N * C, 3, -3, 3);
        const weight = uniform(C, 4, 0.5, 1.5);
        const dout = uniform(N * C, 5);
        const rstd = new Float64Array(N);
        rmsnormForward({ out: new Float64Array(N * C), rstd, inp, weight, N, C, eps: 1e-5 });
        const rstd32 = Float64Array.from(Float32Array.from(rstd)); // what a float32 forward stores
        const ref = { dinp: uniform(N * C, 6), dweight: uniform(C, 7) };
        const got = { dinp: f32(k, ref.dinp), dweight: f32(k, ref.dweight) };
        rmsnormBackward({ ...ref, dout, inp, weight, rstd: rstd32, N, C });
        F.rmsnormBackward!({ ...got, dout: f32(k, dout), inp: f32(k, inp), weight: f32(k, weight), rstd: f32(k, rstd32), N, C });
        expectClose(got.dinp, ref.dinp, "dinp");
        expectClose(got.dweight, ref.dweight, "dweight");
      });
    }

    // SwiGLU over N·F values: gates from −100 (exp overflow side) to 30
    for (const n of [512 * 512 + 5, 1000, 3]) {
      const gate = uniform(n, 8, -12, 12);
      gate[0] = -100;
      if (n > 1) gate[1] = 30;
      withOp(k, "swigluForward", `n=${n}`, () => {
        const up = uniform(n, 9, -2, 2);
        const ref = new Float64Array(n);
        swigluForward({ out: ref, gate, up, n });
        const out = k.alloc(n);
        F.swigluForward!({ out, gate: f32(k, gate), up: f32(k, up), n });
        expectClose(out, ref, "out");
      });
      withOp(k, "swigluBackward", `n=${n}, adds into dgate and dup`, () => {
        const up = uniform(n, 10, -2, 2);
        const dout = uniform(n, 11);
        const ref = { dgate: uniform(n, 12), dup: uniform(n, 13) };
        const got = { dgate: f32(k, ref.dgate), dup: f32(k, ref.dup) };
        swigluBackward({ ...ref, dout, gate, up, n });
        F.swigluBackward!({ ...got, dout: f32(k, dout), gate: f32(k, gate), up: f32(k, up), n });
        expectClose(got.dgate, ref.dgate, "dgate");
        expectClose(got.dup, ref.dup, "dup");
      });
      withOp(k, "swigluBackward", `n=${n}, accumulate: false writes dgate and dup over garbage`, () => {
        const up = uniform(n, 10, -2, 2);
        const dout = uniform(n, 11);
        const ref = { dgate: new Float64Array(n), dup: new Float64Array(n) };
        const got = { dgate: k.alloc(n).fill(NaN), dup: k.alloc(n).fill(NaN) };
        swigluBackward({ ...ref, dout, gate, up, n });
        F.swigluBackward!({ ...got, dout: f32(k, dout), gate: f32(k, gate), up: f32(k, up), n, accumulate: false });
        expectClose(got.dgate, ref.dgate, "dgate");
        expectClose(got.dup, ref.dup, "dup");
      });
    }

    // Cross-entropy: V = 128 (the model), 100 and 3 (tails); masks with zeros; probs aliasing logits
    const ceCases = [
      { N: 4096, V: 128, masked: false, alias: true },
      { N: 300, V: 100, masked: true, alias: true },
      { N: 33, V: 3, masked: true, alias: false },
      { N: 64, V: 128, masked: true, alias: "none" as const },
      // signed weights (Llama.reweight: policy-gradient advantages)
      { N: 96, V: 128, masked: "signed" as const, alias: true },
    ];
    for (const { N, V, masked, alias } of ceCases) {
      const title = `N=${N} V=${V} ${masked === "signed" ? "signed weights" : masked ? "mask with zeros" : "no mask"}, probs ${alias === "none" ? "absent" : alias ? "aliasing logits" : "separate"}`;
      const logits = uniform(N * V, 14, -8, 8);
      const r = mulberry32(15);
      const targets = Int32Array.from({ length: N }, () => Math.floor(r() * V));
      const mask = masked === "signed"
        ? Float32Array.from({ length: N }, (_, i) => (i % 4 === 0 ? -0.5 : i % 3 === 0 ? 0 : 0.75))
        : masked ? Float32Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 0 : i % 5 === 0 ? 0.5 : 1)) : null;
      withOp(k, "crossEntropyForward", title, () => {
        const refProbs = new Float64Array(N * V);
        const refLp = new Float64Array(N);
        const want = crossEntropyForward({ logprobs: refLp, probs: alias === "none" ? undefined : refProbs, logits, targets, mask, N, V });
        const lg = f32(k, logits);
        const probs = alias === "none" ? undefined : alias ? lg : k.alloc(N * V);
        const lp = k.alloc(N);
        const got = F.crossEntropyForward!({ logprobs: lp, probs, logits: lg, targets, mask, N, V });
        expectClose(lp, refLp, "logprobs");
        if (probs) expectClose(probs, refProbs, "probs");
        expect(got.count).toBe(want.count);
        expect(Math.abs(got.loss - want.loss)).toBeLessThanOrEqual(TOL * (1 + Math.abs(want.loss)));
      });
      withOp(k, "crossEntropyBackward", `${title}: dlogits in place`, () => {
        const probs = new Float64Array(N * V);
        const { count } = crossEntropyForward({ logprobs: new Float64Array(N), probs, logits, targets, mask, N, V });
        const got = f32(k, Float64Array.from(Float32Array.from(probs)));
        const ref = Float64Array.from(got);
        crossEntropyBackward({ probs: ref, targets, mask, count, N, V });
        F.crossEntropyBackward!({ probs: got, targets, mask, count, N, V });
        expectClose(got, ref, "dlogits");
      });
    }
    withOp(k, "crossEntropyForward", "an all-zero mask gives NaN loss and count 0", () => {
      const N = 4, V = 8;
      const r = F.crossEntropyForward!({
        logprobs: k.alloc(N), logits: f32(k, uniform(N * V, 16)), targets: new Int32Array(N), mask: new Float32Array(N), N, V,
      });
      expect(r.count).toBe(0);
      expect(r.loss).toBeNaN();
    });

    // Attention: training (Tq = Tk, qOffset 0), GQA 4/2 and 4/1, KV-cache chunks
    // (Tq ≠ Tk, qOffset > 0), keys past every query, head sizes off the 32-float tile.
    const attCases: (AttentionShape & { label: string })[] = [
      { label: "training shape", Tq: 128, Tk: 128, qOffset: 0, NH: 4, KVH: 4, HS: 32 },
      { label: "GQA 4/2", Tq: 128, Tk: 128, qOffset: 0, NH: 4, KVH: 2, HS: 32 },
      { label: "GQA 4/1", Tq: 64, Tk: 64, qOffset: 0, NH: 4, KVH: 1, HS: 32 },
      { label: "cache chunk", Tq: 20, Tk: 50, qOffset: 30, NH: 4, KVH: 2, HS: 32 },
      { label: "one decoded token", Tq: 1, Tk: 77, qOffset: 76, NH: 4, KVH: 4, HS: 32 },
      // fewer rows than a tile block: the native kernel's row-by-row path
      { label: "3 rows, GQA 4/2, HS 20 (a partial vector)", Tq: 3, Tk: 50, qOffset: 47, NH: 4, KVH: 2, HS: 20 },
      { label: "7 rows from an empty cache", Tq: 7, Tk: 7, qOffset: 0, NH: 2, KVH: 1, HS: 32 },
      { label: "2 rows, keys past them", Tq: 2, Tk: 30, qOffset: 5, NH: 2, KVH: 2, HS: 48 },
      { label: "keys past the last query", Tq: 9, Tk: 40, qOffset: 10, NH: 2, KVH: 1, HS: 32 },
      { label: "HS 16, odd T", Tq: 45, Tk: 45, qOffset: 0, NH: 8, KVH: 4, HS: 16 },
      { label: "HS 48, chunk", Tq: 33, Tk: 70, qOffset: 37, NH: 3, KVH: 3, HS: 48 },
      { label: "HS 64", Tq: 100, Tk: 100, qOffset: 0, NH: 2, KVH: 2, HS: 64 },
    ];
    for (const s of attCases) {
      const { Tq, Tk, NH, KVH, HS } = s;
      const shape: AttentionShape = { Tq, Tk, qOffset: s.qOffset, NH, KVH, HS };
      const title = `${s.label} (Tq=${Tq} Tk=${Tk} qOffset=${s.qOffset} NH=${NH} KVH=${KVH} HS=${HS})`;
      const q = uniform(Tq * NH * HS, 17, -2, 2);
      const key = uniform(Tk * KVH * HS, 18, -2, 2);
      const value = uniform(Tk * KVH * HS, 19);
      const forward = (): { out: Float64Array; att: Float64Array } => {
        const r = { out: new Float64Array(Tq * NH * HS), att: new Float64Array(NH * Tq * Tk) };
        attentionForward(ts, { ...shape, ...r, q, key, value });
        return r;
      };
      withOp(k, "attentionForward", title, () => {
        const ref = forward();
        const got = { out: f32(k, uniform(Tq * NH * HS, 20)), att: f32(k, uniform(NH * Tq * Tk, 21)) }; // garbage: overwritten
        F.attentionForward!({ ...shape, ...got, q: f32(k, q), key: f32(k, key), value: f32(k, value) });
        expectClose(got.att, ref.att, "att");
        expectClose(got.out, ref.out, "out");
      });
      withOp(k, "attentionBackward", `${title}, adds into dkey and dvalue`, () => {
        const att = Float64Array.from(Float32Array.from(forward().att)); // as a float32 forward keeps it
        const dout = uniform(Tq * NH * HS, 22);
        const ref = { dq: new Float64Array(Tq * NH * HS), dkey: uniform(Tk * KVH * HS, 23), dvalue: uniform(Tk * KVH * HS, 24) };
        const got = { dq: f32(k, uniform(Tq * NH * HS, 25)), dkey: f32(k, ref.dkey), dvalue: f32(k, ref.dvalue) };
        attentionBackward(ts, { ...shape, ...ref, dout, att, q, key, value, scratch: new Float64Array(Tq * Tk) });
        F.attentionBackward!({
          ...shape, ...got, dout: f32(k, dout), att: f32(k, att), q: f32(k, q), key: f32(k, key), value: f32(k, value), scratch: k.alloc(Tq * Tk),
        });
        expectClose(got.dq, ref.dq, "dq");
        expectClose(got.dkey, ref.dkey, "dkey");
        expectClose(got.dvalue, ref.dvalue, "dvalue");
      });
    }
    // Decoding: many sequences of 1–7 new rows in one call, as the engine's decoding step
    // sends them (rows of the step's q and out, each against its own cache)
    // (HS 24: the zoo's base-s; HS 8: rows of 8 floats, shorter than a vector; HS 160: more
    // vectors than the kernel keeps in registers at once)
    for (const [NH, KVH, HS] of [[4, 2, 32], [3, 3, 20], [2, 1, 48], [4, 2, 24], [2, 1, 8], [2, 2, 160]] as const) {
      const qD = NH * HS, kD = KVH * HS;
      const rowsOf = [1, 1, 3, 7, 1, 2, 1, 5, 1, 1, 4, 1, 6, 1, 1, 1, 2, 1, 1, 1, 3, 1, 1, 1, 1, 1, 7, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1];
      // a gap of 2 rows after every fifth sequence: rows of sequences outside the call stay as they were
      let row = 0;
      const seqs = rowsOf.map((Tq, i) => {
        const Tk = Tq + ((i * 37) % 180);
        const s = { row, Tq, Tk, key: uniform(Tk * kD, 100 + i, -2, 2), value: uniform(Tk * kD, 200 + i) };
        row += Tq + (i % 5 === 4 ? 2 : 0);
        return s;
      });
      const N = row;
      const q = uniform(N * qD, 30, -2, 2);
      const title = `${seqs.length} sequences, NH=${NH} KVH=${KVH} HS=${HS}`;
      withOp(k, "attentionDecode", `${title}: each as attentionForward computes it alone, other rows untouched`, () => {
        const ref = new Float64Array(N * qD);
        attentionDecode(ts, { out: ref, q, NH, KVH, HS, seqs });
        const got = f32(k, uniform(N * qD, 31)); // garbage where no sequence writes
        const before = got.slice();
        const seqs32 = seqs.map((s) => ({ ...s, key: f32(k, s.key), value: f32(k, s.value) }));
        F.attentionDecode!({ out: got, q: f32(k, q), NH, KVH, HS, seqs: seqs32 });
        const written = new Uint8Array(N);
        for (const s of seqs) {
          written.fill(1, s.row, s.row + s.Tq);
          const at = (x: Float32Array | Float64Array) => x.subarray(s.row * qD, (s.row + s.Tq) * qD);
          expectClose(at(got) as Float32Array, at(ref) as Float64Array, `out of the sequence at row ${s.row}`);
          // bit for bit the fused single-sequence kernel's answer: a row does not depend on its company
          if (F.attentionForward) {
            const alone = k.alloc(s.Tq * qD);
            F.attentionForward({ Tq: s.Tq, Tk: s.Tk, qOffset: s.Tk - s.Tq, NH, KVH, HS, out: alone, att: k.alloc(NH * s.Tq * s.Tk), q: f32(k, at(q) as Float64Array), key: f32(k, s.key), value: f32(k, s.value) });
            expect(Array.from(at(got))).toEqual(Array.from(alone));
          }
        }
        for (let r = 0; r < N; r++) {
          if (!written[r]) expect(Array.from(got.subarray(r * qD, (r + 1) * qD))).toEqual(Array.from(before.subarray(r * qD, (r + 1) * qD)));
        }
      });
    }
    withOp(k, "attentionDecode", "refuses a sequence of 8 rows, a cache shorter than Tk and overlapping rows, naming the sequence", () => {
      const key = k.alloc(10 * 64), value = k.alloc(10 * 64);
      const a = { out: k.alloc(16 * 64), q: k.alloc(16 * 64), NH: 2, KVH: 2, HS: 32 };
      expect(() => F.attentionDecode!({ ...a, seqs: [{ row: 0, Tq: 8, Tk: 10, key, value }] })).toThrow(/sequence 0 .*Tq 8/);
      expect(() => F.attentionDecode!({ ...a, seqs: [{ row: 0, Tq: 1, Tk: 5, key, value }, { row: 1, Tq: 1, Tk: 11, key, value }] })).toThrow(/sequence 1/);
      // overlapping rows would be written by two threads at once
      expect(() => F.attentionDecode!({ ...a, seqs: [{ row: 0, Tq: 3, Tk: 5, key, value }, { row: 2, Tq: 1, Tk: 5, key, value }] })).toThrow(/sequence 1 starts at row 2.*end at 3/);
    });
    withOp(k, "attentionForward", "reads only its views (a sequence inside a batch buffer)", () => {
      const shape: AttentionShape = { Tq: 16, Tk: 16, qOffset: 0, NH: 2, KVH: 2, HS: 32 };
      const n = 16 * 64;
      const q = uniform(3 * n, 26), key = uniform(3 * n, 27), value = uniform(3 * n, 28);
      const ref = { out: new Float64Array(n), att: new Float64Array(2 * 256) };
      attentionForward(ts, { ...shape, ...ref, q: q.subarray(n, 2 * n), key: key.subarray(n, 2 * n), value: value.subarray(n, 2 * n) });
      const out = k.alloc(3 * n);
      const att = k.alloc(2 * 256);
      const [q32, k32, v32] = [f32(k, q), f32(k, key), f32(k, value)];
      F.attentionForward!({ ...shape, out: out.subarray(n, 2 * n), att, q: q32.subarray(n, 2 * n), key: k32.subarray(n, 2 * n), value: v32.subarray(n, 2 * n) });
      expectClose(out.subarray(n, 2 * n), ref.out, "out");
      expect(out.subarray(0, n).every((x) => x === 0) && out.subarray(2 * n).every((x) => x === 0)).toBe(true);
    });
  });
}
