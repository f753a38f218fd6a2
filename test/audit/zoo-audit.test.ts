/**
 * The audit on a real zoo model: a model audited against itself gives no significant
 * row after adjustment (every probe), and a deliberately damaged copy is caught.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WORLD } from "../../src/world/index.js";
import { audit, openRunStore, suiteItems, type AuditModel, type RunStore } from "../../src/audit/index.js";
import { openModel, type LanguageModel } from "../../src/backends/index.js";
import { PROBES, selectProbes, type Item } from "../../src/probes/index.js";
import { saveDamagedCopy } from "../helpers/damaged-model.js";

let dir: string;
const opened: LanguageModel[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ftledger-zoo-audit-"));
});

afterAll(async () => {
  for (const m of opened) await m.close();
  await rm(dir, { recursive: true, force: true });
});

async function open(spec: string): Promise<LanguageModel> {
  const m = await openModel(spec);
  opened.push(m);
  return m;
}

const raw = { kind: "raw" } as const;
const settings = { seed: 3, samples: 4, maxTokens: 160, batchSize: 16, sameFormat: true };

function items(n: number, documents: number): Item[] {
  return [...suiteItems("arithmetic", DEFAULT_WORLD, n), ...suiteItems("knowledge", DEFAULT_WORLD, n), ...suiteItems("reference", DEFAULT_WORLD, documents)];
}

describe("self against self", () => {
  it("two separately opened copies of zoo/base-s: every probe runs, no row is significant after adjustment", async () => {
    // two instances, no shared cache: the records agree because every request is seeded per item
    const base: AuditModel = { spec: "builtin:zoo/base-s", model: await open("builtin:zoo/base-s"), format: raw };
    const tuned: AuditModel = { spec: "builtin:zoo/base-s", model: await open("builtin:zoo/base-s"), format: raw };
    let store: RunStore | undefined;
    try {
      store = openRunStore(join(dir, "self"));
      const r = await audit({ base, tuned: [tuned], probes: Object.values(PROBES), items: items(12, 4), sources: ["test"], settings, store });
      const rows = r.ledgers[0].rows;
      const measured = new Set(rows.filter((x) => x.n > 0).map((x) => x.probe));
      // structured.feasibility has no items in these suites; every other probe measured something
      expect([...measured].sort()).toEqual(Object.keys(PROBES).filter((p) => p !== "structured.feasibility").sort());
      const significant = rows.filter((x) => x.verdict === "gained" || x.verdict === "lost");
      expect(significant).toEqual([]);
      expect(r.ledgers[0].hiddenTrades).toEqual([]);
      for (const x of rows.filter((y) => y.n > 0)) expect(x.delta).toBeCloseTo(0, 12);
    } finally {
      store?.close();
    }
  }, 120_000);
});

describe("a planted difference", () => {
  it("a copy of zoo/base-s with noise in its weights is detected as a loss", async () => {
    await saveDamagedCopy("base-s", join(dir, "damaged"), { scale: 0.6, seed: 7 });
    const base: AuditModel = { spec: "builtin:zoo/base-s", model: await open("builtin:zoo/base-s"), format: raw };
    const tuned: AuditModel = { spec: "damaged", model: await open(`builtin:${join(dir, "damaged")}`), format: raw };
    const probes = selectProbes(["task.accuracy", "knowledge.drift"]);
    if (!probes.ok) throw new Error(probes.error);
    const store = openRunStore(join(dir, "planted"));
    try {
      const r = await audit({ base, tuned: [tuned], probes: probes.value, items: items(40, 24), sources: ["test"], settings, store });
      const row = (probe: string, metric: string, domain?: string) => r.ledgers[0].rows.find((x) => x.probe === probe && x.metric === metric && x.domain === domain)!;
      expect(row("task.accuracy", "accuracy", "arithmetic").verdict).toBe("lost");
      expect(row("task.accuracy", "accuracy", "arithmetic").delta).toBeLessThan(-0.2);
      expect(row("knowledge.drift", "kl", "knowledge").verdict).toBe("lost");
      expect(row("knowledge.drift", "kl", "knowledge").tuned).toBeGreaterThan(0.05);
    } finally {
      store.close();
    }
  }, 120_000);
});
