/**
 * The whole model's gradient against finite differences (float64), with and without
 * grouped-query attention and tied embeddings, and with a partial loss mask.
 */
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { Llama, createRng, type ModelConfig } from "../../src/model/index.js";
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
