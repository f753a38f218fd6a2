/**
 * format.collapse: pass@1 and pass@k on scripted samples, the pooled format entropy
 * (two items each in one format, 50/50 pooled = ln 2, though each item's own entropy
 * is 0), entropy over the recognised formats only with unparsed samples as their own
 * unknown-share row, Chen et al.'s pass@k estimator, seeded reproducible requests, and a
 * smoke run on the zoo's base-m.
 */
import { describe, expect, it } from "vitest";
import { RECOGNISED_FORMATS, countKey, entropyOf, formatCollapseProbe, passAtK } from "../../src/probes/format-collapse.js";
import { SOLUTION_CLASSES } from "../../src/world/index.js";
import { fromWorld, itemSeed, type MetricSpec, type ProbeContext } from "../../src/probes/index.js";
import type { arithmetic } from "../../src/world/index.js";
import { fakeModel, promptOf } from "./fake-model.js";
import { arithmeticWorld, collect, probeContext, withModel, worldItems } from "./helpers.js";

const context = (over: Partial<ProbeContext> = {}) => probeContext(undefined, { seed: 7, samples: 4, maxTokens: 160, batchSize: 8, ...over });

function metric(name: string): MetricSpec {
  const m = formatCollapseProbe.metrics.find((x) => x.name === name);
  if (!m) throw new Error(`no metric ${name}`);
  return m;
}

const world = arithmeticWorld(3);
const items = world.map(fromWorld);
const wrong = (w: arithmetic.ArithmeticItem, f: "natural" | "code" | "terse") => w.meta.solutions[f].replace(/Answer: \d+$/, `Answer: ${w.answer + 1}`);

/** Item 0: natural ✓, code ✓, unknown ✗, terse ✗. Item 1: all wrong. Item 2: all natural ✓. */
const SCRIPT: ((w: arithmetic.ArithmeticItem) => string)[][] = [
  [(w) => w.meta.solutions.natural, (w) => w.meta.solutions.code, () => "I do not know", (w) => wrong(w, "terse")],
  [(w) => wrong(w, "natural"), (w) => wrong(w, "code"), (w) => wrong(w, "terse"), () => ""],
  [(w) => w.meta.solutions.natural, (w) => w.meta.solutions.natural, (w) => w.meta.solutions.natural, (w) => w.meta.solutions.natural],
];
const scripted = fakeModel({
  generate: (req, j) => {
    const i = world.findIndex((w) => w.prompt === promptOf(req));
    return SCRIPT[i][j](world[i]);
  },
});

describe("format.collapse", () => {
  it("reports pass@1 = share correct and pass@k = any correct, with per-format counts and accuracy", async () => {
    const records = await collect(formatCollapseProbe.run(scripted, items, context()));
    expect(records.map((r) => [r.values["pass@1"], r.values["pass@k"]])).toEqual([[0.5, 1], [0, 0], [1, 1]]);
    expect(SOLUTION_CLASSES.map((f) => records[0].values[countKey(f)])).toEqual([1, 1, 1, 0, 1]);
    // item 0: natural, code, terse recognised, one unknown
    expect(records[0].values["format-entropy"]).toBeCloseTo(Math.log(3), 12);
    expect(records[0].values["dominant-format-share"]).toBeCloseTo(1 / 3, 12);
    expect(records.map((r) => r.values["unknown-share"])).toEqual([0.25, 0.25, 0]);
    expect(records[2].values["format-entropy"]).toBe(0);
    expect(records[2].values["dominant-format-share"]).toBe(1);
    expect(records[0].detail.perFormat).toEqual({
      natural: { n: 1, correct: 1 }, code: { n: 1, correct: 1 }, terse: { n: 1, correct: 0 }, "answer-only": { n: 0, correct: 0 }, unknown: { n: 1, correct: 0 },
    });
    // the set-level statistics pool the recognised counts: 6 natural, 2 code, 2 terse, 0 answer-only of 10 (2 unknown left out)
    const pooled = [6, 2, 2, 0].map((c) => c / 10);
    expect(metric("format-entropy").aggregate!(records.map((r) => r.values))).toBeCloseTo(-pooled.reduce((h, p) => (p > 0 ? h + p * Math.log(p) : h), 0), 12);
    expect(metric("dominant-format-share").aggregate!(records.map((r) => r.values))).toBeCloseTo(6 / 10, 12);
  });

  it("half unknown, half code: entropy 0 over the recognised formats and unknown-share 0.5 (five classes would say ln 2)", async () => {
    const m = fakeModel({ generate: (req, j) => (j % 2 === 0 ? "I think it is many" : world[0].meta.solutions.code) });
    const records = await collect(formatCollapseProbe.run(m, items.slice(0, 1), context()));
    expect(records[0].values).toMatchObject({ "format-entropy": 0, "dominant-format-share": 1, "unknown-share": 0.5, [countKey("unknown")]: 2, [countKey("code")]: 2 });
    const values = records.map((r) => r.values);
    expect(metric("format-entropy").aggregate!(values)).toBe(0);
    expect(metric("dominant-format-share").aggregate!(values)).toBe(1);
    // what the entropy over all five classes, "unknown" included, gave before
    expect(entropyOf(SOLUTION_CLASSES.map((f) => records[0].values[countKey(f)]!))).toBeCloseTo(Math.LN2, 12);
    expect(metric("unknown-share")).toMatchObject({ role: "capability", higherIsBetter: false, kind: "continuous", unit: "share" });
    expect(metric("unknown-share").aggregate).toBeUndefined();
  });

  it("an item with no recognised sample has null entropy and dominant share (with a note), and pools nothing", async () => {
    const m = fakeModel({ generate: (req) => (promptOf(req) === world[0].prompt ? "no idea" : world[1].meta.solutions.terse) });
    const records = await collect(formatCollapseProbe.run(m, items.slice(0, 2), context()));
    expect(records[0].values).toMatchObject({ "format-entropy": null, "dominant-format-share": null, "unknown-share": 1 });
    expect(records[0].note).toMatch(/none of the 4 samples is in a recognised format/);
    expect(metric("format-entropy").aggregate!(records.map((r) => r.values))).toBe(0);
    expect(metric("format-entropy").aggregate!(records.slice(0, 1).map((r) => r.values))).toBeNaN();
    expect(RECOGNISED_FORMATS).toEqual(["natural", "code", "terse", "answer-only"]);
  });

  it("pools formats over items: one item all natural, one all code = ln 2, though each item alone has entropy 0", async () => {
    const m = fakeModel({ generate: (req) => (promptOf(req) === world[0].prompt ? world[0].meta.solutions.natural : world[1].meta.solutions.code) });
    const records = await collect(formatCollapseProbe.run(m, items.slice(0, 2), context()));
    expect(records.map((r) => r.values["format-entropy"])).toEqual([0, 0]);
    expect(metric("format-entropy").aggregate!(records.map((r) => r.values))).toBeCloseTo(Math.LN2, 12);
    expect(metric("dominant-format-share").aggregate!(records.map((r) => r.values))).toBe(0.5);
    expect(entropyOf([])).toBeNaN();
  });

  it("samples each item once with n = samples at temperature 1, seeded by item, so records do not depend on the batch", async () => {
    const bySeed = fakeModel({ generate: (req, j) => world[0].meta.solutions[(["natural", "code", "terse"] as const)[(req.seed! + j) % 3]] });
    const render = (p: string) => `<${p}>`;
    const small = await collect(formatCollapseProbe.run(bySeed, items, context({ render, batchSize: 1, samples: 5 })));
    expect(bySeed.generateBatches).toEqual([1, 1, 1]);
    expect(bySeed.generated.map((q) => [q.prompt, q.n, q.temperature, q.seed, q.messages])).toEqual(
      items.map((it) => [`<${it.prompt}>`, 5, 1, itemSeed(7, it.id, "format"), undefined]),
    );
    const whole = await collect(formatCollapseProbe.run(bySeed, items.slice().reverse(), context({ render, batchSize: 3, samples: 5 })));
    expect(whole.slice().reverse()).toEqual(small);
  });

  it("refuses a backend that returns the wrong number of samples", async () => {
    const m = fakeModel({ generate: () => "Answer: 1" });
    m.generateBatch = async (reqs) => reqs.map(() => ({ samples: [{ text: "Answer: 1", finishReason: "stop" as const }] }));
    await expect(collect(formatCollapseProbe.run(m, items, context()))).rejects.toThrow(/asked the backend for 4 samples, it returned 1/);
  });

  it("applies to world arithmetic items only", () => {
    const know = worldItems("knowledge", 1)[0];
    expect(formatCollapseProbe.applies(items[0])).toBe(true);
    expect(formatCollapseProbe.applies(know)).toBe(false);
    expect(formatCollapseProbe.applies({ id: "u", prompt: "2+2", answer: "4", domain: "arithmetic" })).toBe(false);
  });
});

describe("passAtK (Chen et al. 2021)", () => {
  it("is 1 − C(n−c, k)/C(n, k)", () => {
    expect(passAtK(5, 2, 2)).toBeCloseTo(1 - 3 / 10, 12);
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passAtK(4, 0, 4)).toBe(0);
    expect(passAtK(4, 1, 4)).toBe(1);
    expect(() => passAtK(4, 1, 5)).toThrow(/1 ≤ k ≤ n/);
  });
});

describe("format.collapse on zoo/base-m", () => {
  it("yields one well-formed record per item", async () => {
    await withModel("builtin:zoo/base-m", async (model) => {
      const records = await collect(formatCollapseProbe.run(model, items, context({ samples: 4 })));
      expect(records.map((r) => r.itemId)).toEqual(items.map((i) => i.id));
      for (const r of records) {
        const p1 = r.values["pass@1"]!;
        expect(p1 >= 0 && p1 <= 1).toBe(true);
        expect(r.values["pass@k"]).toBe(p1 > 0 ? 1 : 0);
        expect(SOLUTION_CLASSES.reduce((s, f) => s + r.values[countKey(f)]!, 0)).toBe(4);
        const h = r.values["format-entropy"];
        expect(h === null || (h >= 0 && h <= Math.log(4) + 1e-12)).toBe(true);
        expect(r.values["unknown-share"]).toBe(r.values[countKey("unknown")]! / 4);
      }
      const h = metric("format-entropy").aggregate!(records.map((r) => r.values));
      expect(Number.isNaN(h) || (h >= 0 && h <= Math.log(RECOGNISED_FORMATS.length) + 1e-12)).toBe(true);
    });
  });
});
