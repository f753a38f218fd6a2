/**
 * The ledger: for one tuned model against the base, one row per (probe, metric[, domain])
 * with both values, the paired difference, its interval, p, the adjusted p across the
 * ledger, the equivalence (TOST) p, n and a verdict (verdict.ts); a hidden-trade flag
 * where a probe's proxy gained while its capability lost; item transitions with examples
 * (transitions.ts); and, for a metric some items could not be measured on, a paired
 * "measurable" row, so an item that stops being measurable never drops out silently.
 * Items are resampled by cluster (items.cluster: an N-1 parent and its variants, a fact and
 * its phrasings).
 */
import type { Item, ItemRecord, MetricRole, MetricSpec, MetricValues, Probe } from "../probes/index.js";
import { clusterOf, promptFormatName } from "../probes/index.js";
import { planRows, type EffectSize, type PAdjustMethod, type PairedInference } from "../stats/index.js";
import { hash32 } from "../random/index.js";
import { rowStats, type RowStats, type StatsSettings } from "./row-stats.js";
import type { Arm, UnavailableProbe } from "./runner.js";
import type { RunStore } from "./store.js";
import { transitionsOf, type Transitions } from "./transitions.js";
import { adjustAndJudge, type Verdict } from "./verdict.js";

export type { Verdict } from "./verdict.js";
export type { Example, Transitions } from "./transitions.js";

/** How many items a nullable metric could be measured on, per arm. */
export interface Measured {
  /** Items both arms ran the probe on. */
  items: number;
  base: number;
  tuned: number;
  /** Items with a value in both arms: the row's n. */
  both: number;
}

/** One ledger row: a metric of a probe (in a domain), its statistics and its reading. */
export interface LedgerRow {
  probe: string;
  metric: string;
  role: MetricRole;
  domain?: string;
  kind: "binary" | "continuous" | "set";
  unit: MetricSpec["unit"];
  higherIsBetter: boolean;
  description: string;
  /** Prompt formats compared: the base's and the tuned model's. */
  formats: { base: string; tuned: string };
  /** The tuned model prompted in the base's format (not its own): the format-independent part of a change. */
  tunedInBaseFormat: boolean;
  n: number;
  /** Independent units behind the n items (clusters). */
  clusters: number;
  base: number;
  tuned: number;
  delta: number;
  /** The interval of Δ at `ciLevel`, the level the row's adjusted test used (verdict.ts). */
  ciLow: number;
  ciHigh: number;
  ciLevel: number;
  p: number;
  /** p adjusted across the ledger (Holm or Benjamini–Hochberg). */
  pAdj: number;
  /** TOST p of |Δ| ≥ margin, and adjusted across the ledger. */
  pTost: number;
  pTostAdj: number;
  significant: boolean;
  verdict: Verdict;
  hiddenTrade: boolean;
  test: string;
  designEffect?: number;
  effect?: EffectSize;
  /** Minimum detectable effect at power 0.8 and the ledger's Bonferroni level α/m. */
  mde: number;
  /** Items needed (power 0.8, α/m, this row's discordance or spread and design effect) to detect a change of the margin, and to show equivalence within it. */
  nNeeded?: { detect: number; equivalence: number };
  margin: number;
  discordant?: { b: number; c: number };
  note?: string;
  transitions?: Transitions;
  /** Other probes that report this same metric (MetricSpec.shared); the row stands for them too. */
  sharedBy?: string[];
  /** The metric is about each item's parent (MetricSpec.about): its transitions name variants, whose parents were gained or lost. */
  aboutParent?: boolean;
  /** A nullable metric: how many items each arm could be measured on (the `.measurable` row tests it). */
  measured?: Measured;
  /** A ledger over fine-tuning seeds: each seed's own Δ, and their standard deviation. */
  seeds?: { deltas: number[]; sd: number };
  /** The test family behind p, the interval and the TOST p (not serialised; the gate uses it). */
  inference: PairedInference;
}

export interface HiddenTrade {
  probe: string;
  domain?: string;
  proxy: string[];
  capability: string[];
}

export interface Ledger {
  /** 1-based index of the tuned model; 0 for the ledger pooled over fine-tuning seeds (seed-ledger.ts). */
  tuned: number;
  spec: string;
  modelId: string;
  rows: LedgerRow[];
  hiddenTrades: HiddenTrade[];
  unavailable: UnavailableProbe[];
  adjust: PAdjustMethod;
  alpha: number;
}

export interface LedgerSettings extends StatsSettings {
  adjust: PAdjustMethod;
  /** Margins by "probe.metric" that replace the metric's own. */
  margins?: Record<string, number>;
  seed: number;
  /** Examples kept per transition kind. */
  examples: number;
}

/** A row before the ledger-wide adjustment. */
export type Draft = Omit<LedgerRow, "pAdj" | "pTostAdj" | "ciLow" | "ciHigh" | "ciLevel" | "significant" | "verdict" | "hiddenTrade" | "mde"> & {
  mdeAt: (alpha: number) => number;
  plan?: RowStats["plan"];
};

/** The note on rows of a tuned model prompted in the base's format. */
export const SAME_FORMAT_NOTE = "the tuned model prompted in the base's format: the gain that does not depend on the fine-tune's prompt format";

/** The suffix of a nullable metric's measurability row. */
export const MEASURABLE = ".measurable";

/** Records of two arms paired by item, in item order, optionally restricted to one domain. */
export function paired(items: readonly Item[], base: readonly ItemRecord[], tuned: readonly ItemRecord[], domain?: string) {
  const t = new Map(tuned.map((r) => [r.itemId, r]));
  const b = new Map(base.map((r) => [r.itemId, r]));
  const pb: ItemRecord[] = [];
  const pt: ItemRecord[] = [];
  for (const it of items) {
    if (domain !== undefined && it.domain !== domain) continue;
    const x = b.get(it.id);
    const y = t.get(it.id);
    if (x && y) {
      pb.push(x);
      pt.push(y);
    }
  }
  return { base: pb, tuned: pt };
}

/** 1 where `metric` has a value, 0 where it is null: the record of its measurability row. */
export function measurability(records: readonly ItemRecord[], metric: string): ItemRecord[] {
  return records.map((r) => {
    const v = r.values[metric];
    return { ...r, values: { [metric + MEASURABLE]: typeof v === "number" && Number.isFinite(v) ? 1 : 0 } };
  });
}

/** How many of the paired items have `metric` in each arm. */
export function measuredCounts(base: readonly ItemRecord[], tuned: readonly ItemRecord[], metric: string): Measured {
  const has = (r: ItemRecord) => typeof r.values[metric] === "number" && Number.isFinite(r.values[metric] as number);
  let b = 0;
  let t = 0;
  let both = 0;
  base.forEach((r, i) => {
    const x = has(r);
    const y = has(tuned[i]);
    if (x) b++;
    if (y) t++;
    if (x && y) both++;
  });
  return { items: base.length, base: b, tuned: t, both };
}

/** The measurability row's metric: binary, a capability (losing it is losing what the metric needs), the metric's margin when it is a share. */
export function measurableSpec(m: MetricSpec): MetricSpec {
  return {
    name: m.name + MEASURABLE, role: "capability", kind: "binary", higherIsBetter: true, unit: "share",
    margin: m.unit === "share" ? m.margin : 0.02,
    description: `share of items on which ${m.name} could be measured (it is null on the others: e.g. no chain of thought to cut, no valid sample)`,
    ...(m.shared ? { shared: m.shared + MEASURABLE } : {}),
  };
}

/** The metric with the margin the audit's settings give "probe.metric", if any. */
export function withMargin(m: MetricSpec, probe: string, margins: Record<string, number> | undefined): MetricSpec {
  const given = margins?.[`${probe}.${m.name}`];
  return given === undefined ? m : { ...m, margin: given };
}

/** The rows of one probe for one (base arm, tuned arm) pair. */
function probeRows(probe: Probe, items: readonly Item[], base: ItemRecord[], tuned: ItemRecord[], formats: LedgerRow["formats"], s: LedgerSettings, roleOverride?: MetricRole): Draft[] {
  const measured = new Set(base.map((r) => r.itemId));
  const domains = probe.perDomain ? [...new Set(items.filter((it) => measured.has(it.id)).map((it) => it.domain))] : [undefined];
  const byId = new Map(items.map((it) => [it.id, it]));
  const rows: Draft[] = [];
  for (const domain of domains) {
    const pair = paired(items, base, tuned, domain);
    const clusters = pair.base.map((r) => clusterOf(byId.get(r.itemId)!));
    const row = (metric: MetricSpec, b: readonly ItemRecord[], t: readonly ItemRecord[]): Draft => {
      const seed = hash32(`${s.seed}|${probe.id}|${metric.name}|${domain ?? ""}|${formats.tuned}`);
      const { inference, mdeAt, ...st } = rowStats(metric, b.map((r) => r.values as MetricValues), t.map((r) => r.values as MetricValues), clusters, { seed, settings: s });
      const r: Draft = {
        probe: probe.id, metric: metric.name, role: roleOverride ?? metric.role,
        kind: metric.aggregate ? "set" : metric.kind, unit: metric.unit, higherIsBetter: metric.higherIsBetter,
        description: metric.description, formats, tunedInBaseFormat: roleOverride !== undefined, margin: metric.margin,
        ...st, inference, mdeAt,
      };
      if (domain !== undefined) r.domain = domain;
      if (metric.about === "parent") r.aboutParent = true;
      if (metric.kind === "binary" && !metric.aggregate) r.transitions = transitionsOf(metric.name, items, b, t, s.examples, metric.about === "parent");
      return r;
    };
    for (const declared of probe.metrics) {
      const metric = withMargin(declared, probe.id, s.margins);
      const main = row(metric, pair.base, pair.tuned);
      rows.push(main);
      const counts = measuredCounts(pair.base, pair.tuned, metric.name);
      if (metric.aggregate || counts.both === counts.items || counts.base + counts.tuned === 0) continue;
      main.measured = counts;
      rows.push(row(measurableSpec(metric), measurability(pair.base, metric.name), measurability(pair.tuned, metric.name)));
    }
  }
  return rows;
}

/** Keep one row per shared metric (MetricSpec.shared), domain and formats; the kept row lists the other probes. */
export function dedupeShared(draft: Draft[], probes: readonly Probe[]): void {
  const sharedKey = new Map<string, string>();
  for (const p of probes) {
    for (const m of p.metrics) {
      if (!m.shared) continue;
      sharedKey.set(`${p.id}\u0000${m.name}`, m.shared);
      sharedKey.set(`${p.id}\u0000${m.name}${MEASURABLE}`, m.shared + MEASURABLE);
    }
  }
  const kept = new Map<string, Draft>();
  for (let i = 0; i < draft.length; i++) {
    const r = draft[i];
    const shared = sharedKey.get(`${r.probe}\u0000${r.metric}`);
    if (!shared) continue;
    const k = `${shared}\u0000${r.domain ?? ""}\u0000${r.formats.tuned}`;
    const first = kept.get(k);
    if (!first) {
      kept.set(k, r);
      continue;
    }
    first.sharedBy = [...(first.sharedBy ?? []), r.probe];
    draft.splice(i--, 1);
  }
}

/** Adjust and judge the drafts, and state each row's MDE and items needed at the ledger's Bonferroni level. */
export function finishRows(draft: readonly Draft[], s: Pick<LedgerSettings, "adjust" | "alpha">): LedgerRow[] {
  const m = Math.max(1, draft.filter((r) => Number.isFinite(r.p)).length);
  return adjustAndJudge(draft, s.adjust, s.alpha).map(({ mdeAt, plan, ...r }) => {
    const row: LedgerRow = { ...r, mde: mdeAt(s.alpha / m), hiddenTrade: false };
    if (plan) {
      const [p] = planRows([{ label: r.metric, kind: plan.psi !== undefined ? "binary" : "continuous", unit: r.unit, margin: r.margin, nNow: r.n, psi: plan.psi, sd: plan.sd, deff: plan.deff, notes: [] }], { alpha: s.alpha, power: 0.8, rows: m });
      if (p.nDetect !== null && p.nEquivalence !== null) row.nNeeded = { detect: p.nDetect, equivalence: p.nEquivalence };
    }
    return row;
  });
}

/** Flag rows of a probe (and domain) whose proxy gained while a capability lost. */
export function markHiddenTrades(rows: LedgerRow[]): HiddenTrade[] {
  const groups = new Map<string, { probe: string; domain?: string; rows: LedgerRow[] }>();
  for (const r of rows) {
    for (const probe of [r.probe, ...(r.sharedBy ?? [])]) {
      const k = `${probe}\u0000${r.domain ?? ""}`;
      const g = groups.get(k) ?? { probe, ...(r.domain !== undefined ? { domain: r.domain } : {}), rows: [] };
      g.rows.push(r);
      groups.set(k, g);
    }
  }
  const trades: HiddenTrade[] = [];
  for (const { probe, domain, rows: g } of groups.values()) {
    const proxy = g.filter((r) => r.role === "proxy" && r.verdict === "gained");
    const capability = g.filter((r) => r.role === "capability" && r.verdict === "lost");
    if (proxy.length === 0 || capability.length === 0) continue;
    for (const r of [...proxy, ...capability]) r.hiddenTrade = true;
    const t: HiddenTrade = { probe, proxy: proxy.map((r) => r.metric), capability: capability.map((r) => r.metric) };
    if (domain !== undefined) t.domain = domain;
    trades.push(t);
  }
  return trades;
}

export interface BuildLedgerOptions {
  runId: string;
  store: RunStore;
  arms: readonly Arm[];
  probes: readonly Probe[];
  items: readonly Item[];
  unavailable: readonly UnavailableProbe[];
  settings: LedgerSettings;
}

/** One ledger per tuned model, from the stored records only. */
export function buildLedgers(o: BuildLedgerOptions): Ledger[] {
  const base = o.arms.find((a) => a.role === "base");
  if (!base) throw new Error("an audit needs a base arm");
  const skipped = (arm: string, probe: string) => o.unavailable.some((u) => (u.arm === arm || u.arm === base.key) && u.probe === probe);
  const tunedIndexes = [...new Set(o.arms.filter((a) => a.role === "tuned").map((a) => a.index))];
  return tunedIndexes.map((index) => {
    const arms = o.arms.filter((a) => a.role === "tuned" && a.index === index);
    const draft: Draft[] = [];
    for (const arm of arms) {
      const sameFormat = arm.inBaseFormat;
      for (const probe of arm.probes) {
        if (skipped(arm.key, probe.id)) continue;
        const formats = { base: promptFormatName(base.format), tuned: promptFormatName(arm.format) };
        const b = o.store.records(o.runId, base.key, probe.id);
        const t = o.store.records(o.runId, arm.key, probe.id);
        const rows = probeRows(probe, o.items, b, t, formats, o.settings, sameFormat ? "capability" : undefined);
        if (sameFormat) for (const r of rows) r.note = SAME_FORMAT_NOTE;
        draft.push(...rows);
      }
    }
    dedupeShared(draft, arms.flatMap((a) => a.probes));
    const rows = finishRows(draft, o.settings);
    const hiddenTrades = markHiddenTrades(rows);
    const first = arms[0];
    return {
      tuned: index, spec: first.model.spec, modelId: first.model.model.id, rows, hiddenTrades,
      unavailable: o.unavailable.filter((u) => arms.some((a) => a.key === u.arm) || u.arm === base.key),
      adjust: o.settings.adjust, alpha: o.settings.alpha,
    };
  });
}
