/**
 * Soft tokens in the training passes (SoftCoT, src/train/softcot-model.ts) against float64
 * finite differences: d loss / d input embeddings from backward, the embedding table's
 * gradient without the replaced rows, d loss / d projection through a frozen backbone,
 * and d loss / d assistant weights through `backwardFromHidden`.
 */
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama, type ModelConfig } from "../../src/model/index.js";
import { softcotLoss, type Projection, type SoftcotParts } from "../../src/train/softcot-model.js";
import type { SoftcotExample } from "../../src/train/softcot-data.js";
import { gradcheck } from "../helpers/gradcheck.js";

const kernels = createTsKernels();
const cfg: ModelConfig = {
  vocabSize: 11, dim: 8, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 12,
  contextLength: 16, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
};

function model(c: ModelConfig, seed: number): Llama<Float64Array> {
  const m = Llama.f64(c, kernels);
  m.initialize(createRng(seed), 0.3);
  const rng = createRng(seed + 1);
  for (const l of m.params.layers) for (let i = 0; i < l.inputNorm.length; i++) l.inputNorm[i] += 0.2 * rng.normal();
  for (let i = 0; i < m.params.finalNorm.length; i++) m.params.finalNorm[i] += 0.2 * rng.normal();
  return m;
}

describe("input embeddings (soft tokens) in forward / backward", () => {
  const B = 2, T = 6, C = cfg.dim;
  const rng = createRng(3);
  const tokens = new Int32Array(B * T).map(() => rng.int(cfg.vocabSize));
  const targets = new Int32Array(B * T).map(() => rng.int(cfg.vocabSize));
  const mask = new Float32Array(B * T).map((_, i) => (i % T < 2 ? 0 : 1));
  const rows = Int32Array.of(1, 2, T + 3);
  const values = new Float64Array(rows.length * C).map(() => 0.5 * rng.normal());

  it("d loss / d embeds and d loss / d θ match finite differences; replaced rows leave the table's gradient", () => {
    const m = model(cfg, 42);
    const grad = new Float64Array(values.length);
    const batch = { B, T, tokens, targets, mask, embeds: { rows, values, grad } };
    m.zeroGrad();
    m.forward(batch);
    m.backward();
    expect(gradcheck("d embeds", values, Float64Array.from(grad), () => m.forward(batch).loss, { tol: 1e-6 })).toBeLessThan(1e-6);
    expect(gradcheck("d θ with soft tokens", m.params.flat, Float64Array.from(m.grads.flat), () => m.forward(batch).loss, { maxChecks: 300, tol: 1e-6 })).toBeLessThan(1e-6);
  });

  it("a frozen model (Llama.frozen) gives the same d embeds and computes no weight gradient", () => {
    const m = model(cfg, 42);
    const full = new Float64Array(values.length), frozen = new Float64Array(values.length);
    m.zeroGrad();
    m.forward({ B, T, tokens, targets, mask, embeds: { rows, values, grad: full } });
    m.backward();
    m.zeroGrad();
    m.frozen = true;
    m.forward({ B, T, tokens, targets, mask, embeds: { rows, values, grad: frozen } });
    m.backward();
    expect(frozen).toEqual(full);
    expect(m.grads.flat.every((g) => g === 0)).toBe(true);
  });

  it("soft tokens equal to the token embeddings give the token path's loss, and a different one changes it", () => {
    const m = model(cfg, 42);
    const plain = m.forward({ B, T, tokens, targets, mask }).loss;
    const same = new Float64Array(rows.length * C);
    rows.forEach((r, i) => same.set(m.params.embed.subarray(tokens[r] * C, (tokens[r] + 1) * C), i * C));
    expect(m.forward({ B, T, tokens, targets, mask, embeds: { rows, values: same } }).loss).toBe(plain);
    expect(m.forward({ B, T, tokens, targets, mask, embeds: { rows, values } }).loss).not.toBe(plain);
  });

  it("rejects embeds of the wrong size or outside the batch", () => {
    const m = model(cfg, 42);
    expect(() => m.forward({ B, T, tokens, targets, mask, embeds: { rows, values: values.subarray(1) } })).toThrow(/embeds.values has/);
    expect(() => m.forward({ B, T, tokens, targets, mask, embeds: { rows: Int32Array.of(B * T), values: values.subarray(0, C) } })).toThrow(/outside the batch/);
  });
});

describe("SoftCoT: gradients of the projection and the assistant through a frozen backbone", () => {
  const tok = new CharTokenizer();
  // the lab tokenizer's vocabulary, tiny widths: assistant 4 wide, backbone 8 wide
  const bbCfg: ModelConfig = { ...cfg, vocabSize: tok.size, contextLength: 24 };
  const asCfg: ModelConfig = { ...bbCfg, dim: 4, nHeads: 2, nKvHeads: 1, nLayers: 1, ffnDim: 10 };
  const exs: SoftcotExample[] = [
    { id: "a", question: Int32Array.from(tok.encode("2+3?")), response: Int32Array.from([...tok.encode("5"), tok.idOf("<|end|>")]) },
    { id: "b", question: Int32Array.from(tok.encode("7-1")), response: Int32Array.from([...tok.encode("6!"), tok.idOf("<|end|>")]) },
  ];

  function parts(trainAssistant: boolean): SoftcotParts<Float64Array> {
    const rng = createRng(9);
    const projection: Projection<Float64Array> = {
      cIn: asCfg.dim, cOut: bbCfg.dim,
      weight: new Float64Array(bbCfg.dim * asCfg.dim).map(() => 0.4 * rng.normal()), bias: new Float64Array(bbCfg.dim).map(() => 0.1 * rng.normal()),
      dWeight: new Float64Array(bbCfg.dim * asCfg.dim), dBias: new Float64Array(bbCfg.dim),
    };
    return { tokenizer: tok, backbone: model(bbCfg, 5), assistant: model(asCfg, 6), projection, k: 3, trainAssistant, frame: "chat" };
  }

  it("d loss / d W and d loss / d b match finite differences; the backbone does not move", () => {
    const m = parts(false);
    const before = Float64Array.from(m.backbone.params.flat);
    softcotLoss(m, exs, true);
    const loss = () => softcotLoss(m, exs, false).loss;
    expect(gradcheck("d W", m.projection.weight, Float64Array.from(m.projection.dWeight), loss, { tol: 1e-6 })).toBeLessThan(1e-6);
    expect(gradcheck("d b", m.projection.bias, Float64Array.from(m.projection.dBias), loss, { tol: 1e-6 })).toBeLessThan(1e-6);
    expect(m.backbone.params.flat).toEqual(before);
    expect(m.assistant.grads.flat.every((g) => g === 0)).toBe(true); // frozen assistant: no backward through it
  });

  it("with trainAssistant, d loss / d assistant weights match finite differences", () => {
    const m = parts(true);
    m.assistant.zeroGrad();
    softcotLoss(m, exs, true);
    const analytic = Float64Array.from(m.assistant.grads.flat);
    expect(analytic.some((g) => g !== 0)).toBe(true);
    expect(gradcheck("d assistant", m.assistant.params.flat, analytic, () => softcotLoss(m, exs, false).loss, { maxChecks: 300, tol: 1e-6 })).toBeLessThan(1e-6);
  });
});
