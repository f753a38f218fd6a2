/**
 * The ledger of a recipe rather than of one fine-tune: several tuned models that differ
 * only in the fine-tuning seed (`--tuned-seeds`), pooled. Each row's Δ is the mean over
 * seeds of the paired difference, its interval comes from resampling seeds and item
 * clusters together (src/stats seeds.ts), and it carries every seed's own Δ and their
 * spread, so a reader sees how much of a change is the seed. Verdicts, adjustment and
 * hidden trades are the ordinary ledger's (verdict.ts).
 */
import type { Item, ItemRecord, MetricSpec, MetricValues, Probe } from "../probes/index.js";
import { clusterOf, promptFormatName } from "../probes/index.js";
import { hash32 } from "../random/index.js";
import { seedPooledDifference, seedPooledMeanDifference, tostP, twoSidedP, type SeedInference } from "../stats/index.js";
import {
  dedupeShared, finishRows, markHiddenTrades, measurability, measurableSpec, SAME_FORMAT_NOTE, withMargin, type BuildLedgerOptions, type Draft, type Ledger, type LedgerRow,
} from "./ledger.js";
import type { Arm } from "./runner.js";

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Records of the base and every seed on the items all of them have, in item order. */
function alignedRecords(items: readonly Item[], base: readonly ItemRecord[], seeds: readonly (readonly ItemRecord[])[], domain?: string) {
  const b = new Map(base.map((r) => [r.itemId, r]));
  const t = seeds.map((rs) => new Map(rs.map((r) => [r.itemId, r])));
  const out = { items: [] as Item[], base: [] as ItemRecord[], seeds: seeds.map(() => [] as ItemRecord[]) };
  for (const it of items) {
    if (domain !== undefined && it.domain !== domain) continue;
    const x = b.get(it.id);
    const ys = t.map((m) => m.get(it.id));
    if (!x || ys.some((y) => !y)) continue;
    out.items.push(it);
    out.base.push(x);
    ys.forEach((y, s) => out.seeds[s].push(y!));
  }
  return out;
}

/** The pooled row of one metric over aligned records. */
function seedRow(metric: MetricSpec, items: readonly Item[], base: readonly ItemRecord[], seeds: readonly (readonly ItemRecord[])[], seed: number, iterations: number): { inf: SeedInference; base: number; tuned: number; n: number } {
  const stat = metric.aggregate;
  if (stat) {
    const labels = items.map(clusterOf);
    const index = new Map<string, number>();
    const members: number[][] = [];
    labels.forEach((l, i) => {
      if (!index.has(l)) {
        index.set(l, members.length);
        members.push([]);
      }
      members[index.get(l)!].push(i);
    });
    const values = (rs: readonly ItemRecord[]) => rs.map((r) => r.values as MetricValues);
    const bv = values(base);
    const tv = seeds.map(values);
    const diffOn = (s: number, pick: ArrayLike<number>) => {
      const b: MetricValues[] = [];
      const t: MetricValues[] = [];
      for (let j = 0; j < pick.length; j++) for (const i of members[pick[j]]) {
        b.push(bv[i]);
        t.push(tv[s][i]);
      }
      return stat(t) - stat(b);
    };
    const inf = seedPooledDifference(seeds.length, members.length, items.length, diffOn, { seed, iterations });
    return { inf, base: stat(bv), tuned: mean(tv.map((t) => stat(t))), n: items.length };
  }
  const keep = base.map((r, i) => finite(r.values[metric.name]) && seeds.every((t) => finite(t[i].values[metric.name])));
  const at = keep.flatMap((k, i) => (k ? [i] : []));
  const diffs = seeds.map((t) => at.map((i) => (t[i].values[metric.name] as number) - (base[i].values[metric.name] as number)));
  const inf = seedPooledMeanDifference(diffs, at.map((i) => clusterOf(items[i])), { seed, iterations });
  const b = at.map((i) => base[i].values[metric.name] as number);
  return { inf, base: b.length ? mean(b) : NaN, tuned: b.length ? mean(seeds.map((t) => mean(at.map((i) => t[i].values[metric.name] as number)))) : NaN, n: at.length };
}

/** The ledger pooled over the tuned models `seedIndexes` (seeds of one recipe), or undefined when there are fewer than 2. */
export function buildSeedLedger(o: BuildLedgerOptions, seedIndexes: readonly number[]): Ledger | undefined {
  const base = o.arms.find((a) => a.role === "base");
  if (!base) throw new Error("an audit needs a base arm");
  const armsOf = (inBaseFormat: boolean) => seedIndexes.map((i) => o.arms.find((a) => a.role === "tuned" && a.index === i && a.inBaseFormat === inBaseFormat)).filter((a): a is Arm => a !== undefined);
  const arms = armsOf(false);
  if (arms.length < 2) return undefined;
  const skipped = (probe: string, group: readonly Arm[]) => o.unavailable.some((u) => (u.arm === base.key || group.some((a) => a.key === u.arm)) && u.probe === probe);
  const draft: Draft[] = [];
  // each seed in its own format; and, where every seed also ran in the base's format, those arms pooled too
  const sameFormat = armsOf(true);
  for (const group of sameFormat.length === arms.length ? [arms, sameFormat] : [arms]) {
    const inBase = group[0].inBaseFormat;
    const formats = { base: promptFormatName(base.format), tuned: promptFormatName(group[0].format) };
    for (const probe of group[0].probes as Probe[]) {
      if (skipped(probe.id, group)) continue;
      const b = o.store.records(o.runId, base.key, probe.id);
      const ts = group.map((a) => o.store.records(o.runId, a.key, probe.id));
      const measuredIds = new Set(b.map((r) => r.itemId));
      const domains = probe.perDomain ? [...new Set(o.items.filter((it) => measuredIds.has(it.id)).map((it) => it.domain))] : [undefined];
      for (const domain of domains) {
        const al = alignedRecords(o.items, b, ts, domain);
        const add = (metric: MetricSpec, bb: readonly ItemRecord[], tt: readonly (readonly ItemRecord[])[]) => {
          const seed = hash32(`${o.settings.seed}|seeds|${probe.id}|${metric.name}|${domain ?? ""}|${formats.tuned}`);
          const r = seedRow(metric, al.items, bb, tt, seed, o.settings.setIterations * 2);
          const row: Draft = {
            probe: probe.id, metric: metric.name, role: inBase ? "capability" : metric.role, kind: metric.aggregate ? "set" : metric.kind, unit: metric.unit,
            higherIsBetter: metric.higherIsBetter, description: metric.description, formats, tunedInBaseFormat: inBase, margin: metric.margin,
            n: r.n, clusters: r.inf.clusters, base: r.base, tuned: r.tuned, delta: r.inf.estimate,
            p: twoSidedP(r.inf), pTost: tostP(r.inf, metric.margin), test: r.inf.method, inference: r.inf, mdeAt: () => NaN,
            seeds: { deltas: r.inf.perSeed, sd: r.inf.seedSd },
            ...(r.inf.problem ? { note: `${r.inf.problem}: no interval or test` } : inBase ? { note: SAME_FORMAT_NOTE } : {}),
          };
          if (domain !== undefined) row.domain = domain;
          draft.push(row);
        };
        for (const declared of probe.metrics) {
          const metric = withMargin(declared, probe.id, o.settings.margins);
          add(metric, al.base, al.seeds);
          const unmeasured = !metric.aggregate && [al.base, ...al.seeds].some((rs) => rs.some((r) => !finite(r.values[metric.name])));
          if (unmeasured) add(measurableSpec(metric), measurability(al.base, metric.name), al.seeds.map((t) => measurability(t, metric.name)));
        }
      }
    }
  }
  dedupeShared(draft, [...arms[0].probes, ...(sameFormat[0]?.probes ?? [])]);
  const rows: LedgerRow[] = finishRows(draft, o.settings);
  const hiddenTrades = markHiddenTrades(rows);
  return {
    tuned: 0, spec: `${arms.length} seeds: ${arms.map((a) => a.model.spec).join(", ")}`, modelId: arms.map((a) => a.model.model.id).join(","),
    rows, hiddenTrades, unavailable: o.unavailable.filter((u) => u.arm === base.key || arms.some((a) => a.key === u.arm)),
    adjust: o.settings.adjust, alpha: o.settings.alpha,
  };
}
