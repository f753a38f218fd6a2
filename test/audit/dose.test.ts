/** The sweep's reading of its ledgers: curves per row, non-inferiority, and the dose kept. */
import { describe, expect, it } from "vitest";
import { doseResponse, nonInferior } from "../../src/audit/index.js";
import { ledger, row } from "../helpers/ledger-rows.js";

describe("nonInferior", () => {
  it("excludes a loss beyond the margin in the row's good direction", () => {
    expect(nonInferior({ ci_low: -0.04, ci_high: 0.1, higher_is_better: true, margin: 0.05 })).toBe(true);
    expect(nonInferior({ ci_low: -0.06, ci_high: 0.1, higher_is_better: true, margin: 0.05 })).toBe(false);
    expect(nonInferior({ ci_low: -0.3, ci_high: 0.04, higher_is_better: false, margin: 0.05 })).toBe(true);
    expect(nonInferior({ ci_low: -0.3, ci_high: 0.06, higher_is_better: false, margin: 0.05 })).toBe(false);
    expect(nonInferior({ ci_low: null, ci_high: null, higher_is_better: true, margin: 0.05 })).toBeNull();
  });
});

describe("doseResponse", () => {
  it("keeps the largest dose whose capabilities are all non-inferior", () => {
    const proxy = (d: number) => row({ probe: "task", metric: "acc", role: "proxy", delta: d, ci_low: d - 0.05, ci_high: d + 0.05 });
    const cap = (lo: number) => row({ probe: "know", metric: "recall", ci_low: lo, ci_high: lo + 0.1, delta: lo + 0.05 });
    const d = doseResponse([0, 0.5, 1], [ledger(1, [proxy(0), cap(-0.02)]), ledger(2, [proxy(0.2), cap(-0.04)]), ledger(3, [proxy(0.4), cap(-0.2)])]);
    expect(d.keep_alpha).toBe(0.5);
    expect(d.blocking.find((b) => b.alpha === 1)!.rows).toEqual(["know.recall"]);
    expect(d.curves.find((c) => c.key === "task.acc")!.points.map((p) => p.delta)).toEqual([0, 0.2, 0.4]);
    expect(d.curves.find((c) => c.key === "task.acc")!.points.every((p) => p.non_inferior === null)).toBe(true);
  });

  it("never keeps a dose where a capability has no interval, and says none when no dose is safe", () => {
    const d = doseResponse([0, 1], [ledger(1, [row({ ci_low: null, ci_high: null })]), ledger(2, [row({ ci_low: -0.5, ci_high: -0.2 })])]);
    expect(d.keep_alpha).toBeNull();
    expect(() => doseResponse([0], [])).toThrow(/1 doses for 0 ledgers/);
  });

  it("keeps same-format rows apart from the tuned-format rows", () => {
    const d = doseResponse([1], [ledger(1, [row({}), row({ tuned_in_base_format: true })])]);
    expect(d.curves.map((c) => c.key)).toEqual(["p.m", "p.m [base format]"]);
  });
});
