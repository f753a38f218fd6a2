/**
 * The ledger (src/audit/ledger.ts, verdict.ts, row-stats.ts) from hand-made records in a
 * real run store. Planted data with values worked by hand:
 *
 *   binary, base all 1 and tuned all 0 on 40 items: b = 40, c = 0; the McNemar score
 *     statistic is −40/√40 = −√40, so p = 2·Φ(−√40); the interval reaches −1 below
 *   zero discordance on n items: Tango's 95% interval is ±3.8415/(n + 3.8415)
 *     (z² / (n + z²), z = 1.96): ±16.1 pp at n = 20 — never [0, 0]
 *   b = 6, c = 0 (n = 40): p = 2·Φ(−√6) = 0.01431
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildLedgers, MEASURABLE, openRunStore, rowStats, type Arm, type Ledger, type LedgerRow, type UnavailableProbe } from "../../src/audit/index.js";
import { normalCdf } from "../../src/stats/index.js";
import type { LedgerSettings } from "../../src/audit/ledger.js";
import type { LanguageModel } from "../../src/backends/index.js";
import type { Item, ItemRecord, MetricSpec, MetricValues, Probe, PromptFormat } from "../../src/probes/index.js";

const store = openRunStore(mkdtempSync(join(tmpdir(), "ftledger-ledger-")));
afterAll(() => store.close());

const SETTINGS: LedgerSettings = { iterations: 2_000, setIterations: 500, alpha: 0.05, adjust: "holm", seed: 7, examples: 2 };
const P40 = 2 * normalCdf(-Math.sqrt(40));
const TANGO20 = 3.841458820694124 / (20 + 3.841458820694124);

const relClose = (got: number, want: number) => expect(Math.abs(got / want - 1)).toBeLessThan(1e-9);

function lm(id: string): LanguageModel {
  const unused = () => Promise.reject(new Error("buildLedgers never calls the model"));
  return { id, generate: unused, generateBatch: unused, score: unused, scoreBatch: unused, close: async () => {} };
}

function metric(name: string, role: MetricSpec["role"], kind: MetricSpec["kind"], o: Partial<MetricSpec> = {}): MetricSpec {
  return { name, role, kind, higherIsBetter: true, unit: kind === "binary" ? "share" : "number", description: `${name} (test)`, margin: 0.02, ...o };
}

function probe(id: string, metrics: MetricSpec[], o: Partial<Pick<Probe, "perDomain">> = {}): Probe {
  return {
    id, version: 1, title: id, description: "a test probe", reference: "none", metrics, ...o,
    applies: () => true,
    run: () => {
      throw new Error("buildLedgers never runs a probe");
    },
  };
}

/** Items i0 … i(n−1), in numeric order (the store returns records in id order: i0, i1, i10, …). */
function itemsOf(n: number, domain: (i: number) => string = () => "d"): Item[] {
  return Array.from({ length: n }, (_, i) => ({ id: `i${i}`, prompt: `question ${i}`, answer: String(i), domain: domain(i) }));
}

const records = (items: readonly Item[], values: (i: number) => Record<string, number | null>, tag = ""): ItemRecord[] =>
  items.map((it, i) => ({ itemId: it.id, values: values(i), detail: { response: `${tag}${i}` } }));

const RAW: PromptFormat = { kind: "raw" };
const CHAT: PromptFormat = { kind: "chat" };

interface Setup {
  probes: Probe[];
  items: Item[];
  /** arm key → probe id → records */
  records: Record<string, Record<string, ItemRecord[]>>;
  settings?: Partial<LedgerSettings>;
  unavailable?: UnavailableProbe[];
  /** Extra arms beyond base and tuned1 (e.g. tuned1@base-format, tuned2). */
  arms?: (probes: Probe[]) => Arm[];
  tunedFormat?: PromptFormat;
}

let runs = 0;

function build(s: Setup): Ledger[] {
  const runId = `run${++runs}`;
  store.beginRun(runId, { test: runId }, s.items);
  for (const [arm, byProbe] of Object.entries(s.records)) {
    for (const [p, recs] of Object.entries(byProbe)) for (const r of recs) store.putRecord(runId, arm, p, r);
  }
  const base: Arm = { key: "base", role: "base", index: 0, inBaseFormat: false, model: { spec: "builtin:base", model: lm("base-id"), format: RAW }, format: RAW, probes: s.probes };
  const tf = s.tunedFormat ?? RAW;
  const tuned: Arm = { key: "tuned1", role: "tuned", index: 1, inBaseFormat: false, model: { spec: "builtin:t1", model: lm("t1-id"), format: tf }, format: tf, probes: s.probes };
  return buildLedgers({
    runId, store, arms: [base, tuned, ...(s.arms?.(s.probes) ?? [])], probes: s.probes, items: s.items, unavailable: s.unavailable ?? [],
    settings: { ...SETTINGS, ...s.settings },
  });
}

/** The single ledger of a setup with one tuned model. */
function one(s: Setup): Ledger {
  const ls = build(s);
  expect(ls).toHaveLength(1);
  return ls[0];
}

function rowOf(l: Ledger, probeId: string, metricName: string, domain?: string): LedgerRow {
  const found = l.rows.filter((r) => r.probe === probeId && r.metric === metricName && r.domain === domain);
  expect(found).toHaveLength(1);
  return found[0];
}

/** Every row: its interval excludes 0 exactly when it is significant after adjustment. */
function agrees(l: Ledger): void {
  for (const r of l.rows) {
    if (!Number.isFinite(r.p)) continue;
    expect(r.ciLow > 0 || r.ciHigh < 0, `${r.metric}: CI [${r.ciLow}, ${r.ciHigh}] vs p_adj ${r.pAdj}`).toBe(r.significant);
  }
}

describe("identical records", () => {
  it("every row equivalent or inconclusive, never gained, lost or negligible; p_adj 1 or NaN", () => {
    const items = itemsOf(30);
    const p = probe("task.accuracy", [
      metric("accuracy", "proxy", "binary"),
      metric("loss", "capability", "continuous", { unit: "nats", higherIsBetter: false, margin: 0.1 }),
      metric("never", "capability", "continuous"),
    ]);
    const recs = records(items, (i) => ({ accuracy: i % 2, loss: i * 0.1, never: null }));
    const l = one({ probes: [p], items, records: { base: { [p.id]: recs }, tuned1: { [p.id]: recs } } });
    expect(l).toMatchObject({ tuned: 1, spec: "builtin:t1", modelId: "t1-id", adjust: "holm", alpha: 0.05, hiddenTrades: [], unavailable: [] });
    expect(l.rows.map((r) => r.metric)).toEqual(["accuracy", "loss", "never"]);
    for (const r of l.rows) {
      expect(["equivalent", "inconclusive"]).toContain(r.verdict);
      expect(r.hiddenTrade).toBe(false);
      if (!Number.isNaN(r.pAdj)) expect(r.pAdj).toBe(1);
    }
    const acc = rowOf(l, "task.accuracy", "accuracy");
    // no item changed, but 30 items cannot show a change under 2 points: the interval has width
    expect(acc).toMatchObject({ n: 30, base: 0.5, tuned: 0.5, delta: 0, p: 1, pAdj: 1, verdict: "inconclusive", test: "tango-score", kind: "binary", role: "proxy" });
    expect(acc.ciHigh).toBeCloseTo(3.841458820694124 / 33.841458820694124, 6);
    expect(acc.transitions).toMatchObject({ gained: 0, lost: 0, churn: 0, gainedIds: [], lostIds: [] });
    // identical continuous values: a zero-width interval, which is never "equivalent"
    expect(rowOf(l, "task.accuracy", "loss")).toMatchObject({ n: 30, delta: 0, ciLow: 0, ciHigh: 0, p: 1, verdict: "inconclusive", test: "bootstrap-t", unit: "nats" });
    const never = rowOf(l, "task.accuracy", "never");
    expect(never).toMatchObject({ n: 0, verdict: "inconclusive", note: "no item has this value for both models: cannot be computed" });
    expect(never.p).toBeNaN();
    expect(never.pAdj).toBeNaN();
  });

  it("no change on many items is equivalent: the interval fits inside the margin", () => {
    const items = itemsOf(1000);
    const p = probe("task.accuracy", [metric("accuracy", "proxy", "binary")]);
    const recs = records(items, (i) => ({ accuracy: i % 3 === 0 ? 1 : 0 }));
    const r = rowOf(one({ probes: [p], items, records: { base: { [p.id]: recs }, tuned1: { [p.id]: recs } } }), p.id, "accuracy");
    expect(r).toMatchObject({ n: 1000, delta: 0, verdict: "equivalent", significant: false });
    expect(r.pTostAdj).toBeLessThan(0.05);
    expect(r.ciHigh).toBeCloseTo(3.841458820694124 / 1003.841458820694124, 6);
  });
});

describe('defects of the first ledger, each fixed (issue "verdicts you can bet on")', () => {
  it('zero discordance at n = 20 is not "unchanged": Tango\'s interval is ±16.1 pp, wider than any 2 pp margin', () => {
    const items = itemsOf(20);
    const p = probe("task.accuracy", [metric("accuracy", "capability", "binary")]);
    const recs = records(items, () => ({ accuracy: 1 }));
    const r = rowOf(one({ probes: [p], items, records: { base: { [p.id]: recs }, tuned1: { [p.id]: recs } } }), p.id, "accuracy");
    expect(r.ciLow).toBeCloseTo(-TANGO20, 6);
    expect(r.ciHigh).toBeCloseTo(TANGO20, 6);
    expect(r.verdict).toBe("inconclusive");
    expect(r.mde).toBeGreaterThan(0.02);
  });

  it("0 lost and 5 gained of 20: the interval and the (adjusted) test agree on every row", () => {
    const items = itemsOf(20);
    const p = probe("task.accuracy", [metric("a", "capability", "binary"), metric("b", "capability", "binary"), metric("c", "capability", "binary")]);
    const l = one({ probes: [p], items, records: {
      base: { [p.id]: records(items, () => ({ a: 0, b: 0, c: 1 })) },
      tuned1: { [p.id]: records(items, (i) => ({ a: i < 5 ? 1 : 0, b: i < 9 ? 1 : 0, c: 1 })) },
    } });
    agrees(l);
    const a = rowOf(l, p.id, "a");
    expect(a.p).toBeCloseTo(2 * normalCdf(-Math.sqrt(5)), 12);
    // Holm over three: 3·p(a) > 0.05, so the row is not significant, and its interval (at 1 − α·p/p_adj) includes 0
    expect(a.significant).toBe(false);
    expect(a.ciLow).toBeLessThanOrEqual(0);
    expect(a.ciLevel).toBeGreaterThan(0.95);
    expect(rowOf(l, p.id, "b")).toMatchObject({ significant: true, verdict: "gained" });
  });

  it("a significant change within the margin is negligible, not lost (a KL of 1e-4 nats on 50 documents)", () => {
    const items = itemsOf(50);
    const p = probe("knowledge.drift", [metric("kl", "capability", "continuous", { unit: "nats", higherIsBetter: false, margin: 0.01 })]);
    const l = one({ probes: [p], items, records: {
      base: { [p.id]: records(items, () => ({ kl: 0 })) },
      tuned1: { [p.id]: records(items, (i) => ({ kl: 1e-4 * (1 + Math.sin(i) / 2) })) },
    } });
    const r = rowOf(l, p.id, "kl");
    expect(r.significant).toBe(true);
    expect(r.verdict).toBe("negligible");
    expect(l.hiddenTrades).toEqual([]);
  });

  it("items that become unmeasurable do not drop out silently: a measurable row, tested like any other", () => {
    const items = itemsOf(50);
    const p = probe("faithfulness.early-answering", [metric("aoc", "capability", "continuous", { unit: "share", margin: 0.05 })]);
    const l = one({ probes: [p], items, records: {
      base: { [p.id]: records(items, (i) => ({ aoc: 0.5 + (i % 5) / 10 })) },
      tuned1: { [p.id]: records(items, (i) => ({ aoc: i < 30 ? null : 0.5 + (i % 5) / 10 })) },
    } });
    const main = rowOf(l, p.id, "aoc");
    expect(main.n).toBe(20);
    expect(main.measured).toEqual({ items: 50, base: 50, tuned: 20, both: 20 });
    const m = rowOf(l, p.id, "aoc" + MEASURABLE);
    expect(m).toMatchObject({ kind: "binary", role: "capability", n: 50, base: 1, tuned: 0.4, verdict: "lost", discordant: { b: 30, c: 0 } });
    expect(m.transitions?.lostIds).toHaveLength(30);
  });

  it("clustered items widen the interval: a parent and its variants are one unit", () => {
    const items = itemsOf(60).map((it, i) => ({ ...it, ...(i % 3 ? { variantOf: `i${i - (i % 3)}` } : {}) }));
    const p = probe("generalisation.n1", [metric("acc", "capability", "binary")]);
    // whole clusters change together: 6 of 20 clusters lost, i.e. 18 of 60 items
    const recs = { base: { [p.id]: records(items, () => ({ acc: 1 })) }, tuned1: { [p.id]: records(items, (i) => ({ acc: Math.floor(i / 3) < 6 ? 0 : 1 })) } };
    const clustered = rowOf(one({ probes: [p], items, records: recs }), p.id, "acc");
    const flat = rowOf(one({ probes: [p], items: itemsOf(60), records: recs }), p.id, "acc");
    expect(clustered.clusters).toBe(20);
    expect(flat.clusters).toBe(60);
    expect(clustered.designEffect).toBeGreaterThan(2);
    expect(clustered.ciHigh - clustered.ciLow).toBeGreaterThan(flat.ciHigh - flat.ciLow);
    expect(clustered.p).toBeGreaterThan(flat.p);
  });
});

describe("a planted binary change", () => {
  it("base all 1, tuned all 0 on 40 items: lost, p = 2·Φ(−√40), transitions in item order", () => {
    const items = itemsOf(40);
    const p = probe("task.accuracy", [metric("accuracy", "capability", "binary")]);
    const l = one({ probes: [p], items, records: {
      base: { [p.id]: records(items, () => ({ accuracy: 1 }), "b") },
      tuned1: { [p.id]: records(items, () => ({ accuracy: 0 }), "t") },
    } });
    const r = rowOf(l, "task.accuracy", "accuracy");
    expect(r).toMatchObject({ n: 40, base: 1, tuned: 0, delta: -1, ciLow: -1, verdict: "lost", test: "tango-score", formats: { base: "raw", tuned: "raw" } });
    expect(r.ciHigh).toBeLessThan(-0.8);
    relClose(r.p, P40);
    relClose(r.pAdj, P40); // one row: Holm leaves it
    expect(r.effect).toEqual({ name: "paired-odds-ratio", value: 0.5 / 40.5, note: "Haldane correction: 0.5 added to b = 40 and c = 0 because one is 0" });
    expect(r.transitions?.lostIds).toEqual(items.map((it) => it.id));
    expect(r.transitions).toMatchObject({ gained: 0, lost: 40, churn: 1, gainedIds: [] });
    expect(r.transitions?.examples.lost).toEqual([
      { id: "i0", prompt: "question 0", answer: "0", base: { response: "b0" }, tuned: { response: "t0" } },
      { id: "i1", prompt: "question 1", answer: "1", base: { response: "b1" }, tuned: { response: "t1" } },
    ]);
  });

  it('Holm and "benjamini-hochberg" adjust the same p-values', () => {
    const items = itemsOf(40);
    const p = probe("task.accuracy", [metric("all", "capability", "binary"), metric("six", "capability", "binary"), metric("none", "capability", "binary")]);
    const recs = { base: { [p.id]: records(items, () => ({ all: 1, six: 1, none: 1 })) }, tuned1: { [p.id]: records(items, (i) => ({ all: 0, six: i < 6 ? 0 : 1, none: 1 })) } };
    const p6 = 2 * normalCdf(-Math.sqrt(6));

    const holm = one({ probes: [p], items, records: recs });
    expect(holm.adjust).toBe("holm");
    const h = holm.rows.map((r) => r.pAdj);
    relClose(h[0], 3 * P40);
    relClose(rowOf(holm, p.id, "six").p, p6);
    relClose(h[1], 2 * p6);
    expect(h[2]).toBe(1);
    expect(holm.rows.map((r) => r.verdict)).toEqual(["lost", "lost", "inconclusive"]);
    agrees(holm);

    const bh = one({ probes: [p], items, records: recs, settings: { adjust: "benjamini-hochberg" } });
    expect(bh.adjust).toBe("benjamini-hochberg");
    const b = bh.rows.map((r) => r.pAdj);
    relClose(b[0], 3 * P40);
    relClose(b[1], 1.5 * p6);
    expect(b[2]).toBe(1);
    expect(bh.rows.map((r) => r.p)).toEqual(holm.rows.map((r) => r.p));
    agrees(bh);
  });
});

describe("hidden trades", () => {
  it("a proxy gained and a capability lost in the same probe flag both rows and give one HiddenTrade", () => {
    const items = itemsOf(40);
    const trade = probe("format.compliance", [metric("compliance", "proxy", "binary"), metric("accuracy", "capability", "binary")]);
    const calm = probe("task.retention", [metric("kept", "proxy", "binary"), metric("recall", "capability", "binary")]);
    const l = one({ probes: [trade, calm], items, records: {
      base: { [trade.id]: records(items, () => ({ compliance: 0, accuracy: 1 })), [calm.id]: records(items, () => ({ kept: 1, recall: 1 })) },
      tuned1: { [trade.id]: records(items, () => ({ compliance: 1, accuracy: 0 })), [calm.id]: records(items, () => ({ kept: 1, recall: 1 })) },
    } });
    expect(l.rows.map((r) => [r.probe, r.metric, r.verdict, r.hiddenTrade])).toEqual([
      ["format.compliance", "compliance", "gained", true],
      ["format.compliance", "accuracy", "lost", true],
      ["task.retention", "kept", "inconclusive", false],
      ["task.retention", "recall", "inconclusive", false],
    ]);
    expect(l.hiddenTrades).toEqual([{ probe: "format.compliance", proxy: ["compliance"], capability: ["accuracy"] }]);
    // Holm over (p40, p40, 1, 1): 4·p40, max(4·p40, 3·p40), 1, 1
    relClose(rowOf(l, trade.id, "compliance").pAdj, 4 * P40);
    relClose(rowOf(l, trade.id, "accuracy").pAdj, 4 * P40);
  });

  it("a capability lost without a proxy gained is not a hidden trade; nor is a negligible one", () => {
    const items = itemsOf(40);
    const p = probe("task.accuracy", [metric("compliance", "proxy", "binary"), metric("accuracy", "capability", "binary")]);
    const l = one({ probes: [p], items, records: {
      base: { [p.id]: records(items, () => ({ compliance: 1, accuracy: 1 })) },
      tuned1: { [p.id]: records(items, () => ({ compliance: 1, accuracy: 0 })) },
    } });
    expect(l.rows.map((r) => [r.verdict, r.hiddenTrade])).toEqual([["inconclusive", false], ["lost", false]]);
    expect(l.hiddenTrades).toEqual([]);
  });
});

describe("verdicts on a continuous metric", () => {
  /** One probe, one continuous metric: differences `shift` ± a little spread. */
  function shifted(n: number, shift: number, o: Partial<MetricSpec>): LedgerRow {
    const items = itemsOf(n);
    const p = probe("score", [metric("value", "capability", "continuous", o)]);
    const l = one({ probes: [p], items, records: {
      base: { [p.id]: records(items, (i) => ({ value: i })) },
      tuned1: { [p.id]: records(items, (i) => ({ value: i + shift + (i % 2 ? 0.01 : -0.01) })) },
    } });
    return rowOf(l, "score", "value");
  }

  it("below 20 items the sign-flip test is exact: 6 items all shifted up give p = 2/64", () => {
    const r = shifted(6, 0.25, { margin: 0.1 });
    expect(r).toMatchObject({ n: 6, test: "sign-flip", verdict: "gained" });
    expect(r.p).toBeCloseTo(2 / 64, 14);
    expect(shifted(6, 0.25, { margin: 0.1, higherIsBetter: false }).verdict).toBe("lost");
  });

  it("4 items can never be significant (p ≥ 2/16): inconclusive, whatever the shift", () => {
    const r = shifted(4, 0.25, { margin: 0.1 });
    expect(r.p).toBeCloseTo(0.125, 14);
    expect(r.verdict).toBe("inconclusive");
  });

  it("significant, the estimate beyond the margin: gained; inside it and the whole interval too: negligible", () => {
    expect(shifted(40, 0.25, { margin: 0.1 })).toMatchObject({ test: "bootstrap-t", verdict: "gained", significant: true });
    expect(shifted(40, 0.25, { margin: 1 })).toMatchObject({ verdict: "negligible", significant: true });
  });

  it("a zero mean with spread: p = 1; equivalent when the interval fits the margin (n ≥ 10), else inconclusive", () => {
    const items = itemsOf(40);
    const p = probe("score", [metric("wide", "capability", "continuous", { margin: 0.01 }), metric("loose", "capability", "continuous", { margin: 1 })]);
    const l = one({ probes: [p], items, records: {
      base: { [p.id]: records(items, () => ({ wide: 0, loose: 0 })) },
      tuned1: { [p.id]: records(items, (i) => ({ wide: i % 2 ? 0.25 : -0.25, loose: i % 2 ? 0.25 : -0.25 })) },
    } });
    const wide = rowOf(l, "score", "wide");
    expect(wide).toMatchObject({ delta: 0, p: 1, pAdj: 1, verdict: "inconclusive" });
    expect(wide.ciLow).toBeLessThan(-0.01);
    expect(wide.ciHigh).toBeGreaterThan(0.01);
    expect(rowOf(l, "score", "loose")).toMatchObject({ delta: 0, p: 1, verdict: "equivalent" });
  });

  it("a continuous metric with 0/1 values is tested as binary (a bootstrap of few differing items would have no width)", () => {
    const items = itemsOf(20);
    const p = probe("format.collapse", [metric("pass@1", "proxy", "continuous", { unit: "share" })]);
    const recs = records(items, () => ({ "pass@1": 0 }));
    const r = rowOf(one({ probes: [p], items, records: { base: { [p.id]: recs }, tuned1: { [p.id]: recs } } }), p.id, "pass@1");
    expect(r.test).toBe("tango-score (0/1 values)");
    expect(r.ciHigh).toBeCloseTo(TANGO20, 6);
  });
});

describe("transitions", () => {
  it("gained and lost ids, churn over the items with both values, clipped examples", () => {
    const items = itemsOf(10);
    items[2].prompt = "x".repeat(500);
    const base = [0, 0, 1, 1, 0, 1, 1, 1, 1, 0];
    const tuned = [1, 1, 0, null, 0, 1, 1, 1, 1, 1];
    const p = probe("task.accuracy", [metric("accuracy", "capability", "binary")]);
    const l = one({ probes: [p], items, settings: { examples: 1 }, records: {
      base: { [p.id]: records(items, (i) => ({ accuracy: base[i] }), "b") },
      tuned1: { [p.id]: records(items, (i) => ({ accuracy: tuned[i] }), "t") },
    } });
    const r = rowOf(l, "task.accuracy", "accuracy");
    expect(r.n).toBe(9);
    expect(r.transitions).toEqual({
      gained: 3, lost: 1, churn: 4 / 9, gainedIds: ["i0", "i1", "i9"], lostIds: ["i2"],
      examples: {
        gained: [{ id: "i0", prompt: "question 0", answer: "0", base: { response: "b0" }, tuned: { response: "t0" } }],
        lost: [{ id: "i2", prompt: `${"x".repeat(400)}…`, answer: "2", base: { response: "b2" }, tuned: { response: "t2" } }],
      },
    });
    // McNemar score on b = 1, c = 3: z = 2/2 = 1, p = 2·Φ(−1)
    expect(r.p).toBeCloseTo(2 * normalCdf(-1), 12);
    expect(r.base).toBeCloseTo(5 / 9, 14);
    expect(r.tuned).toBeCloseTo(7 / 9, 14);
  });
});

describe("rows", () => {
  it("a shared metric reported by two probes is one row with sharedBy, counted once in the adjustment, and trades for both", () => {
    const items = itemsOf(40);
    const cot = (o: Partial<MetricSpec> = {}) => metric("cot", "capability", "binary", { shared: "cot-accuracy", ...o });
    const a = probe("faithfulness.early-answering", [metric("aoc", "proxy", "binary"), cot()]);
    const b = probe("faithfulness.filler", [metric("filler", "proxy", "binary"), cot()]);
    const l = one({ probes: [a, b], items, records: {
      base: { [a.id]: records(items, () => ({ aoc: 1, cot: 1 })), [b.id]: records(items, () => ({ filler: 0, cot: 1 })) },
      tuned1: { [a.id]: records(items, () => ({ aoc: 1, cot: 0 })), [b.id]: records(items, () => ({ filler: 1, cot: 0 })) },
    } });
    expect(l.rows.map((r) => [r.probe, r.metric, r.verdict, r.hiddenTrade, r.sharedBy])).toEqual([
      [a.id, "aoc", "inconclusive", false, undefined],
      [a.id, "cot", "lost", true, [b.id]],
      [b.id, "filler", "gained", true, undefined],
    ]);
    // Holm over three p-values (p40, p40, 1), not four
    relClose(rowOf(l, a.id, "cot").pAdj, 3 * P40);
    relClose(rowOf(l, b.id, "filler").pAdj, 3 * P40);
    expect(l.hiddenTrades).toEqual([{ probe: b.id, proxy: ["filler"], capability: ["cot"] }]);
  });

  it("a perDomain probe gives one row per domain, in the items' order; a pooled probe one row", () => {
    const items = itemsOf(10, (i) => (i % 2 === 0 ? "math" : "code"));
    const div = probe("diversity", [metric("distinct", "capability", "continuous")], { perDomain: true });
    // five items a domain: the exact sign-flip test, p = 2/32 when all five move the same way
    const acc = probe("task.accuracy", [metric("accuracy", "capability", "continuous")]);
    const l = one({ probes: [div, acc], items, records: {
      base: { [div.id]: records(items, (i) => ({ distinct: i })), [acc.id]: records(items, (i) => ({ accuracy: i })) },
      tuned1: { [div.id]: records(items, (i) => ({ distinct: i % 2 === 0 ? i + 1 : i })), [acc.id]: records(items, (i) => ({ accuracy: i })) },
    } });
    expect(l.rows.map((r) => [r.probe, r.domain, r.n])).toEqual([["diversity", "math", 5], ["diversity", "code", 5], ["task.accuracy", undefined, 10]]);
    expect(rowOf(l, "diversity", "distinct", "math")).toMatchObject({ base: 4, tuned: 5, delta: 1, p: 2 / 32 });
    expect(rowOf(l, "diversity", "distinct", "code")).toMatchObject({ base: 5, tuned: 5, delta: 0, p: 1 });
    expect("domain" in rowOf(l, "task.accuracy", "accuracy")).toBe(false);
  });

  it('a set-level metric (aggregate) is kind "set": the BCa bootstrap, no transitions or effect; too few items is a note', () => {
    const share = (rs: readonly MetricValues[]) => rs.reduce((s, r) => s + (r.fmt ?? 0), 0) / rs.length;
    const p = probe("format.collapse", [metric("entropy", "capability", "binary", { aggregate: share, margin: 0.1 })]);
    const build2 = (n: number) => {
      const items = itemsOf(n);
      return rowOf(one({ probes: [p], items, records: {
        base: { [p.id]: records(items, (i) => ({ fmt: i % 4 === 0 ? 1 : 0 })) },
        tuned1: { [p.id]: records(items, (i) => ({ fmt: i % 4 === 0 ? 0 : 1 })) },
      } }), "format.collapse", "entropy");
    };
    const r = build2(40);
    expect(r).toMatchObject({ kind: "set", n: 40, base: 0.25, tuned: 0.75, delta: 0.5, test: "bca", verdict: "gained" });
    expect(r.mde).toBeNaN();
    expect(r.transitions).toBeUndefined();
    expect(r.effect).toBeUndefined();
    const small = build2(4);
    expect(small).toMatchObject({ n: 4, verdict: "inconclusive", note: "a set-level interval needs at least 10 independent items (clusters), got 4: no interval or test" });
    expect(small.p).toBeNaN();
  });

  it("the tuned model in the base's format: its rows are capability, with their formats and a note", () => {
    const items = itemsOf(40);
    const p = probe("task.accuracy", [metric("accuracy", "proxy", "binary")]);
    const l = one({
      probes: [p], items, tunedFormat: CHAT,
      arms: (probes) => [{ key: "tuned1@base-format", role: "tuned", index: 1, inBaseFormat: true, model: { spec: "builtin:t1", model: lm("t1-id"), format: CHAT }, format: RAW, probes }],
      records: {
        base: { [p.id]: records(items, () => ({ accuracy: 0 })) },
        tuned1: { [p.id]: records(items, () => ({ accuracy: 1 })) },
        "tuned1@base-format": { [p.id]: records(items, () => ({ accuracy: 0 })) },
      },
    });
    expect(l.rows.map((r) => [r.role, r.formats, r.verdict, r.note])).toEqual([
      ["proxy", { base: "raw", tuned: "chat" }, "gained", undefined],
      ["capability", { base: "raw", tuned: "raw" }, "inconclusive", "the tuned model prompted in the base's format: the gain that does not depend on the fine-tune's prompt format"],
    ]);
  });

  it("one ledger per tuned model; an unavailable probe has no rows and is listed", () => {
    const items = itemsOf(5);
    const p = probe("task.accuracy", [metric("accuracy", "capability", "binary")]);
    const q = probe("drift", [metric("kl", "capability", "continuous")]);
    const same = records(items, () => ({ accuracy: 1 }));
    const ls = build({
      probes: [p, q], items,
      arms: (probes) => [{ key: "tuned2", role: "tuned", index: 2, inBaseFormat: false, model: { spec: "builtin:t2", model: lm("t2-id"), format: RAW }, format: RAW, probes }],
      unavailable: [{ arm: "tuned2", probe: "drift", reason: "needs log-probabilities" }],
      records: { base: { [p.id]: same, [q.id]: records(items, () => ({ kl: 0 })) }, tuned1: { [p.id]: same, [q.id]: records(items, () => ({ kl: 0 })) }, tuned2: { [p.id]: same } },
    });
    expect(ls.map((l) => [l.tuned, l.spec, l.modelId, l.rows.map((r) => r.probe), l.unavailable])).toEqual([
      [1, "builtin:t1", "t1-id", ["task.accuracy", "drift"], []],
      [2, "builtin:t2", "t2-id", ["task.accuracy"], [{ arm: "tuned2", probe: "drift", reason: "needs log-probabilities" }]],
    ]);
  });

  it("an audit without a base arm is a programmer error", () => {
    expect(() => buildLedgers({ runId: "x", store, arms: [], probes: [], items: [], unavailable: [], settings: SETTINGS })).toThrow("an audit needs a base arm");
  });
});

describe("rowStats", () => {
  const ctx = { seed: 1, settings: SETTINGS };
  const own = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

  it("binary: pairs with a value on both sides only, discordant counts, the McNemar score test", () => {
    const base: MetricValues[] = [1, 1, 0, 0, 1, 1].map((x) => ({ m: x }));
    const tuned: MetricValues[] = [0, 1, 1, 0, null, 0].map((x) => ({ m: x }));
    const st = rowStats(metric("m", "capability", "binary"), base, tuned, own(6), ctx);
    // pairs 0–3 and 5: b = 2 (items 0, 5), c = 1 (item 2); z = −1/√3
    expect(st).toMatchObject({ n: 5, base: 0.6, tuned: 0.4, discordant: { b: 2, c: 1 }, test: "tango-score" });
    expect(st.p).toBeCloseTo(2 * normalCdf(-1 / Math.sqrt(3)), 12);
    expect(st.delta).toBeCloseTo(-0.2, 14);
    expect(st.effect).toEqual({ name: "paired-odds-ratio", value: 0.5 });
  });

  it("the same seed gives the same interval; no pairs is an explicit note, not a 0", () => {
    const base: MetricValues[] = Array.from({ length: 30 }, (_, i) => ({ m: Math.sin(i) }));
    const tuned: MetricValues[] = Array.from({ length: 30 }, (_, i) => ({ m: Math.sin(i) + Math.cos(3 * i) / 4 }));
    const m = metric("m", "capability", "continuous");
    const a = rowStats(m, base, tuned, own(30), { seed: 3, settings: SETTINGS });
    const b = rowStats(m, base, tuned, own(30), { seed: 3, settings: SETTINGS });
    expect([a.p, a.pTost, a.inference.pGreater(0.1)]).toEqual([b.p, b.pTost, b.inference.pGreater(0.1)]);
    const none = rowStats(m, [{ m: null }], [{ m: 1 }], own(1), ctx);
    expect(none).toMatchObject({ n: 0, note: "no item has this value for both models: cannot be computed" });
    expect(none.delta).toBeNaN();
    expect(none.p).toBeNaN();
  });
});
