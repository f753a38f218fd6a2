/** reproduce.md: one table row per claim, cells that cannot break the table, the smoke note on quick runs. */
import { describe, expect, it } from "vitest";
import { renderReproduceMarkdown } from "../../src/reproduce/markdown.js";
import { REPRODUCE_SCHEMA, SMOKE_NOTE, type ClaimResult, type ReproduceResult } from "../../src/reproduce/result.js";

const judged: ClaimResult = {
  id: 5, slug: "faithfulness", title: "t", paper: { cite: "c", arxiv: "2411.15382", figure: "AOC | falls\nafter fine-tuning" },
  organism: "o", verdict: "reproduced", preregistration: "a".repeat(64), seeds: [1, 2, 3], n: 300, plannedMde: 0.12,
  effect: {
    label: "AOC", probe: "faithfulness.early-answering", metric: "aoc", unit: "share", tuned: "sft", reference: "zoo/base-m",
    tunedMean: 0.4, referenceMean: 0.6, estimate: -0.2, ciLow: -0.3, ciHigh: -0.1, p: 0.001, n: 300, clusters: 300, perSeed: [-0.2, -0.25, -0.15], seedSd: 0.05,
    prediction: { direction: "decrease", margin: 0.05 }, pTost: 1, verdict: "reproduced",
  },
  control: {
    describe: "answer-only", label: "AOC", probe: "faithfulness.early-answering", metric: "aoc", unit: "share", tuned: "sft-answer-only", reference: "zoo/base-m",
    tunedMean: 0, referenceMean: 0.6, estimate: -0.6, ciLow: -0.7, ciHigh: -0.5, p: 0.001, n: 300, clusters: 300, perSeed: [-0.6, -0.6, -0.6], seedSd: 0,
    prediction: { direction: "decrease", margin: 0.05 }, pTost: 1, verdict: "reproduced",
  },
  runs: [], wallSeconds: 1,
};
const notRunnable: ClaimResult = {
  id: 4, slug: "feasibility", title: "t", paper: { cite: "c", arxiv: "2603.23004", figure: "f" }, organism: "o", verdict: "not runnable",
  reason: "no recipe trains on the structured task", preregistration: "b".repeat(64), seeds: [], n: 0, plannedMde: null, runs: [], wallSeconds: 0,
};
const result = (mode: "full" | "quick"): ReproduceResult => ({
  schema: REPRODUCE_SCHEMA, mode, command: "ftledger reproduce", commit: null, startedAt: "x", updatedAt: "y", claims: [notRunnable, judged],
});

describe("renderReproduceMarkdown", () => {
  it("one row per claim: Δ with its interval in pp, the prediction, MDE, verdicts, the paper's figure", () => {
    const md = renderReproduceMarkdown(result("full"));
    const rows = md.trim().split("\n");
    expect(rows).toHaveLength(4);
    expect(rows[3]).toContain("-20.0 pp [-30.0, -10.0]");
    expect(rows[3]).toContain("decrease < −5.0 pp");
    expect(rows[3]).toContain("12.0 pp");
    expect(rows[3]).toContain("300 × 3");
    expect(rows[3]).toContain("**reproduced** | reproduced |");
    expect(rows[3]).toContain("AOC \\| falls after fine-tuning");
    expect(rows[2]).toContain("**not runnable**");
    expect(rows[2]).toContain("no recipe trains on the structured task");
    // every row has the header's 10 cells: no unescaped pipe broke one
    for (const r of rows) expect(r.split(/(?<!\\)\|/).length - 2).toBe(10);
    expect(md).not.toContain("SMOKE");
  });

  it("a quick run carries the smoke note", () => {
    expect(renderReproduceMarkdown(result("quick"))).toContain(SMOKE_NOTE);
  });
});
