/**
 * The whole model's gradient against finite differences (float64), with and without
 * grouped-query attention and tied embeddings, and with a partial loss mask.
 */
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { Llama, type ModelConfig } from "../../src/model/index.js";
import { gradcheck } from "../helpers/gradcheck.js";

const base: ModelConfig = {
  vocabSize: 11, dim: 8, nLayers: 2, nHeads: 4, nKvHeads: 4, ffnDim: 12,
  contextLength: 8, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};

const variants: [string, Partial<ModelConfig>][] = [
  ["multi-head, untied", {}],
  ["GQA (4 query heads, 2 kv heads)", { nKvHeads: 2 }],
  ["tied embeddings", { tiedEmbeddings: true }],
  ["GQA + tied (1 kv head)", { nKvHeads: 1, tiedEmbeddings: true }],
];

describe("full model gradient (float64 finite differences)", () => {
  for (const [name, over] of variants) {
    it(name, () => {
      const cfg = { ...base, ...over };
      const m = Llama.f64(cfg, createTsKernels());
      m.initialize(createRng(42), 0.3);
      // perturb norm gains away from 1 so their gradients are exercised generically
      const rng = createRng(7);
      for (const l of m.params.layers) for (let i = 0; i < l.inputNorm.length; i++) l.inputNorm[i] += 0.2 * rng.normal();
      const B = 2, T = 6;
      const tokens = new Int32Array(B * T);
      const targets = new Int32Array(B * T);
      for (let i = 0; i < B * T; i++) {
        tokens[i] = rng.int(cfg.vocabSize);
        targets[i] = rng.int(cfg.vocabSize);
      }
      const mask = new Float32Array(B * T).fill(1);
      mask[0] = 0;
      mask[7] = 0;
      const batch = { B, T, tokens, targets, mask };
      m.zeroGrad();
      const { loss } = m.forward(batch);
      expect(Number.isFinite(loss)).toBe(true);
      m.backward();
      const analytic = Float64Array.from(m.grads.flat);
      const worst = gradcheck(`model (${name})`, m.params.flat, analytic, () => m.forward(batch).loss, { maxChecks: 400, tol: 1e-6 });
      expect(worst).toBeLessThan(1e-6);
    });
  }
});

describe("reweight: a signed per-token loss (policy-gradient objectives)", () => {
  const cfg = { ...base, nKvHeads: 2, tiedEmbeddings: true };
  const B = 2, T = 6;
  const rng = createRng(11);
  const tokens = new Int32Array(B * T).map(() => rng.int(cfg.vocabSize));
  const targets = new Int32Array(B * T).map(() => rng.int(cfg.vocabSize));
  const weights = new Float32Array(B * T).map((_, i) => (i % 5 === 0 ? 0 : rng.normal()));
  const batch = { B, T, tokens, targets, mask: null };

  it("backward differentiates Σ w·(−log p) / normalizer, negative weights included (float64 finite differences)", () => {
    const m = Llama.f64(cfg, createTsKernels());
    m.initialize(createRng(3), 0.3);
    m.zeroGrad();
    m.forward(batch);
    const loss = m.reweight(weights, 3);
    const lp = m.lastLogprobs();
    let expected = 0;
    for (let i = 0; i < B * T; i++) expected -= weights[i] * lp[i];
    expect(loss).toBeCloseTo(expected / 3, 12);
    m.backward();
    const analytic = Float64Array.from(m.grads.flat);
    const worst = gradcheck("model (reweighted)", m.params.flat, analytic, () => {
      m.forward(batch);
      return m.reweight(weights, 3);
    }, { maxChecks: 300, tol: 1e-6 });
    expect(worst).toBeLessThan(1e-6);
  });

  it("refuses wrong lengths, non-finite weights, a bad normalizer, and a call outside forward → backward", () => {
    const m = Llama.f64(cfg, createTsKernels());
    m.initialize(createRng(3), 0.3);
    expect(() => m.reweight(weights, 1)).toThrow(/forward\(\) first/);
    m.forward(batch);
    expect(() => m.reweight(new Float32Array(3), 1)).toThrow(/3 weights for a batch of B·T = 12/);
    expect(() => m.reweight(weights, 0)).toThrow(/normalizer must be finite and > 0/);
    const bad = weights.slice();
    bad[4] = NaN;
    expect(() => m.reweight(bad, 1)).toThrow(/weight 4 is NaN/);
    m.reweight(weights, 1);
    m.backward();
    expect(() => m.reweight(weights, 1)).toThrow(/before backward/);
  });
});
