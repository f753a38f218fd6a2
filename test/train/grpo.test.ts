/**
 * GRPO's pieces: group-normalised advantages, the per-token clipped-ratio + KL weight
 * (checked against finite differences of the token's loss), and the objective itself
 * raising the mean reward of a tiny model on a task it can learn in a few updates.
 */
import { describe, expect, it } from "vitest";
import { createTsKernels } from "../../src/tensor/index.js";
import { createRng } from "../../src/random/index.js";
import { CharTokenizer, Llama } from "../../src/model/index.js";
import { groupAdvantages, grpoObjective, grpoSchema, grpoToken, train } from "../../src/train/index.js";
import type { Task, WorldItem } from "../../src/world/index.js";

describe("groupAdvantages", () => {
  it("normalises within each group to mean 0 and (population) std 1", () => {
    const r = [1, 0, 0, 0, 1, 1, 0, 1];
    const a = groupAdvantages(r, 4);
    for (const g of [0, 4]) {
      const xs = Array.from(a.subarray(g, g + 4));
      const mean = xs.reduce((s, x) => s + x, 0) / 4;
      const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / 4);
      expect(mean).toBeCloseTo(0, 12);
      expect(std).toBeCloseTo(1, 3);
    }
    // one correct in four: mean 0.25, std √(0.1875)
    expect(a[0]).toBeCloseTo(0.75 / Math.sqrt(0.1875), 3);
    expect(a[1]).toBeCloseTo(-0.25 / Math.sqrt(0.1875), 3);
  });

  it("gives a group whose rewards are all equal no advantage, and refuses ragged groups", () => {
    expect(Array.from(groupAdvantages([1, 1, 1, 0, 0, 0], 3))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(() => groupAdvantages([1, 0, 1], 2)).toThrow(/do not split into groups of 2/);
  });
});

describe("grpoToken", () => {
  const eps = 0.2;
  it("on-policy with β = 0 the weight is the advantage", () => {
    const t = grpoToken({ logp: -1.3, oldLogp: -1.3, refLogp: -2, advantage: 0.7 }, eps, 0);
    expect(t.weight).toBeCloseTo(0.7, 12);
    expect(t.clipped).toBe(false);
    expect(t.loss).toBeCloseTo(-0.7, 12);
  });

  it("clips only where the ratio has left [1−ε, 1+ε] in the advantage's direction", () => {
    const up = Math.log(1.5);
    expect(grpoToken({ logp: up, oldLogp: 0, refLogp: 0, advantage: 1 }, eps, 0)).toMatchObject({ clipped: true, weight: 0 });
    expect(grpoToken({ logp: -up, oldLogp: 0, refLogp: 0, advantage: -1 }, eps, 0)).toMatchObject({ clipped: true, weight: 0 });
    // moving against the advantage is never clipped: the gradient pulls it back
    const back = grpoToken({ logp: up, oldLogp: 0, refLogp: 0, advantage: -1 }, eps, 0);
    expect(back.clipped).toBe(false);
    expect(back.weight).toBeCloseTo(-1.5, 12);
  });

  it("the KL estimate is 0 at the reference, positive elsewhere", () => {
    expect(grpoToken({ logp: -2, oldLogp: -2, refLogp: -2, advantage: 0 }, eps, 0.1).kl).toBe(0);
    expect(grpoToken({ logp: -1, oldLogp: -1, refLogp: -2, advantage: 0 }, eps, 0.1).kl).toBeGreaterThan(0);
    expect(grpoToken({ logp: -3, oldLogp: -3, refLogp: -2, advantage: 0 }, eps, 0.1).kl).toBeGreaterThan(0);
  });

  it("weight = −∂loss/∂log π (finite differences, clipped and unclipped, with KL)", () => {
    const rng = createRng(5);
    for (let i = 0; i < 200; i++) {
      const x = { logp: -3 * rng.next(), oldLogp: -3 * rng.next(), refLogp: -3 * rng.next(), advantage: 2 * rng.normal() };
      const h = 1e-6;
      const lossAt = (lp: number) => grpoToken({ ...x, logp: lp }, eps, 0.3).loss;
      const fd = (lossAt(x.logp + h) - lossAt(x.logp - h)) / (2 * h);
      const ratio = Math.exp(x.logp - x.oldLogp);
      if (Math.abs(ratio - (1 - eps)) < 1e-4 || Math.abs(ratio - (1 + eps)) < 1e-4) continue; // the kink
      expect(grpoToken(x, eps, 0.3).weight).toBeCloseTo(-fd, 5);
    }
  });
});

/** A task a random tiny model can learn by RL: answer with a lowercase letter first. */
const letterTask: Task = {
  name: "letter", description: "start with a lowercase letter", defaults: {},
  items: () => [],
  verify: (_item, response) => ({ correct: /^[a-z]/.test(response) }),
  documents: () => [],
};

describe("grpoObjective", () => {
  it("raises the mean reward of a tiny model over its run, logging reward, KL and formats each update", async () => {
    const tok = new CharTokenizer();
    const kernels = createTsKernels();
    const config = { vocabSize: tok.size, dim: 16, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnDim: 32, contextLength: 32, ropeTheta: 10000, normEps: 1e-5, tiedEmbeddings: true };
    const policy = Llama.f32(config, kernels);
    policy.initialize(createRng(1), 0.02);
    const reference = Llama.f32(config, kernels);
    reference.params.flat.set(policy.params.flat);
    const items: WorldItem[] = Array.from({ length: 4 }, (_, i) => ({ id: `letter/id/0/${i}`, task: "letter", split: "id", prompt: `Q${i}:`, answer: null, answerText: "a", meta: {} }));
    const c = grpoSchema.parse({ base: "unused", k: 8, sampling: { maxTokens: 2 }, beta: 0.01, train: { steps: 40, batchSize: 4, maxLr: 3e-2, minLr: 3e-2 } });
    const objective = grpoObjective({ config: c, tokenizer: tok, reference, task: letterTask, items, seed: 3 });
    const rewards: number[] = [];
    const logs: Record<string, unknown>[] = [];
    const r = await train(policy, objective, {
      steps: c.train.steps, schedule: { maxLr: 3e-2, minLr: 3e-2, warmupSteps: 0, totalSteps: c.train.steps },
      onStep: (s) => {
        logs.push(s.metrics!);
        rewards.push(s.metrics!.reward as number);
      },
    });
    expect(r.ok).toBe(true);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const first = mean(rewards.slice(0, 8));
    const last = mean(rewards.slice(-8));
    expect(first).toBeLessThan(0.5); // 26 of 105 tokens are lowercase letters
    expect(last).toBeGreaterThan(first + 0.3);
    for (const m of logs) {
      expect(m).toHaveProperty("kl");
      expect(m).toHaveProperty("clipFraction");
      const f = m.formats as Record<string, number>;
      expect(Object.values(f).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
    }
    // two updates per rollout: the same rollout's reward is logged twice, the second update may clip
    expect(logs[0].rollout).toBe(0);
    expect(logs[1].rollout).toBe(0);
    expect(logs[2].rollout).toBe(1);
    expect(logs.some((m) => (m.clipFraction as number) > 0)).toBe(true);
  });

  it("refuses a step count that splits a rollout's updates, naming the field", () => {
    const r = grpoSchema.safeParse({ base: "b", iterations: 2, train: { steps: 7 } });
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues[0].path.join(".")).toBe("train.steps");
    const missing = grpoSchema.safeParse({});
    expect(missing.success).toBe(false);
    if (!missing.success) expect(missing.error.issues[0].message).toMatch(/required: the checkpoint folder/);
  });
});
