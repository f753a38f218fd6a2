/**
 * KV-cache decoding, batched scoring and seeded sampling agree with the training
 * forward pass and with themselves.
 */
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { KvCache, Llama, generateTokens, inferForward, logSoftmax, nextTokenLogprobs, sampleToken, scoreContinuations, type ModelConfig } from "../../src/model/index.js";

const config: ModelConfig = {
  vocabSize: 23, dim: 16, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnDim: 24,
  contextLength: 32, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: false,
};

function model(): Llama<Float32Array> {
  const m = Llama.f32(config, createTsKernels());
  m.initialize(createRng(5), 0.3);
  return m;
}

function seq(n: number, seed: number): number[] {
  const r = createRng(seed);
  return Array.from({ length: n }, () => r.int(config.vocabSize));
}

/** log-probs (T, V) from the training forward pass. */
function teacherForced(m: Llama<Float32Array>, tokens: number[]): Float64Array[] {
  const T = tokens.length;
  m.forward({ B: 1, T, tokens: Int32Array.from(tokens), targets: new Int32Array(T), mask: null });
  const p = m.lastProbs();
  const V = config.vocabSize;
  return Array.from({ length: T }, (_, t) => Float64Array.from(p.subarray(t * V, (t + 1) * V), Math.log));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe("decoding", () => {
  it("token-by-token decoding with a KV cache matches the full forward pass", () => {
    const m = model();
    const tokens = seq(20, 1);
    const ref = teacherForced(m, tokens);
    const cache = new KvCache(config);
    // prefill 7 tokens, then one at a time
    let [logits] = inferForward(m, [{ cache, tokens: Int32Array.from(tokens.slice(0, 7)), logits: "all" }]);
    const V = config.vocabSize;
    for (let t = 0; t < 7; t++) expect(maxDiff(logSoftmax(logits.subarray(t * V, (t + 1) * V)), ref[t])).toBeLessThan(1e-5);
    for (let t = 7; t < tokens.length; t++) {
      [logits] = inferForward(m, [{ cache, tokens: Int32Array.of(tokens[t]), logits: "last" }]);
      expect(maxDiff(logSoftmax(logits), ref[t]), `position ${t}`).toBeLessThan(1e-5);
    }
    expect(cache.length).toBe(tokens.length);
  });

  it("batched scoring equals one-at-a-time scoring, and greedy flags match argmax", () => {
    const m = model();
    const items = [
      { prompt: seq(5, 2), continuation: seq(4, 3) },
      { prompt: seq(9, 4), continuation: seq(1, 5) },
      { prompt: seq(1, 6), continuation: seq(12, 7) },
    ];
    const batched = scoreContinuations(m, items);
    items.forEach((it, i) => {
      const [single] = scoreContinuations(m, [it]);
      expect(maxDiff(batched[i].logprobs, single.logprobs)).toBeLessThan(1e-5);
      const full = [...it.prompt, ...it.continuation];
      const ref = teacherForced(m, full);
      it.continuation.forEach((tok, j) => {
        const row = ref[it.prompt.length - 1 + j];
        expect(Math.abs(single.logprobs[j] - row[tok])).toBeLessThan(1e-5);
        const best = row.indexOf(Math.max(...row));
        expect(single.greedy[j]).toBe(best === tok);
      });
    });
  });

  it("rejects malformed inputs with clear errors", () => {
    const m = model();
    expect(() => new KvCache(config, config.contextLength + 1)).toThrow(/1 to 32 positions/);
    expect(() => inferForward(m, [])).toThrow(/at least one segment/);
    expect(() => inferForward(m, [{ cache: new KvCache(config), tokens: new Int32Array(0), logits: "last" }])).toThrow(/segment 0 has no rows/);
    expect(() => inferForward(m, [{ cache: new KvCache(config), tokens: null, embeds: new Float32Array(config.dim + 1), logits: "last" }])).toThrow(/not a multiple/);
    const batch = { B: 1, T: 4, tokens: new Int32Array(4), targets: new Int32Array(4) };
    expect(() => m.forward({ ...batch, mask: new Float32Array(3) })).toThrow(/loss mask has 3 entries/);
    expect(() => m.forward({ ...batch, mask: Float32Array.of(1, NaN, 1, 1) })).toThrow(/finite and ≥ 0/);
    expect(() => m.forward({ ...batch, mask: null, positions: Int32Array.of(0, 1, 2, 32) })).toThrow(/position 32/);
    m.forward({ ...batch, mask: null });
    m.backward();
    expect(() => m.lastProbs()).toThrow(/after backward/);
    expect(() => m.backward()).toThrow(/one backward per forward/);
  });

  it("soft tokens: feeding the embedding rows gives the same logits as the token ids", () => {
    const m = model();
    const tokens = seq(6, 8);
    const C = config.dim;
    const embeds = new Float32Array(tokens.length * C);
    tokens.forEach((t, i) => embeds.set(m.params.embed.subarray(t * C, (t + 1) * C), i * C));
    const hidden: number[] = [];
    const [a] = inferForward(m, [{ cache: new KvCache(config), tokens: Int32Array.from(tokens), logits: "all" }], {
      onHidden: (layer, h) => hidden.push(layer, h.length),
    });
    const [b] = inferForward(m, [{ cache: new KvCache(config), tokens: null, embeds, logits: "all" }]);
    expect(maxDiff(a, b)).toBe(0);
    expect(hidden).toEqual([-1, 6 * C, 0, 6 * C, 1, 6 * C]);
  });

  it("greedy generation follows the argmax; sampling is seeded and batch-independent", () => {
    const m = model();
    const prompts = [seq(3, 9), seq(5, 10)];
    const greedy = generateTokens(m, prompts, { maxTokens: 8, temperature: 0 });
    greedy.forEach((g, i) => {
      expect(g.tokens.length).toBe(8);
      const ctx = [...prompts[i]];
      for (const t of g.tokens) {
        const lp = nextTokenLogprobs(m, ctx);
        expect(t).toBe(lp.indexOf(Math.max(...lp)));
        ctx.push(t);
      }
    });
    const s1 = generateTokens(m, prompts, { maxTokens: 10, temperature: 1, seed: 3 });
    const s2 = generateTokens(m, prompts, { maxTokens: 10, temperature: 1, seed: 3 });
    expect(s1).toEqual(s2);
    // sequence 1 alone with seed 3+1 gives the same tokens as inside the batch
    const alone = generateTokens(m, [prompts[1]], { maxTokens: 10, temperature: 1, seed: 4 });
    expect(alone[0].tokens).toEqual(s1[1].tokens);
    const s3 = generateTokens(m, prompts, { maxTokens: 10, temperature: 1, seed: 77 });
    expect(s3.map((s) => s.tokens)).not.toEqual(s1.map((s) => s.tokens));
  });

  it("stops on a stop token and at the context limit", () => {
    const m = model();
    const g = generateTokens(m, [seq(4, 11)], { maxTokens: 5, temperature: 0 });
    const first = g[0].tokens[0];
    const stopped = generateTokens(m, [seq(4, 11)], { maxTokens: 5, temperature: 0, stopTokens: [first] });
    expect(stopped[0]).toMatchObject({ tokens: [], finish: "stop" });
    // context 32, prompt 30: positions 30 and 31 take two generated tokens; the third is
    // predicted from a full context and never fed back
    const long = generateTokens(m, [seq(30, 12)], { maxTokens: 10, temperature: 0 });
    expect(long[0].finish).toBe("context");
    expect(long[0].tokens.length).toBe(3);
    expect(generateTokens(m, [seq(32, 12)], { maxTokens: 10, temperature: 0 })[0].tokens.length).toBe(1);
  });
});

describe("sampling", () => {
  const logits = Float32Array.from([2, 1, 0.5, 0, -1, -3]);
  it("top-k keeps only the k most likely tokens", () => {
    const r = createRng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(sampleToken(logits, { temperature: 1, topK: 2 }, r));
    expect([...seen].sort()).toEqual([0, 1]);
  });
  it("top-p keeps the nucleus", () => {
    const p = Array.from(logSoftmax(logits), Math.exp);
    const r = createRng(2);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) seen.add(sampleToken(logits, { temperature: 1, topP: p[0] + p[1] - 1e-9 }, r));
    expect([...seen].sort()).toEqual([0, 1]);
  });
  it("temperature 1 draws in proportion to the probabilities", () => {
    const p = Array.from(logSoftmax(logits), Math.exp);
    const r = createRng(3);
    const counts = new Array(6).fill(0);
    const n = 20000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, { temperature: 1 }, r)]++;
    counts.forEach((c, i) => expect(Math.abs(c / n - p[i])).toBeLessThan(0.015));
  });
});
