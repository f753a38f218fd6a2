/**
 * Calibration: softmax over the options' log-probabilities; multi-class Brier score of a
 * known distribution; ECE over 10 bins ((m−1)/10, m/10] of a hand-built set; the
 * reliability curve; null (never 0) where nothing can be computed. Its proxy row is its
 * own (confidence), so it can show a hidden trade; the option accuracy it shares with
 * retention has the same role in both probes.
 */
import { describe, expect, it } from "vitest";
import type { LanguageModel } from "../../src/backends/index.js";
import type { Item, MetricValues } from "../../src/probes/index.js";
import { binOf, brierScore, calibrationProbe, expectedCalibrationError, reliabilityBins, softmax } from "../../src/probes/calibration.js";
import { PROBES, type MetricSpec } from "../../src/probes/index.js";
import { fakeModel } from "./fake-model.js";
import { collect, probeContext, withModel, worldItems } from "./helpers.js";

const ctxFor = (model: LanguageModel) => probeContext(model, { maxTokens: 16, batchSize: 3 });

const ece = calibrationProbe.metrics.find((m) => m.name === "ece")!;

describe("calibration", () => {
  it("computes the multi-class Brier score of a known distribution", () => {
    expect(brierScore([0.8, 0.2], 0)).toBeCloseTo(0.08, 12);
    expect(brierScore([0.8, 0.2], 1)).toBeCloseTo(1.28, 12);
    expect(brierScore([0.5, 0.3, 0.2], 1)).toBeCloseTo(0.78, 12);
    expect(softmax([Math.log(0.5), Math.log(0.3), Math.log(0.2)])!.map((x) => +x.toFixed(12))).toEqual([0.5, 0.3, 0.2]);
    expect(softmax([-Infinity, -Infinity])).toBeUndefined();
  });

  it("bins confidences as ((m−1)/10, m/10]", () => {
    expect([0, 0.05, 0.1, 0.3, 0.30001, 0.65, 0.9, 1].map((c) => binOf(c))).toEqual([0, 0, 0, 2, 3, 6, 8, 9]);
  });

  it("computes the ECE of a hand-built set", () => {
    const recs: MetricValues[] = [
      { confidence: 0.95, correct: 1 }, { confidence: 0.92, correct: 0 }, // bin 9: conf 0.935, acc 0.5
      { confidence: 0.65, correct: 1 }, // bin 6: |1 − 0.65|
      { confidence: 0.35, correct: 0 }, // bin 3: |0 − 0.35|
      { confidence: null, correct: null }, // skipped
    ];
    // (2/4)·0.435 + (1/4)·0.35 + (1/4)·0.35
    expect(expectedCalibrationError(recs)).toBeCloseTo(0.3925, 12);
    expect(ece.aggregate!(recs)).toBeCloseTo(0.3925, 12);
    const bins = reliabilityBins(recs);
    expect(bins).toHaveLength(10);
    expect(bins[9]).toMatchObject({ lower: 0.9, upper: 1, count: 2, accuracy: 0.5 });
    expect(bins[9].confidence).toBeCloseTo(0.935, 12);
    expect(bins[0]).toEqual({ lower: 0, upper: 0.1, count: 0, confidence: null, accuracy: null });
    expect(expectedCalibrationError([{ confidence: 0.7, correct: 0 }, { confidence: 0.7, correct: 1 }])).toBeCloseTo(0.2, 12);
    expect(expectedCalibrationError([])).toBeNaN();
  });

  it("records confidence, correctness, accuracy and Brier from scripted log-probabilities", async () => {
    const lp: Record<string, number> = { a: Math.log(0.8), b: Math.log(0.2), x: Math.log(0.5), y: Math.log(0.3), z: Math.log(0.2) };
    const m = fakeModel({ logprob: (_, c) => lp[c] });
    const items: Item[] = [
      { id: "1", prompt: "p1", answer: "a", options: ["a", "b"], domain: "k" },
      { id: "2", prompt: "p2", answer: "b", options: ["a", "b"], domain: "k" },
      { id: "3", prompt: "p3", answer: "y", options: ["x", "y", "z"], domain: "k" },
      { id: "4", prompt: "p4", answer: "w", options: ["x", "y"], domain: "k" },
    ];
    const r = await collect(calibrationProbe.run(m, items, ctxFor(m)));
    const v = r.map((x) => x.values);
    expect(v[0].confidence).toBeCloseTo(0.8, 12);
    expect(v[0]).toMatchObject({ correct: 1, accuracy: 1 });
    expect(v[0].brier).toBeCloseTo(0.08, 12);
    expect(v[1]).toMatchObject({ correct: 0, accuracy: 0 });
    expect(v[1].brier).toBeCloseTo(1.28, 12);
    expect(v[2].brier).toBeCloseTo(0.78, 12);
    expect(v[3]).toEqual({ confidence: null, correct: null, accuracy: null, brier: null });
    expect(r[3].note).toMatch(/"w" is not among/);
    expect((r[2].detail.p as number[]).map((x) => +x.toFixed(12))).toEqual([0.5, 0.3, 0.2]);
    // items 1–3: (0.8,0.8,0.5) with correctness (1,0,0): bin 7 conf 0.8 acc 0.5, bin 4 conf 0.5 acc 0
    expect(ece.aggregate!(v)).toBeCloseTo((2 / 3) * 0.3 + (1 / 3) * 0.5, 12);
    // items go in groups of ctx.batchSize (3), their 7 and 2 option requests in batches of 3
    expect(m.scoreBatches).toEqual([3, 3, 1, 2]);
  });

  it("has a proxy row of its own: confidence, not shared with any probe", () => {
    const proxies = calibrationProbe.metrics.filter((m) => m.role === "proxy");
    expect(proxies.filter((m) => m.shared === undefined).map((m) => m.name)).toEqual(["confidence"]);
    expect(proxies.find((m) => m.name === "confidence")).toMatchObject({ kind: "continuous", higherIsBetter: true, unit: "share" });
    expect(calibrationProbe.metrics.filter((m) => m.role === "capability").map((m) => m.name).sort()).toEqual(["accuracy", "brier", "ece"]);
  });

  it("a shared metric has one role, kind, direction and unit in every probe that reports it", () => {
    const byKey = new Map<string, { probe: string; spec: MetricSpec }[]>();
    for (const [id, probe] of Object.entries(PROBES)) {
      for (const spec of probe.metrics) if (spec.shared) byKey.set(spec.shared, [...(byKey.get(spec.shared) ?? []), { probe: id, spec }]);
    }
    expect(byKey.get("option-ranking-accuracy")!.map((x) => x.probe).sort()).toEqual(["calibration", "knowledge.retention"]);
    for (const [key, uses] of byKey) {
      const shape = ({ spec }: { spec: MetricSpec }) => [spec.role, spec.kind, spec.higherIsBetter, spec.unit];
      for (const u of uses) expect(shape(u), `${key} in ${u.probe}`).toEqual(shape(uses[0]));
    }
  });

  describe("on zoo/base-m", () => {
    it("yields probabilities and scores in range", async () => {
      await withModel("builtin:zoo/base-m", async (model) => {
        const items = worldItems("knowledge", 3);
        const r = await collect(calibrationProbe.run(model, items, ctxFor(model)));
        expect(r).toHaveLength(3);
        for (const x of r) {
          const p = x.detail.p as number[];
          expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
          expect(x.values.confidence).toBeGreaterThanOrEqual(1 / p.length);
          expect(x.values.brier).toBeGreaterThanOrEqual(0);
          expect(x.values.brier).toBeLessThanOrEqual(2);
        }
        const e = ece.aggregate!(r.map((x) => x.values));
        expect(e).toBeGreaterThanOrEqual(0);
        expect(e).toBeLessThanOrEqual(1);
      });
    });
  });
});
