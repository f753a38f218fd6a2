/**
 * Every op's backward against finite differences, in float64.
 * Scalar loss L = Σ w ⊙ forward(x) with random w, so dL/dout = w.
 */
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import {
  attentionBackward, attentionForward, crossEntropyBackward, crossEntropyForward, embeddingBackward, embeddingForward,
  linearBackward, linearForward, opNames, residualBackward, residualForward, rmsnormBackward, rmsnormForward,
  ropeBackward, ropeForward, ropeTable, swigluBackward, swigluForward, type OpName,
} from "../../src/model/ops/index.js";
import { gradcheck, randomF64, weightedSum } from "../helpers/gradcheck.js";
import { mulberry32 } from "../helpers/rng.js";

const k = createTsKernels();

const checks: Record<OpName, () => void> = {
  embedding() {
    const r = mulberry32(1);
    const V = 7, C = 5;
    const tokens = Int32Array.from([3, 1, 3, 6, 0]);
    const wte = randomF64(V * C, r);
    const w = randomF64(tokens.length * C, r);
    const f = () => {
      const out = new Float64Array(tokens.length * C);
      embeddingForward({ out, tokens, wte, C });
      return weightedSum(out, w);
    };
    const dwte = new Float64Array(V * C);
    embeddingBackward({ dwte, dout: w, tokens, C });
    gradcheck("embedding dwte", wte, dwte, f);
  },
  rmsnorm() {
    const r = mulberry32(2);
    const N = 4, C = 6;
    const inp = randomF64(N * C, r);
    const weight = randomF64(C, r);
    const w = randomF64(N * C, r);
    const f = () => {
      const out = new Float64Array(N * C);
      rmsnormForward({ out, rstd: new Float64Array(N), inp, weight, N, C, eps: 1e-5 });
      return weightedSum(out, w);
    };
    const rstd = new Float64Array(N);
    rmsnormForward({ out: new Float64Array(N * C), rstd, inp, weight, N, C, eps: 1e-5 });
    const dinp = new Float64Array(N * C);
    const dweight = new Float64Array(C);
    rmsnormBackward({ dinp, dweight, dout: w, inp, weight, rstd, N, C });
    gradcheck("rmsnorm dinp", inp, dinp, f);
    gradcheck("rmsnorm dweight", weight, dweight, f);
  },
  rope() {
    const r = mulberry32(3);
    const N = 5, H = 2, HS = 6;
    const table = ropeTable(HS, 16, 10000);
    const positions = Int32Array.from([0, 1, 2, 7, 15]);
    const x = randomF64(N * H * HS, r);
    const w = randomF64(N * H * HS, r);
    const f = () => {
      const y = Float64Array.from(x);
      ropeForward({ x: y, positions, H, HS, table });
      return weightedSum(y, w);
    };
    const dx = Float64Array.from(w);
    ropeBackward({ dx, positions, H, HS, table });
    gradcheck("rope dx", x, dx, f);
  },
  attention() {
    for (const [NH, KVH, qOffset, Tq, Tk] of [[4, 4, 0, 5, 5], [4, 2, 0, 5, 5], [4, 1, 3, 2, 5]] as const) {
      const r = mulberry32(4 + NH + KVH);
      const HS = 4;
      const q = randomF64(Tq * NH * HS, r);
      const key = randomF64(Tk * KVH * HS, r);
      const value = randomF64(Tk * KVH * HS, r);
      const w = randomF64(Tq * NH * HS, r);
      const shape = { Tq, Tk, qOffset, NH, KVH, HS };
      const run = () => {
        const out = new Float64Array(Tq * NH * HS);
        const att = new Float64Array(NH * Tq * Tk);
        attentionForward(k, { ...shape, out, att, q, key, value });
        return { out, att };
      };
      const f = () => weightedSum(run().out, w);
      const { att } = run();
      const dq = new Float64Array(q.length);
      const dkey = new Float64Array(key.length);
      const dvalue = new Float64Array(value.length);
      attentionBackward(k, { ...shape, dq, dkey, dvalue, dout: w, att, q, key, value, scratch: new Float64Array(Tq * Tk) });
      const tag = `attention NH=${NH} KVH=${KVH} qOffset=${qOffset}`;
      gradcheck(`${tag} dq`, q, dq, f);
      gradcheck(`${tag} dkey`, key, dkey, f);
      gradcheck(`${tag} dvalue`, value, dvalue, f);
      // causality: no query attends to a key after its own position
      for (let h = 0; h < NH; h++) {
        for (let t = 0; t < Tq; t++) {
          for (let s2 = qOffset + t + 1; s2 < Tk; s2++) expect(att[(h * Tq + t) * Tk + s2], `head ${h} query ${t} key ${s2}`).toBe(0);
        }
      }
    }
  },
  swiglu() {
    const r = mulberry32(5);
    const n = 12;
    const gate = randomF64(n, r, 3);
    const up = randomF64(n, r);
    const w = randomF64(n, r);
    const f = () => {
      const out = new Float64Array(n);
      swigluForward({ out, gate, up, n });
      return weightedSum(out, w);
    };
    const dgate = new Float64Array(n);
    const dup = new Float64Array(n);
    swigluBackward({ dgate, dup, dout: w, gate, up, n });
    gradcheck("swiglu dgate", gate, dgate, f);
    gradcheck("swiglu dup", up, dup, f);
    // accumulate: false writes the same gradients over whatever the buffers held
    const over = { dgate: new Float64Array(n).fill(NaN), dup: new Float64Array(n).fill(7) };
    swigluBackward({ ...over, dout: w, gate, up, n, accumulate: false });
    expect(over.dgate).toEqual(dgate);
    expect(over.dup).toEqual(dup);
  },
  linear() {
    const r = mulberry32(6);
    const N = 5, IN = 7, OUT = 3;
    const inp = randomF64(N * IN, r);
    const weight = randomF64(OUT * IN, r);
    const w = randomF64(N * OUT, r);
    const f = () => {
      const out = new Float64Array(N * OUT);
      linearForward(k, { out, inp, weight, N, IN, OUT });
      return weightedSum(out, w);
    };
    const dinp = new Float64Array(N * IN);
    const dweight = new Float64Array(OUT * IN);
    linearBackward(k, { dinp, dweight, dout: w, inp, weight, N, IN, OUT, accumulateInput: false });
    gradcheck("linear dinp", inp, dinp, f);
    gradcheck("linear dweight", weight, dweight, f);
  },
  residual() {
    const r = mulberry32(7);
    const n = 9;
    const x = randomF64(n, r);
    const y = randomF64(n, r);
    const w = randomF64(n, r);
    const f = () => {
      const out = new Float64Array(n);
      residualForward({ out, x, y, n });
      return weightedSum(out, w);
    };
    const dx = new Float64Array(n);
    const dy = new Float64Array(n);
    residualBackward({ dx, dy, dout: w, n });
    gradcheck("residual dx", x, dx, f);
    gradcheck("residual dy", y, dy, f);
  },
  crossentropy() {
    const r = mulberry32(8);
    const N = 4, V = 6;
    const logits = randomF64(N * V, r, 2);
    const targets = Int32Array.from([1, 5, 0, 2]);
    const mask = Float32Array.from([1, 0, 1, 1]);
    const f = () => crossEntropyForward({ logprobs: new Float64Array(N), logits, targets, mask, N, V }).loss;
    const probs = new Float64Array(N * V);
    const { count } = crossEntropyForward({ logprobs: new Float64Array(N), probs, logits, targets, mask, N, V });
    crossEntropyBackward({ probs, targets, mask, count, N, V });
    gradcheck("crossentropy dlogits", logits, probs, f);
    // the masked-out row gets no gradient
    for (let v = 0; v < V; v++) expect(probs[V + v]).toBe(0);
  },
};

describe("op gradients (float64 finite differences)", () => {
  for (const name of opNames) it(name, () => checks[name]());
});
