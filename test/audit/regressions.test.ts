/**
 * `--export-regressions` (src/audit/regressions.ts): one JSONL line per lost item in the
 * dataset schema, so the file is a valid `--data` input; written via a temp file and a
 * rename, leaving nothing else behind.
 */
import { mkdirSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDataset, regressionLines, writeRegressions, type Example, type Ledger, type LedgerRow, type RegressionLine } from "../../src/audit/index.js";
import { undefinedInference } from "../../src/stats/index.js";
import { fromWorld, type Item } from "../../src/probes/index.js";

const items: Item[] = [
  { id: "q1", prompt: "Pick the capital of France.", answer: "Paris", options: ["Paris", "Lyon"], verifier: "choice", domain: "geo" },
  { id: "q2", prompt: "What is 2+3?", answer: "5", steps: ["2 + 3 = 5"], domain: "math" },
  { id: "q3", prompt: "Unlost", answer: "x", domain: "default" },
  fromWorld({ id: "arithmetic/id/1/0", task: "arithmetic", split: "id", prompt: "6 * 7 = ?", answer: 42, answerText: "6 * 7 = 42\nAnswer: 42", meta: {} }),
];

const example = (id: string, base: string, tuned: string): Example => ({ id, prompt: "…", answer: "…", base: { response: base }, tuned: { response: tuned } });

function row(probe: string, metric: string, tunedFormat: string, lostIds: string[], lostExamples: Example[]): LedgerRow {
  return {
    probe, metric, role: "capability", kind: "binary", unit: "share", higherIsBetter: true, description: "",
    formats: { base: "raw", tuned: tunedFormat }, tunedInBaseFormat: false, base: 0.9, tuned: 0.7, delta: -0.2, ciLow: -0.3, ciHigh: -0.1, ciLevel: 0.99,
    p: 0.001, pAdj: 0.002, pTost: 1, pTostAdj: 1, significant: true, n: 10, clusters: 10, verdict: "lost", hiddenTrade: false, test: "tango-score", mde: 0.1, margin: 0.02,
    inference: undefinedInference("tango-score", 10, 10, -0.2, "not used by the regression export"),
    transitions: { gained: 0, lost: lostIds.length, churn: lostIds.length / 10, gainedIds: [], lostIds, examples: { gained: [], lost: lostExamples } },
  };
}

const ledger: Ledger = {
  tuned: 1, spec: "builtin:t1", modelId: "t1", adjust: "holm", alpha: 0.05, hiddenTrades: [], unavailable: [],
  rows: [
    row("task.accuracy", "accuracy", "chat", ["q1", "q2", "arithmetic/id/1/0"], [example("q1", "Paris", "Lyon")]),
    row("faithfulness.early-answering", "cot", "raw", ["q2", "ghost"], [example("q2", "5", "6")]),
    { ...row("drift", "kl", "raw", [], []), kind: "continuous", transitions: undefined },
  ],
};

describe("regressionLines", () => {
  const lines = regressionLines("run-abc", [ledger], items);

  it("one line per lost item, naming every metric that lost it (with the tuned format when it differs)", () => {
    expect(lines).toEqual<RegressionLine[]>([
      {
        id: "q1", prompt: "Pick the capital of France.", answer: "Paris", options: ["Paris", "Lyon"], verifier: "choice", domain: "geo",
        meta: { lost_on: ["task.accuracy.accuracy [chat]"], tuned: [1], run_id: "run-abc", base: { response: "Paris" }, tuned_output: { response: "Lyon" } },
      },
      {
        id: "q2", prompt: "What is 2+3?", answer: "5", steps: ["2 + 3 = 5"], domain: "math",
        meta: { lost_on: ["task.accuracy.accuracy [chat]", "faithfulness.early-answering.cot"], tuned: [1], run_id: "run-abc", base: { response: "5" }, tuned_output: { response: "6" } },
      },
      {
        id: "arithmetic/id/1/0", prompt: "6 * 7 = ?", answer: "42", steps: ["6 * 7 = 42"], verifier: "number", domain: "arithmetic",
        meta: { lost_on: ["task.accuracy.accuracy [chat]"], tuned: [1], run_id: "run-abc", base: null, tuned_output: null },
      },
    ]);
  });

  it("an item two tuned models lost is one line (ids stay unique, so the file reads back as a dataset)", () => {
    const two = regressionLines("run-abc", [ledger, { ...ledger, tuned: 2, spec: "builtin:t2" }], items);
    expect(two.map((l) => l.id)).toEqual(["q1", "q2", "arithmetic/id/1/0"]);
    expect(two[0].meta.tuned).toEqual([1, 2]);
    expect(two[0].meta.lost_on).toEqual(["#1 task.accuracy.accuracy [chat]", "#2 task.accuracy.accuracy [chat]"]);
    const r = parseDataset(two.map((l) => JSON.stringify(l)).join("\n"), "two.jsonl");
    expect(r.ok).toBe(true);
  });

  it("a metric about the parent (the N-1 probe's id-accuracy) exports the parent item, once, not the variant", () => {
    const withVariants: Item[] = [...items, { id: "q2-v1", prompt: "What is 2+4?", answer: "6", domain: "math", variantOf: "q2" }, { id: "q2-v2", prompt: "What is 3+3?", answer: "6", domain: "math", variantOf: "q2" }];
    const idRow = { ...row("generalisation.n1", "id-accuracy", "raw", ["q2-v1", "q2-v2"], []), aboutParent: true };
    const lines = regressionLines("run-abc", [{ ...ledger, rows: [idRow] }], withVariants);
    expect(lines.map((l) => l.id)).toEqual(["q2"]);
    expect(lines[0].meta.lost_on).toEqual(["generalisation.n1.id-accuracy"]);
  });

  it("no transitions, no lines", () => {
    expect(regressionLines("r", [{ ...ledger, rows: [ledger.rows[2]] }], items)).toEqual([]);
    expect(regressionLines("r", [], items)).toEqual([]);
  });

  it("the lines parse back as a dataset without errors", () => {
    const r = parseDataset(lines.map((l) => JSON.stringify(l)).join("\n"), "regressions.jsonl");
    if (!r.ok) throw new Error(JSON.stringify(r));
    expect(r.skipped).toEqual([]);
    expect(r.items).toEqual([
      items[0],
      items[1],
      { id: "arithmetic/id/1/0", prompt: "6 * 7 = ?", answer: "42", steps: ["6 * 7 = 42"], verifier: "number", domain: "arithmetic" },
    ]);
  });
});

describe("writeRegressions", () => {
  const lines = regressionLines("run-abc", [ledger], items);

  it("writes one JSON object per line and leaves no temp file behind", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-regressions-"));
    const path = join(dir, "lost.jsonl");
    await writeFile(path, "old contents\n");
    await writeRegressions(path, lines);
    expect(readdirSync(dir)).toEqual(["lost.jsonl"]);
    const text = await readFile(path, "utf8");
    expect(text).toBe(lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
    expect(text.split("\n").slice(0, -1).map((l) => JSON.parse(l))).toEqual(lines);
  });

  it("no lines: an empty file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-regressions-"));
    await writeRegressions(join(dir, "none.jsonl"), []);
    expect(await readFile(join(dir, "none.jsonl"), "utf8")).toBe("");
    expect(readdirSync(dir)).toEqual(["none.jsonl"]);
  });

  it("a path it cannot replace is an error that names it, and the temp file is removed", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ftledger-regressions-"));
    const path = join(dir, "taken");
    mkdirSync(path);
    await expect(writeRegressions(path, lines)).rejects.toThrow(`${path}: cannot write the regressions (`);
    expect(readdirSync(dir)).toEqual(["taken"]);
    expect(readdirSync(path)).toEqual([]);
  });
});
