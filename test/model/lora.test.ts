/**
 * LoRA in the engine (Hu et al. 2021): the adapter's gradients dA, dB against float64
 * finite differences for each target module alone and all together (through two layers,
 * so dx flowing through an upper layer's adapter is checked by the lower layer's factors),
 * with dropout, and with the adapter fixed (base gradients through it); an unadapted model
 * is bit-identical before and after attach/detach and with a fresh adapter (B = 0); a
 * trained adapter leaves the frozen base's gradients untouched; the inference pass
 * (KV cache) applies the adapter as the training forward does.
 */
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import {
  KvCache, LORA_MODULES, Llama, createLoraAdapter, inferForward, loraModuleShape, logSoftmax,
  type LoraConfig, type LoraModule, type ModelConfig, type TrainBatch,
} from "../../src/model/index.js";
import { gradcheck } from "../helpers/gradcheck.js";

const cfg: ModelConfig = {
  vocabSize: 11, dim: 8, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 12,
  contextLength: 8, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true,
};

function batchOf(c: ModelConfig, B: number, T: number, seed: number): TrainBatch {
  const rng = createRng(seed);
  const tokens = new Int32Array(B * T).map(() => rng.int(c.vocabSize));
  const targets = new Int32Array(B * T).map(() => rng.int(c.vocabSize));
  const mask = new Float32Array(B * T).fill(1);
  mask[1] = 0;
  return { B, T, tokens, targets, mask };
}

function loraConfig(targetModules: LoraModule[], over: Partial<LoraConfig> = {}): LoraConfig {
  return { r: 3, alpha: 6, dropout: 0, targetModules, ...over };
}

/** An adapter with B ≠ 0 too, so every gradient path is exercised. */
function randomAdapter(c: ModelConfig, lc: LoraConfig, seed: number) {
  const a = createLoraAdapter(c, lc, createRng(seed));
  const rng = createRng(seed + 1);
  for (const layer of a.layers) for (const m of lc.targetModules) layer[m]!.B.forEach((_, i, b) => (b[i] = 0.5 * rng.normal()));
  return a;
}

function f64Model(): Llama<Float64Array> {
  const m = Llama.f64(cfg, createTsKernels());
  m.initialize(createRng(42), 0.3);
  return m;
}

describe("LoRA adapter gradients (float64 finite differences)", () => {
  const batch = batchOf(cfg, 2, 5, 9);
  const cases: [string, LoraModule[], Partial<LoraConfig>][] = [
    ...LORA_MODULES.map((m): [string, LoraModule[], Partial<LoraConfig>] => [m, [m], {}]),
    ["all seven modules", [...LORA_MODULES], {}],
    ["q_proj, v_proj with dropout 0.3", ["q_proj", "v_proj"], { dropout: 0.3 }],
  ];
  for (const [name, modules, over] of cases) {
    it(`dA and dB: ${name}`, () => {
      const m = f64Model();
      const lora = m.attachLora(randomAdapter(cfg, loraConfig(modules, over), 5), { train: true });
      const loss = () => {
        lora.seedDropout(123); // the same masks in every forward of the check
        return m.forward(batch).loss;
      };
      lora.grads.flat.fill(0);
      m.zeroGrad();
      loss();
      m.backward();
      // the base is frozen: none of its gradients was computed
      expect(m.grads.flat.every((g) => g === 0)).toBe(true);
      const analytic = Float64Array.from(lora.grads.flat);
      expect(analytic.some((g) => g !== 0)).toBe(true);
      for (const l of [0, 1]) for (const mod of modules) {
        expect(lora.grads.layers[l][mod]!.A.some((g) => g !== 0)).toBe(true);
        expect(lora.grads.layers[l][mod]!.B.some((g) => g !== 0)).toBe(true);
      }
      const worst = gradcheck(`lora ${name}`, lora.params.flat, analytic, loss, { maxChecks: 300, tol: 1e-6 });
      expect(worst).toBeLessThan(1e-6);
    });
  }

  it("dropout masks are seeded: the same seed gives the same loss, another seed another", () => {
    const m = f64Model();
    const lora = m.attachLora(randomAdapter(cfg, loraConfig(["q_proj", "v_proj"], { dropout: 0.5 }), 5), { train: true });
    lora.seedDropout(1);
    const a = m.forward(batch).loss;
    const a2 = m.forward(batch).loss; // the second forward of an update draws new masks
    lora.seedDropout(1);
    expect(m.forward(batch).loss).toBe(a);
    expect(m.forward(batch).loss).toBe(a2);
    expect(a2).not.toBe(a);
    lora.seedDropout(2);
    expect(m.forward(batch).loss).not.toBe(a);
  });

  it("a fixed adapter (train: false): the base's gradients flow through it", () => {
    const m = f64Model();
    m.attachLora(randomAdapter(cfg, loraConfig([...LORA_MODULES]), 5));
    m.zeroGrad();
    m.forward(batch);
    m.backward();
    expect(m.lora!.grads.flat.every((g) => g === 0)).toBe(true);
    const analytic = Float64Array.from(m.grads.flat);
    const worst = gradcheck("base through a fixed adapter", m.params.flat, analytic, () => m.forward(batch).loss, { maxChecks: 300, tol: 1e-6 });
    expect(worst).toBeLessThan(1e-6);
  });
});

describe("LoRA in float32: identities and the inference path", () => {
  const k = createTsKernels();
  const batch = batchOf(cfg, 2, 6, 3);
  const f32 = () => {
    const m = Llama.f32(cfg, k);
    m.initialize(createRng(4), 0.3);
    return m;
  };
  const probsOf = (m: Llama<Float32Array>) => {
    m.forward(batch);
    return Float32Array.from(m.lastProbs());
  };
  const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
    return d;
  };

  it("no adapter, attach + detach, and a fresh adapter (B = 0) give bit-identical outputs", () => {
    const m = f32();
    const before = probsOf(m);
    m.attachLora(createLoraAdapter(cfg, loraConfig([...LORA_MODULES]), createRng(1)), { train: true });
    expect(maxDiff(probsOf(m), before)).toBe(0);
    const viaCache = inferForward(m, [{ cache: new KvCache(cfg), tokens: batch.tokens.subarray(0, 6), logits: "all" }])[0];
    m.detachLora();
    expect(maxDiff(probsOf(m), before)).toBe(0);
    const plain = inferForward(m, [{ cache: new KvCache(cfg), tokens: batch.tokens.subarray(0, 6), logits: "all" }])[0];
    expect(maxDiff(viaCache, plain)).toBe(0);
  });

  it("a trained adapter changes only its own factors: the base's weights and gradients stay untouched", () => {
    const m = f32();
    const base = Float32Array.from(m.params.flat);
    const lora = m.attachLora(createLoraAdapter(cfg, loraConfig(["q_proj", "v_proj"]), createRng(1)), { train: true });
    m.zeroGrad();
    lora.grads.flat.fill(0);
    m.forward(batch);
    m.backward();
    expect(m.grads.flat.every((g) => g === 0)).toBe(true);
    // with B = 0 only dB is non-zero at the first step (dA = s·(dy B)ᵀ x = 0)
    expect(lora.grads.layers[0].v_proj!.B.some((g) => g !== 0)).toBe(true);
    expect(lora.grads.layers[0].v_proj!.A.every((g) => g === 0)).toBe(true);
    expect(Buffer.from(m.params.flat.buffer).equals(Buffer.from(base.buffer))).toBe(true);
  });

  it("the KV-cache inference pass applies the adapter as the training forward does (prefill then decode)", () => {
    const m = f32();
    const lc = loraConfig(["q_proj", "k_proj", "o_proj", "down_proj"], { dropout: 0.5 });
    m.attachLora(randomAdapter(cfg, lc, 8), { train: false }); // no dropout outside training
    const T = 6;
    const row = { B: 1, T, tokens: batch.tokens.subarray(0, T), targets: batch.targets.subarray(0, T), mask: null };
    m.forward(row);
    const trained = Float32Array.from(m.lastLogprobs());
    const cache = new KvCache(cfg);
    const prefill = inferForward(m, [{ cache, tokens: row.tokens.subarray(0, 4), logits: "all" }])[0];
    const decode = [4, 5].map((t) => inferForward(m, [{ cache, tokens: row.tokens.subarray(t, t + 1), logits: "last" }])[0]);
    const V = cfg.vocabSize;
    const rows = [...Array.from({ length: 4 }, (_, t) => prefill.subarray(t * V, (t + 1) * V)), ...decode];
    rows.forEach((logits, t) => expect(logSoftmax(logits)[row.targets[t]]).toBeCloseTo(trained[t], 5));
    // and the adapter matters: without it the log-probabilities differ
    m.detachLora();
    m.forward(row);
    expect(maxDiff(m.lastLogprobs(), trained)).toBeGreaterThan(1e-3);
  });

  it("refuses an adapter that does not fit the model, naming the layer and module", () => {
    const m = f32();
    const a = createLoraAdapter(cfg, loraConfig(["up_proj"]), createRng(1));
    a.layers[1].up_proj!.A = new Float32Array(5);
    const { in: IN } = loraModuleShape(cfg, "up_proj");
    expect(() => m.attachLora(a)).toThrow(`layer 1 up_proj: lora_A has 5 values; (r, in) = (3, ${IN}) needs ${3 * IN}`);
    expect(() => createLoraAdapter(cfg, loraConfig([]), createRng(1))).toThrow(/targetModules is empty/);
  });
});
