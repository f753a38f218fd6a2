/**
 * The ledger: for one tuned model against the base, one row per (probe, metric[, domain])
 * with both values, the paired difference, its CI, p, the adjusted p across the ledger,
 * n and a verdict; a hidden-trade flag where a probe's proxy gained while its capability
 * lost; and item transitions (gained, lost, churn) with examples.
 *
 * Verdicts (α = 0.05 on the adjusted p, Holm by default):
 *   gained / lost     significant, in the metric's good / bad direction
 *   unchanged         not significant, the whole CI lies within ±margin (the metric's
 *                     equivalence margin), and n ≥ 10: a confident "no change that matters"
 *                     (a bootstrap interval of a handful of items can be zero-wide and
 *                     says nothing)
 *   inconclusive      not significant, and the CI reaches past the margin: more items needed
 */
import type { Item, ItemRecord, MetricRole, MetricSpec, MetricValues, Probe } from "../probes/index.js";
import { clipText, promptFormatName } from "../probes/index.js";
import { pAdjust, type EffectSize, type PAdjustMethod } from "../stats/index.js";
import { hash32 } from "../random/index.js";
import { rowStats, type RowStats, type StatsSettings } from "./row-stats.js";
import type { Arm, UnavailableProbe } from "./runner.js";
import type { RunStore } from "./store.js";

export type Verdict = "gained" | "lost" | "unchanged" | "inconclusive";

export interface Example {
  id: string;
  prompt: string;
  answer: string;
  base: Record<string, unknown>;
  tuned: Record<string, unknown>;
}

export interface Transitions {
  /** Base wrong, tuned right. */
  gained: number;
  /** Base right, tuned wrong. */
  lost: number;
  /** (gained + lost) / n: how much changed under a steady total. */
  churn: number;
  gainedIds: string[];
  lostIds: string[];
  examples: { gained: Example[]; lost: Example[] };
}

/** One ledger row: a metric of a probe (in a domain), its statistics (row-stats.ts) and its reading. */
export interface LedgerRow extends Omit<RowStats, "kind" | "discordant" | "test"> {
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
  /** p adjusted across the ledger (Holm or Benjamini-Hochberg). */
  pAdj: number;
  verdict: Verdict;
  hiddenTrade: boolean;
  test: string;
  margin: number;
  transitions?: Transitions;
  /** Other probes that report this same metric (MetricSpec.shared); the row stands for them too. */
  sharedBy?: string[];
  /** The metric is about each item's parent (MetricSpec.about): its transitions name variants, whose parents were gained or lost. */
  aboutParent?: boolean;
}

export interface HiddenTrade {
  probe: string;
  domain?: string;
  proxy: string[];
  capability: string[];
}

export interface Ledger {
  /** 1-based index of the tuned model. */
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
  seed: number;
  /** Examples kept per transition kind. */
  examples: number;
}

const EXAMPLE_CHARS = 400;
/** Fewer paired items than this are never "unchanged" (see the verdicts above). */
export const MIN_UNCHANGED_N = 10;

function verdictOf(row: Pick<LedgerRow, "pAdj" | "delta" | "ciLow" | "ciHigh" | "higherIsBetter" | "margin" | "n">, alpha: number): Verdict {
  if (!(row.n > 0) || !Number.isFinite(row.delta)) return "inconclusive";
  if (row.pAdj < alpha && row.delta !== 0) return (row.delta > 0) === row.higherIsBetter ? "gained" : "lost";
  if (row.n >= MIN_UNCHANGED_N && Number.isFinite(row.ciLow) && Number.isFinite(row.ciHigh) && row.ciLow >= -row.margin && row.ciHigh <= row.margin) return "unchanged";
  return "inconclusive";
}

function transitionsOf(metric: string, items: readonly Item[], base: readonly ItemRecord[], tuned: readonly ItemRecord[], keep: number, aboutParent = false): Transitions {
  const gainedIds: string[] = [];
  const lostIds: string[] = [];
  let n = 0;
  base.forEach((b, i) => {
    const x = b.values[metric];
    const y = tuned[i].values[metric];
    if (typeof x !== "number" || typeof y !== "number") return;
    n++;
    if (x === 0 && y === 1) gainedIds.push(b.itemId);
    if (x === 1 && y === 0) lostIds.push(b.itemId);
  });
  const byId = new Map(items.map((it) => [it.id, it]));
  const at = new Map(base.map((b, i) => [b.itemId, i]));
  const example = (id: string): Example => {
    const own = byId.get(id)!;
    const it = (aboutParent && own.variantOf !== undefined ? byId.get(own.variantOf) : undefined) ?? own;
    const i = at.get(id)!;
    return { id, prompt: clipText(it.prompt, EXAMPLE_CHARS), answer: clipText(it.answer, EXAMPLE_CHARS), base: base[i].detail, tuned: tuned[i].detail };
  };
  return {
    gained: gainedIds.length, lost: lostIds.length, churn: n > 0 ? (gainedIds.length + lostIds.length) / n : NaN,
    gainedIds, lostIds,
    examples: { gained: gainedIds.slice(0, keep).map(example), lost: lostIds.slice(0, keep).map(example) },
  };
}

/** Records of two arms paired by item, in item order, optionally restricted to one domain. */
function paired(items: readonly Item[], base: readonly ItemRecord[], tuned: readonly ItemRecord[], domain?: string) {
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

/** The rows of one probe for one (base arm, tuned arm) pair. */
function probeRows(probe: Probe, items: readonly Item[], base: ItemRecord[], tuned: ItemRecord[], formats: LedgerRow["formats"], s: LedgerSettings, roleOverride?: MetricRole): Omit<LedgerRow, "pAdj" | "verdict" | "hiddenTrade">[] {
  const measured = new Set(base.map((r) => r.itemId));
  const domains = probe.perDomain ? [...new Set(items.filter((it) => measured.has(it.id)).map((it) => it.domain))] : [undefined];
  const rows: Omit<LedgerRow, "pAdj" | "verdict" | "hiddenTrade">[] = [];
  for (const domain of domains) {
    const pair = paired(items, base, tuned, domain);
    for (const metric of probe.metrics) {
      const seed = hash32(`${s.seed}|${probe.id}|${metric.name}|${domain ?? ""}|${formats.tuned}`);
      const st = rowStats(metric, pair.base.map((r) => r.values as MetricValues), pair.tuned.map((r) => r.values as MetricValues), seed, s);
      const row: Omit<LedgerRow, "pAdj" | "verdict" | "hiddenTrade"> = {
        probe: probe.id, metric: metric.name, role: roleOverride ?? metric.role,
        kind: metric.aggregate ? "set" : metric.kind, unit: metric.unit, higherIsBetter: metric.higherIsBetter,
        description: metric.description, formats, tunedInBaseFormat: roleOverride !== undefined,
        base: st.base, tuned: st.tuned, delta: st.delta, ciLow: st.ciLow, ciHigh: st.ciHigh, p: st.p, n: st.n,
        test: st.test, mde: st.mde, margin: metric.margin,
      };
      if (domain !== undefined) row.domain = domain;
      if (st.effect) row.effect = st.effect;
      if (st.note) row.note = st.note;
      if (metric.about === "parent") row.aboutParent = true;
      if (metric.kind === "binary" && !metric.aggregate) row.transitions = transitionsOf(metric.name, items, pair.base, pair.tuned, s.examples, metric.about === "parent");
      rows.push(row);
    }
  }
  return rows;
}

/** Keep one row per shared metric (MetricSpec.shared), domain and formats; the kept row lists the other probes. */
function dedupeShared(draft: Omit<LedgerRow, "pAdj" | "verdict" | "hiddenTrade">[], probes: readonly Probe[]): void {
  const sharedKey = new Map<string, string>();
  for (const p of probes) for (const m of p.metrics) if (m.shared) sharedKey.set(`${p.id}\u0000${m.name}`, m.shared);
  const kept = new Map<string, Omit<LedgerRow, "pAdj" | "verdict" | "hiddenTrade">>();
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

/** Flag rows of a probe (and domain) whose proxy gained while a capability lost. */
function markHiddenTrades(rows: LedgerRow[]): HiddenTrade[] {
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
    const draft: Omit<LedgerRow, "pAdj" | "verdict" | "hiddenTrade">[] = [];
    for (const arm of arms) {
      const sameFormat = arm.inBaseFormat;
      for (const probe of arm.probes) {
        if (skipped(arm.key, probe.id)) continue;
        const formats = { base: promptFormatName(base.format), tuned: promptFormatName(arm.format) };
        const b = o.store.records(o.runId, base.key, probe.id);
        const t = o.store.records(o.runId, arm.key, probe.id);
        const rows = probeRows(probe, o.items, b, t, formats, o.settings, sameFormat ? "capability" : undefined);
        if (sameFormat) for (const r of rows) r.note = "the tuned model prompted in the base's format: the gain that does not depend on the fine-tune's prompt format";
        draft.push(...rows);
      }
    }
    dedupeShared(draft, arms.flatMap((a) => a.probes));
    const adjusted = pAdjust[o.settings.adjust](draft.map((r) => (Number.isFinite(r.p) ? r.p : NaN)));
    const rows: LedgerRow[] = draft.map((r, i) => {
      const row = { ...r, pAdj: adjusted[i], verdict: "inconclusive" as Verdict, hiddenTrade: false };
      row.verdict = verdictOf(row, o.settings.alpha);
      return row;
    });
    const hiddenTrades = markHiddenTrades(rows);
    const first = arms[0];
    return {
      tuned: index, spec: first.model.spec, modelId: first.model.model.id, rows, hiddenTrades,
      unavailable: o.unavailable.filter((u) => arms.some((a) => a.key === u.arm) || u.arm === base.key),
      adjust: o.settings.adjust, alpha: o.settings.alpha,
    };
  });
}
