/**
 * The concurrent schedule (every arm and probe at once, calls merged by withBatching) gives
 * the records, the ledger and the progress events of the sequential one, on the zoo pair;
 * an audit interrupted midway resumes to the same records; the first error stops the rest.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WORLD } from "../../src/world/index.js";
import { audit, openRunStore, suiteItems, type AuditModel, type AuditProgress, type AuditResult, type RunStore } from "../../src/audit/index.js";
import { OrderedProgress, runTasks } from "../../src/audit/schedule.js";
import { openModel, type LanguageModel } from "../../src/backends/index.js";
import { PROBES, type Item } from "../../src/probes/index.js";

let dir: string;
const opened: LanguageModel[] = [];
const raw = { kind: "raw" } as const;
const settings = { seed: 4, samples: 3, maxTokens: 160, batchSize: 4, sameFormat: true };
const items: Item[] = [...suiteItems("arithmetic", DEFAULT_WORLD, 4), ...suiteItems("knowledge", DEFAULT_WORLD, 4), ...suiteItems("reference", DEFAULT_WORLD, 2)];
const probes = Object.values(PROBES);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-schedule-"));
});
afterAll(async () => {
  for (const m of opened) await m.close();
  await rm(dir, { recursive: true, force: true });
});

/** Fresh instances of the zoo pair (no cache: every record is computed by its own run). */
async function pair(): Promise<{ base: AuditModel; tuned: [AuditModel] }> {
  const open = async (name: string) => {
    const m = await openModel(`builtin:zoo/${name}`);
    opened.push(m);
    return { spec: `builtin:zoo/${name}`, model: m, format: raw };
  };
  return { base: await open("base-s"), tuned: [await open("base-m")] };
}

/** Every stored record of a run, by arm and probe. */
function records(store: RunStore, r: AuditResult): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const arm of r.run.arms) for (const p of arm.probes) out[`${arm.key} ${p.id}`] = store.records(r.run.runId, arm.key, p.id);
  return out;
}

describe("concurrent and sequential schedules", () => {
  it("give the same records, ledger and progress events on the zoo pair", async () => {
    const runs: { recs: Record<string, unknown>; ledgers: unknown; events: AuditProgress[]; computed: number }[] = [];
    for (const schedule of ["sequential", "concurrent"] as const) {
      const store = openRunStore(join(dir, schedule));
      try {
        const events: AuditProgress[] = [];
        const r = await audit({ ...(await pair()), probes, items, sources: ["test"], settings, store, schedule, onProgress: (p) => events.push(p) });
        runs.push({ recs: records(store, r), ledgers: r.json.ledgers, events, computed: r.run.computed });
      } finally {
        store.close();
      }
    }
    const [seq, con] = runs;
    expect(seq.computed).toBeGreaterThan(100);
    expect(con.computed).toBe(seq.computed);
    expect(con.recs).toEqual(seq.recs);
    expect(con.ledgers).toEqual(seq.ledgers);
    expect(con.events).toEqual(seq.events);
  }, 180_000);

  it("an audit that fails midway stores only whole records, and its resume gives the uninterrupted records", async () => {
    const full = openRunStore(join(dir, "uninterrupted"));
    const cut = openRunStore(join(dir, "interrupted"));
    try {
      const want = records(full, await audit({ ...(await pair()), probes, items, sources: ["test"], settings, store: full }));
      // the tuned model fails on its 6th call: the audit throws, with some records stored
      const { base, tuned: [tuned] } = await pair();
      let calls = 0;
      const t = tuned.model;
      const fail = <T>(f: () => Promise<T>): Promise<T> => (++calls > 5 ? Promise.reject(new Error("backend went away")) : f());
      const failing: LanguageModel = {
        id: t.id, vocab: t.vocab, contextLength: t.contextLength,
        generate: (r) => fail(() => t.generate(r)), generateBatch: (r) => fail(() => t.generateBatch(r)),
        score: (r) => fail(() => t.score(r)), scoreBatch: (r) => fail(() => t.scoreBatch(r)),
        scoreTokens: (ids, k) => fail(() => t.scoreTokens!(ids, k)), close: () => t.close(),
      };
      // no pre-flight: its few calls would spend the failing model's budget before any probe runs
      const broken = audit({ base, tuned: [{ ...tuned, model: failing }], probes, items, sources: ["test"], settings, store: cut, preflight: false });
      await expect(broken).rejects.toThrow("backend went away");
      const runId = cut.runs()[0].id;
      const stored = cut.countRecords(runId);
      expect(stored).toBeGreaterThan(0);
      const again = await audit({ base, tuned: [tuned], probes, items, sources: ["test"], settings, store: cut });
      expect(again.json.resumed).toBe(true);
      expect(again.run.computed).toBe(again.json.records.stored - stored);
      expect(records(cut, again)).toEqual(want);
    } finally {
      full.close();
      cut.close();
    }
  }, 180_000);
});

describe("runTasks and OrderedProgress", () => {
  const p = (probe: string, done: number): AuditProgress => ({ arm: "base", probe, done, total: 2, resumed: 0 });

  it("passes progress on in task order, replaying a later task's events once the earlier ones finish", () => {
    const seen: string[] = [];
    const o = new OrderedProgress<AuditProgress>(3, (x) => seen.push(`${x.probe}${x.done}`));
    o.report(1, p("b", 1));
    o.report(0, p("a", 1));
    o.report(2, p("c", 1));
    o.finish(2);
    o.report(1, p("b", 2));
    expect(seen).toEqual(["a1"]);
    o.finish(0);
    expect(seen).toEqual(["a1", "b1", "b2"]);
    o.finish(1);
    expect(seen).toEqual(["a1", "b1", "b2", "c1"]);
  });

  it("runs tasks at once; the first error stops the others and is the one thrown, after all have returned", async () => {
    const log: string[] = [];
    const tick = () => new Promise((r) => setImmediate(r));
    const worker = (name: string, steps: number, failAt?: number) => async (stopped: () => boolean) => {
      for (let i = 0; i < steps; i++) {
        await tick();
        if (stopped()) {
          log.push(`${name} stopped`);
          return;
        }
        if (i === failAt) throw new Error(`${name} failed`);
        log.push(`${name}${i}`);
      }
    };
    await expect(runTasks([worker("a", 5), worker("b", 5, 1), worker("c", 5, 3)], "concurrent")).rejects.toThrow("b failed");
    // a and c ran beside b, stopped at their next step after b failed, and had returned by then
    expect(log).toEqual(["a0", "b0", "c0", "a1", "c stopped", "a stopped"]);
    log.length = 0;
    await runTasks([worker("a", 2), worker("b", 2)], "sequential");
    expect(log).toEqual(["a0", "a1", "b0", "b1"]);
  });
});
