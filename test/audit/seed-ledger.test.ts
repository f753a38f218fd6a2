/**
 * The ledger pooled over fine-tuning seeds (src/audit/seed-ledger.ts): Δ is the mean of the
 * seeds' paired differences, every seed's own Δ is kept, and the interval — resampling seeds
 * and items together — is wider than any one seed's when the seeds disagree.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildLedgers, openRunStore, type Arm } from "../../src/audit/index.js";
import { buildSeedLedger } from "../../src/audit/seed-ledger.js";
import type { LedgerSettings } from "../../src/audit/ledger.js";
import type { LanguageModel } from "../../src/backends/index.js";
import type { Item, ItemRecord, MetricSpec, Probe, PromptFormat } from "../../src/probes/index.js";

const store = openRunStore(mkdtempSync(join(tmpdir(), "ftledger-seeds-")));
afterAll(() => store.close());
const SETTINGS: LedgerSettings = { iterations: 2_000, setIterations: 1_000, alpha: 0.05, adjust: "holm", seed: 3, examples: 1 };
const RAW: PromptFormat = { kind: "raw" };
const lm = (id: string): LanguageModel => ({ id, generate: () => Promise.reject(new Error("unused")), generateBatch: () => Promise.reject(new Error("unused")), score: () => Promise.reject(new Error("unused")), scoreBatch: () => Promise.reject(new Error("unused")), close: async () => {} });
const metric: MetricSpec = { name: "acc", role: "capability", kind: "binary", higherIsBetter: true, unit: "share", description: "test", margin: 0.02 };
const probe: Probe = { id: "task.accuracy", version: 1, title: "t", description: "t", reference: "none", metrics: [metric], applies: () => true, run: () => { throw new Error("unused"); } };
const items: Item[] = Array.from({ length: 200 }, (_, i) => ({ id: `i${i}`, prompt: `q${i}`, answer: "a", domain: "d" }));

/** Base right on every item; seed s loses the items i with i % 10 < lost[s]. */
function setup(run: string, lost: number[]) {
  store.beginRun(run, { run }, items);
  const rec = (v: (i: number) => number): ItemRecord[] => items.map((it, i) => ({ itemId: it.id, values: { acc: v(i) }, detail: {} }));
  for (const r of rec(() => 1)) store.putRecord(run, "base", probe.id, r);
  lost.forEach((k, s) => { for (const r of rec((i) => (i % 10 < k ? 0 : 1))) store.putRecord(run, `tuned${s + 1}`, probe.id, r); });
  const arm = (index: number): Arm => ({ key: index ? `tuned${index}` : "base", role: index ? "tuned" : "base", index, inBaseFormat: false, model: { spec: `builtin:s${index}`, model: lm(`m${index}`), format: RAW }, format: RAW, probes: [probe] });
  return { runId: run, store, arms: [0, ...lost.map((_, s) => s + 1)].map(arm), probes: [probe], items, unavailable: [], settings: SETTINGS };
}

describe("the seed-pooled ledger", () => {
  it("Δ is the mean of the seeds' Δ, each kept; disagreeing seeds widen the interval beyond any one seed's", () => {
    const o = setup("disagree", [1, 3, 5]); // seeds lose 10%, 30%, 50%
    const pooled = buildSeedLedger(o, [1, 2, 3])!;
    const r = pooled.rows[0];
    expect(pooled.tuned).toBe(0);
    expect(pooled.spec).toBe("3 seeds: builtin:s1, builtin:s2, builtin:s3");
    expect(r.seeds?.deltas.map((d) => +d.toFixed(10))).toEqual([-0.1, -0.3, -0.5]);
    expect(r.delta).toBeCloseTo(-0.3, 12);
    expect(r.seeds?.sd).toBeCloseTo(0.2, 12);
    expect(r.test).toBe("seed-bootstrap");
    const perSeed = buildLedgers(o).map((l) => l.rows[0]);
    const widest = Math.max(...perSeed.map((x) => x.ciHigh - x.ciLow));
    expect(r.ciHigh - r.ciLow).toBeGreaterThan(2 * widest);
  });

  it("agreeing seeds give an interval close to one seed's, and the same verdict", () => {
    const o = setup("agree", [3, 3, 3]);
    const r = buildSeedLedger(o, [1, 2, 3])!.rows[0];
    expect(r.seeds?.sd).toBe(0);
    expect(r).toMatchObject({ verdict: "lost", significant: true });
    expect(r.ciHigh).toBeLessThan(-0.2);
  });

  it("fewer than two seeds is no pooled ledger", () => {
    expect(buildSeedLedger(setup("one", [2]), [1])).toBeUndefined();
  });
});
