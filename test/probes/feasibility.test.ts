/**
 * structured.feasibility: the four layers (parse, schema, feasible, optimality gap) on
 * hand-written knapsack answers whose every value is known exactly, the parse-only layer
 * of user JSON items, batch independence, and a smoke run on the zoo's base-m.
 */
import { describe, expect, it } from "vitest";
import { feasibilityProbe } from "../../src/probes/feasibility.js";
import { fromWorld, type Item, type ProbeContext } from "../../src/probes/index.js";
import type { WorldItem } from "../../src/world/index.js";
import { fakeModel, promptOf } from "./fake-model.js";
import { collect, probeContext, withModel, worldItems } from "./helpers.js";

const context = (over: Partial<ProbeContext> = {}) => probeContext(undefined, { seed: 7, samples: 4, maxTokens: 48, batchSize: 8, ...over });

// a w3 v5; b w4 v6; c w2 v3; cap 6 — the optimum is {b, c}, value 9 (unique)
const PROMPT = "Pack: a w3 v5; b w4 v6; c w2 v3; cap 6\nJSON:";
const ANSWERS: Record<string, string> = {
  unparsed: "take a and c",
  schema: '{"take":["a","z"]}',
  infeasible: '{"take":["a","b"]}',
  suboptimal: '{"take":["a","c"]}',
  optimal: ' {"take":["c","b"]}\n',
};
const knapsacks: Item[] = Object.keys(ANSWERS).map((name) => {
  const w: WorldItem = { id: `k/${name}`, task: "structured", split: "id", prompt: PROMPT, answer: { take: ["b", "c"] }, answerText: '{"take":["b","c"]}', meta: {} };
  return { ...fromWorld(w), id: name, prompt: `${name}|${PROMPT}` };
});

/** The fake reads which answer to give from the name prefixed to item.prompt; the layers read the world item's own prompt. */
const byName = fakeModel({ generate: (req) => ANSWERS[promptOf(req).split("|")[0]] });

describe("structured.feasibility on knapsack items", () => {
  it("separates parse, schema, feasibility and optimality, with the exact gap", async () => {
    const records = await collect(feasibilityProbe.run(byName, knapsacks, context()));
    const v = Object.fromEntries(records.map((r) => [r.itemId, r.values]));
    expect(v.unparsed).toEqual({ parsed: 0, "schema-valid": 0, feasible: 0, "optimality-gap": null, "feasible-given-valid": null });
    expect(v.schema).toEqual({ parsed: 1, "schema-valid": 0, feasible: 0, "optimality-gap": null, "feasible-given-valid": null });
    expect(v.infeasible).toEqual({ parsed: 1, "schema-valid": 1, feasible: 0, "optimality-gap": null, "feasible-given-valid": 0 });
    expect(v.suboptimal).toEqual({ parsed: 1, "schema-valid": 1, feasible: 1, "optimality-gap": 1 / 9, "feasible-given-valid": 1 });
    expect(v.optimal).toEqual({ parsed: 1, "schema-valid": 1, feasible: 1, "optimality-gap": 0, "feasible-given-valid": 1 });
    const r = Object.fromEntries(records.map((x) => [x.itemId, x]));
    expect(r.infeasible.note).toMatch(/not feasible.*weight 7 > cap 6/);
    expect(r.optimal.note).toBeUndefined();
    expect(r.schema.note).toMatch(/feasible-given-valid is null: the answer is not schema-valid/);
    expect(r.suboptimal.detail).toMatchObject({ value: 8, optimum: 9, optimal: false, failedLayer: "optimal" });
    expect(r.optimal.detail).toMatchObject({ value: 9, optimum: 9, optimal: true, failedLayer: null });
  });

  it("feasible-given-valid separates \"looks right but is infeasible\" from \"does not even parse\"", async () => {
    // model A: two schema-valid answers, both feasible, and three that do not parse; model B: all five schema-valid, three infeasible
    const a = fakeModel({ generate: (req) => (promptOf(req).startsWith("optimal") || promptOf(req).startsWith("suboptimal") ? ANSWERS.optimal : ANSWERS.unparsed) });
    const b = fakeModel({ generate: (req) => (promptOf(req).startsWith("optimal") || promptOf(req).startsWith("suboptimal") ? ANSWERS.optimal : ANSWERS.infeasible) });
    const mean = (xs: (number | null)[]) => { const v = xs.filter((x): x is number => x !== null); return v.reduce((s, x) => s + x, 0) / v.length; };
    const ra = await collect(feasibilityProbe.run(a, knapsacks, context()));
    const rb = await collect(feasibilityProbe.run(b, knapsacks, context()));
    // feasible cannot tell them apart (2 of 5 each) ...
    expect(mean(ra.map((r) => r.values.feasible))).toBe(0.4);
    expect(mean(rb.map((r) => r.values.feasible))).toBe(0.4);
    // ... feasible-given-valid can: A's valid answers are all feasible, B's valid answers mostly not
    expect(ra.map((r) => r.values["feasible-given-valid"])).toEqual([null, null, null, 1, 1]);
    expect(mean(rb.map((r) => r.values["feasible-given-valid"]))).toBe(0.4);
    const spec = feasibilityProbe.metrics.find((m) => m.name === "feasible-given-valid")!;
    expect(spec).toMatchObject({ role: "capability", kind: "binary", higherIsBetter: true, unit: "share" });
  });

  it("sends greedy plain-prompt requests through ctx.render, in batches, and records do not depend on the batch", async () => {
    const m = fakeModel({ generate: (req) => ANSWERS[promptOf(req).slice(1).split("|")[0]] });
    const render = (p: string) => `>${p}`;
    const small = await collect(feasibilityProbe.run(m, knapsacks, context({ render, batchSize: 2 })));
    expect(m.generateBatches).toEqual([2, 2, 1]);
    expect(m.generated.every((q) => q.temperature === 0 && q.prompt?.startsWith(">") && q.messages === undefined)).toBe(true);
    const whole = await collect(feasibilityProbe.run(m, knapsacks, context({ render, batchSize: 8 })));
    expect(small).toEqual(whole);
  });
});

describe("structured.feasibility on user JSON items", () => {
  const user = (id: string, extra: Partial<Item> = {}): Item => ({ id, prompt: id, answer: '{"a":1}', verifier: "json", domain: "json", ...extra });
  const said: Record<string, string> = { ok: '{"a":2}\nmore text', bad: "{a:1}", empty: "\n", cot: 'Think.\nAnswer: {"a":1}' };
  const m = fakeModel({ generate: (req) => said[promptOf(req)] });

  it("reports the parse layer only, on the answer judge.ts reads; the rest is null with a note", async () => {
    const items = [user("ok"), user("bad"), user("empty"), user("cot", { steps: ["Think."] })];
    const records = await collect(feasibilityProbe.run(m, items, context()));
    expect(records.map((r) => r.values.parsed)).toEqual([1, 0, 0, 1]);
    for (const r of records) {
      expect([r.values["schema-valid"], r.values.feasible, r.values["optimality-gap"], r.values["feasible-given-valid"]]).toEqual([null, null, null, null]);
      expect(r.note).toMatch(/no schema or domain verifier/);
    }
    expect(records[2].detail.parseError).toBe("no answer found");
  });

  it("applies to structured world items and user JSON items only", () => {
    const arith = worldItems("arithmetic", 1)[0];
    expect(feasibilityProbe.applies(knapsacks[0])).toBe(true);
    expect(feasibilityProbe.applies(user("u"))).toBe(true);
    expect(feasibilityProbe.applies(user("u", { verifier: "exact" }))).toBe(false);
    expect(feasibilityProbe.applies(arith)).toBe(false);
  });
});

describe("structured.feasibility on zoo/base-m", () => {
  it("yields one well-formed record per item", async () => {
    await withModel("builtin:zoo/base-m", async (model) => {
      const items = worldItems("structured", 3);
      const records = await collect(feasibilityProbe.run(model, items, context({ maxTokens: 32 })));
      expect(records.map((r) => r.itemId).sort()).toEqual(items.map((i) => i.id).sort());
      for (const r of records) {
        for (const name of ["parsed", "schema-valid", "feasible"]) expect([0, 1]).toContain(r.values[name]);
        const gap = r.values["optimality-gap"];
        if (gap === null) expect(r.values.feasible).toBe(0);
        else expect(gap >= 0 && gap <= 1).toBe(true);
        expect(r.values.parsed).toBeGreaterThanOrEqual(r.values["schema-valid"]!);
        expect(r.values["schema-valid"]).toBeGreaterThanOrEqual(r.values.feasible!);
      }
    });
  });
});
