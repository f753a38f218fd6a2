/**
 * A claim's plan (src/reproduce plan.ts): runs per arm × seed in content-named folders shared
 * between claims, --quick's changes merged in, "@arm:NAME" resolved to that seed's folder,
 * the audit's models, and a pre-registration hash that changes with anything that decides
 * the verdict.
 */
import { describe, expect, it } from "vitest";
import { auditModels, deepMerge, planClaim, preregistrationHash } from "../../src/reproduce/plan.js";
import type { Claim } from "../../src/reproduce/claim.js";

const claim: Claim = {
  id: 99, slug: "test", title: "t", paper: { cite: "c", arxiv: "0000.00000", figure: "f" }, organism: "o",
  arms: [
    { name: "teach", recipe: "sft", config: { base: "zoo/base-m", train: { steps: 100, batchSize: 16 } }, quick: { train: { steps: 3 } }, describe: "d" },
    { name: "loop", recipe: "self-improve", config: { base: "@arm:teach", filter: "self", nested: ["@arm:teach"] }, quick: { rounds: 1 }, describe: "d" },
  ],
  audit: { base: "zoo/base-m", baseFormat: "raw", tunedFormat: "chat", probes: ["task.accuracy"], suites: ["arithmetic"], split: "id", n: 100, samples: 1, quick: { n: 8, samples: 1 } },
  effect: {
    measure: { probe: "task.accuracy", metric: "accuracy", label: "acc" },
    contrast: { tuned: { arm: "loop" }, reference: { arm: "teach" } },
    prediction: { direction: "decrease", margin: 0.03 }, why: "w",
  },
  proxy: { measure: { probe: "task.accuracy", metric: "accuracy", label: "acc" }, contrast: { tuned: { arm: "teach" }, reference: { zoo: "zoo/base-m" } } },
  seeds: 3,
  power: { kind: "binary", psi: 0.2, seedSd: 0.02, source: "s" },
};

describe("planClaim", () => {
  it("one run per arm and seed; quick merges its changes; @arm names that seed's folder", () => {
    const full = planClaim(claim, { mode: "full", out: "/tmp/out" });
    expect(full.seeds).toEqual([1, 2, 3]);
    expect(full.runs.map((r) => `${r.arm}:${r.seed}`)).toEqual(["teach:1", "loop:1", "teach:2", "loop:2", "teach:3", "loop:3"]);
    const teach2 = full.runs.find((r) => r.arm === "teach" && r.seed === 2)!;
    const loop2 = full.runs.find((r) => r.arm === "loop" && r.seed === 2)!;
    expect(loop2.config.base).toBe(teach2.dir);
    expect(loop2.config.nested).toEqual([teach2.dir]);
    expect(teach2.config).toEqual({ base: "zoo/base-m", train: { steps: 100, batchSize: 16 } });
    expect(teach2.dir).toMatch(/^\/tmp\/out\/runs\/sft-[0-9a-f]{12}-s2$/);

    const quick = planClaim(claim, { mode: "quick", out: "/tmp/out" });
    expect(quick.seeds).toEqual([1, 2]);
    expect(quick.n).toBe(8);
    expect(quick.runs[0].config).toEqual({ base: "zoo/base-m", train: { steps: 3, batchSize: 16 } });
    expect(quick.runs[1].config).toMatchObject({ rounds: 1, filter: "self" });
    expect(quick.runs[0].dir).not.toBe(full.runs[0].dir);
    expect(planClaim(claim, { mode: "full", out: "/tmp/out", seeds: 5 }).seeds).toHaveLength(5);
  });

  it("two claims that train the same arm share its folder", () => {
    const other: Claim = { ...claim, id: 98, slug: "other", arms: [claim.arms[0]] , effect: { ...claim.effect, contrast: { tuned: { arm: "teach" }, reference: { zoo: "zoo/base-m" } } }, proxy: undefined };
    const a = planClaim(claim, { mode: "full", out: "/o" }).runs.filter((r) => r.arm === "teach");
    const b = planClaim(other, { mode: "full", out: "/o" }).runs;
    expect(b.map((r) => r.dir)).toEqual(a.map((r) => r.dir));
  });

  it("the audit compares every model of every contrast but the base, each seed's", () => {
    const plan = planClaim(claim, { mode: "quick", out: "/o" });
    const models = auditModels(plan);
    expect(models).toHaveLength(4); // loop and teach, two seeds; zoo/base-m is the audit's base
    expect(models.every((m) => m.startsWith("builtin:/o/runs/"))).toBe(true);
    expect(plan.spec({ eft: { base: { zoo: "zoo/base-l" }, tuned: { arm: "teach" }, ref: { zoo: "zoo/base-s" }, beta: 1 } }, 1))
      .toBe(`eft:base=builtin:zoo/base-l,tuned=builtin:${plan.runs[0].dir},ref=builtin:zoo/base-s,beta=1`);
  });

  it("a reference to an arm the claim does not train, or to a later arm, is refused", () => {
    const bad: Claim = { ...claim, arms: [...claim.arms].reverse() };
    expect(() => planClaim(bad, { mode: "full", out: "/o" })).toThrow(/not an earlier arm/);
    const missing: Claim = { ...claim, effect: { ...claim.effect, contrast: { tuned: { arm: "nope" }, reference: { zoo: "zoo/base-m" } } } };
    expect(() => planClaim(missing, { mode: "full", out: "/o" }).spec(missing.effect.contrast.tuned, 1)).toThrow(/does not train/);
  });

  it("the pre-registration hash changes with the margin, an arm's config, the mode and the seed count", () => {
    const h = preregistrationHash(claim, "full", 3);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(preregistrationHash(claim, "full", 3)).toBe(h);
    expect(preregistrationHash({ ...claim, effect: { ...claim.effect, prediction: { direction: "decrease", margin: 0.05 } } }, "full", 3)).not.toBe(h);
    expect(preregistrationHash({ ...claim, arms: [{ ...claim.arms[0], config: { base: "zoo/base-s" } }, claim.arms[1]] }, "full", 3)).not.toBe(h);
    expect(preregistrationHash(claim, "quick", 3)).not.toBe(h);
    expect(preregistrationHash(claim, "full", 4)).not.toBe(h);
  });
});

describe("deepMerge", () => {
  it("merges plain objects key by key; arrays and scalars replace", () => {
    expect(deepMerge({ a: { b: 1, c: 2 }, d: [1, 2], e: 1 }, { a: { c: 3 }, d: [9], f: null })).toEqual({ a: { b: 1, c: 3 }, d: [9], e: 1, f: null });
  });
});
