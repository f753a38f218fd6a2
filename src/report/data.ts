/**
 * What a report is made of — a run's stored result (the ledger JSON), its items, and its
 * per-item records — and the series each plot draws, read from those records. Every
 * series is computed here from the stored data only, so a report of a resumed run equals
 * that of an uninterrupted one.
 */
import { z } from "zod";
import type { AuditResultJson, RunStore } from "../audit/index.js";
import { RESULT_SCHEMA, armKey, parseArmKey } from "../audit/index.js";
import { SOLUTION_CLASSES } from "../world/index.js";
import { type Item, type ItemRecord } from "../probes/index.js";
import { wilson } from "../stats/index.js";

export interface ReportInput {
  result: AuditResultJson;
  items: Item[];
  /** The stored records of one arm ("base", "tuned1", "tuned1@base-format") and probe; [] when none. */
  records(arm: string, probe: string): ItemRecord[];
}

/**
 * The report input of a stored, finished run; undefined when the run does not exist or
 * has no result of this schema yet (still running, or written by another version).
 * NOTE: records are read lazily (and kept once read), so keep the store open until the
 * report is rendered.
 */
const num = z.number().nullable();
/**
 * The fields the report and the viewer print without escaping (numbers, enums) must be
 * what they claim: a store can be hand-made or come from someone else, and a string in a
 * number's place would otherwise reach the HTML as markup. Other fields pass through
 * (strings are always escaped where they are printed).
 */
const resultShape = z.looseObject({
  schema: z.literal(RESULT_SCHEMA),
  manifest: z.looseObject({
    settings: z.looseObject({ seed: z.number(), samples: z.number(), maxTokens: z.number() }),
    items: z.looseObject({ count: z.number() }),
  }),
  ledgers: z.array(z.looseObject({
    tuned: z.number(),
    adjust: z.enum(["holm", "benjamini-hochberg"]),
    alpha: z.number(),
    rows: z.array(z.looseObject({
      n: z.number(), verdict: z.enum(["gained", "lost", "negligible", "equivalent", "inconclusive"]), role: z.enum(["proxy", "capability"]),
      base: num, tuned: num, delta: num, ci_low: num, ci_high: num, p: num, p_adj: num, mde: num, margin: z.number(),
      hidden_trade: z.boolean(), higher_is_better: z.boolean(),
    })),
  })),
});

/** The stored result when it is an audit result of this version with well-typed fields, else undefined. */
export function readAuditResult(x: unknown): AuditResultJson | undefined {
  return resultShape.safeParse(x).success ? (x as AuditResultJson) : undefined;
}

export function reportInputFromStore(store: RunStore, runId: string): ReportInput | undefined {
  const run = store.run(runId);
  const result = readAuditResult(run?.result);
  if (!result) return undefined;
  const cache = new Map<string, ItemRecord[]>();
  return {
    result,
    items: store.items(runId),
    records(arm, probe) {
      const k = `${arm}\u0000${probe}`;
      let got = cache.get(k);
      if (!got) {
        got = store.records(runId, arm, probe);
        cache.set(k, got);
      }
      return got;
    },
  };
}

export interface PlotArm {
  /** "base", "tuned1", … */
  key: string;
  /** "base", "tuned #1", … */
  label: string;
  spec: string;
}

/** The arms plots compare: the base and each tuned model in its own format (not the same-format arms). */
export function plotArms(result: AuditResultJson): PlotArm[] {
  const models = result.manifest?.models ?? [];
  const specOf = (i: number) => models.find((m) => m.index === i)?.spec ?? "";
  const arms = result.manifest?.arms?.filter((a) => parseArmKey(a.key)?.inBaseFormat === false) ?? [];
  if (arms.length === 0) {
    return [
      { key: armKey({ index: 0, inBaseFormat: false }), label: "base", spec: specOf(0) },
      ...result.ledgers.map((l) => ({ key: armKey({ index: l.tuned, inBaseFormat: false }), label: `tuned #${l.tuned}`, spec: l.spec })),
    ];
  }
  return arms.map((a) => ({ key: a.key, label: a.model === 0 ? "base" : `tuned #${a.model}`, spec: specOf(a.model) }));
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/** A share with its 95% Wilson interval. */
export interface Share {
  k: number;
  n: number;
  p: number;
  lo: number;
  hi: number;
}

function share(k: number, n: number): Share {
  const w = wilson(k, n);
  return { k, n, p: w.p, lo: w.lo, hi: w.hi };
}

// ---------------------------------------------------------------------------------------
// early answering: mean match vs fraction of the chain of thought kept

export const EARLY_ANSWERING = "faithfulness.early-answering";
/** Fractions kept at which every item's step curve is read. */
export const CURVE_GRID = Array.from({ length: 11 }, (_, i) => i / 10);

export interface CurvePoint extends Share {
  arm: string;
  fraction: number;
}

/**
 * Each item's curve is a step function of the fraction kept, k/n (early-answering.ts:
 * match_k holds on [k/n, (k+1)/n), match_n = 1). Read at each grid fraction, its mean over
 * items is the share of items whose forced answer already equals the final one, with a
 * Wilson interval. Items with no complete curve (aoc null) are left out.
 */
export function earlyAnsweringCurves(input: ReportInput, arms: readonly PlotArm[]): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (const arm of arms) {
    const curves: { fraction: number; match: number }[][] = [];
    for (const r of input.records(arm.key, EARLY_ANSWERING)) {
      const c = r.detail.curve;
      if (!Array.isArray(c)) continue;
      const pts = c.filter((p): p is { fraction: number; match: number } => isObject(p) && isNum(p.fraction) && isNum(p.match));
      if (pts.length > 0) curves.push([...pts].sort((a, b) => a.fraction - b.fraction));
    }
    if (curves.length === 0) continue;
    for (const g of CURVE_GRID) {
      let k = 0;
      for (const c of curves) {
        let m = c[0].match;
        for (const p of c) if (p.fraction <= g + 1e-9) m = p.match;
        k += m === 1 ? 1 : 0;
      }
      out.push({ arm: arm.label, fraction: g, ...share(k, curves.length) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// format distribution: pooled format shares of format.collapse's samples, per arm

export const FORMAT_COLLAPSE = "format.collapse";

export interface FormatBar {
  arm: string;
  format: string;
  count: number;
  share: number;
  /** Items and samples pooled in this arm's bar. */
  items: number;
  samples: number;
}

/** The pooled counts of `count.<format>` (format-collapse.ts) per arm, as shares. */
export function solutionClassShares(input: ReportInput, arms: readonly PlotArm[]): FormatBar[] {
  const out: FormatBar[] = [];
  for (const arm of arms) {
    const counts = SOLUTION_CLASSES.map(() => 0);
    let items = 0;
    for (const r of input.records(arm.key, FORMAT_COLLAPSE)) {
      const c = SOLUTION_CLASSES.map((f) => r.values[`count.${f}`]);
      if (!c.some(isNum)) continue;
      items++;
      c.forEach((x, i) => (counts[i] += isNum(x) ? x : 0));
    }
    const samples = counts.reduce((a, b) => a + b, 0);
    if (samples === 0) continue;
    SOLUTION_CLASSES.forEach((f, i) => out.push({ arm: arm.label, format: f, count: counts[i], share: counts[i] / samples, items, samples }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// calibration: reliability bins

export const CALIBRATION = "calibration";
/** Equal-width confidence bins ((m−1)/M, m/M], 0 in the first — the ECE's bins (calibration.ts). */
const BINS = 10;

export interface ReliabilityPoint extends Share {
  arm: string;
  /** Mean confidence of the bin's items. */
  confidence: number;
  lower: number;
  upper: number;
}

function binOf(confidence: number): number {
  let b = Math.min(BINS - 1, Math.max(0, Math.ceil(confidence * BINS) - 1));
  if (b > 0 && confidence <= b / BINS) b--;
  else if (b < BINS - 1 && confidence > (b + 1) / BINS) b++;
  return b;
}

/** The non-empty reliability bins of each arm: mean confidence against accuracy (Wilson CI). */
export function reliabilityCurves(input: ReportInput, arms: readonly PlotArm[]): ReliabilityPoint[] {
  const out: ReliabilityPoint[] = [];
  for (const arm of arms) {
    const bins = Array.from({ length: BINS }, () => ({ n: 0, k: 0, conf: 0 }));
    for (const r of input.records(arm.key, CALIBRATION)) {
      const { confidence, correct } = r.values;
      if (!isNum(confidence) || !isNum(correct)) continue;
      const b = bins[binOf(confidence)];
      b.n++;
      b.k += correct === 1 ? 1 : 0;
      b.conf += confidence;
    }
    bins.forEach((b, i) => {
      if (b.n > 0) out.push({ arm: arm.label, confidence: b.conf / b.n, lower: i / BINS, upper: (i + 1) / BINS, ...share(b.k, b.n) });
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// near-neighbour generalisation: ID vs N-1 accuracy per domain

export const NEAR_NEIGHBOUR = "generalisation.n1";

export interface N1Bar extends Share {
  arm: string;
  domain: string;
  split: "ID" | "N-1";
}

/** Accuracy on the parents (ID) and on their variants (N-1) per arm and domain, with Wilson CIs. */
export function n1Accuracy(input: ReportInput, arms: readonly PlotArm[]): N1Bar[] {
  const domainOf = new Map(input.items.map((it) => [it.id, it.domain]));
  const out: N1Bar[] = [];
  for (const arm of arms) {
    const by = new Map<string, { id: number[]; n1: number[] }>();
    for (const r of input.records(arm.key, NEAR_NEIGHBOUR)) {
      const d = domainOf.get(r.itemId) ?? "default";
      const acc = by.get(d) ?? { id: [], n1: [] };
      by.set(d, acc);
      if (isNum(r.values["id-accuracy"])) acc.id.push(r.values["id-accuracy"]);
      if (isNum(r.values["n1-accuracy"])) acc.n1.push(r.values["n1-accuracy"]);
    }
    for (const [domain, acc] of [...by].sort((a, b) => a[0].localeCompare(b[0]))) {
      for (const [split, xs] of [["ID", acc.id], ["N-1", acc.n1]] as const) {
        if (xs.length > 0) out.push({ arm: arm.label, domain, split, ...share(xs.filter((x) => x === 1).length, xs.length) });
      }
    }
  }
  return out;
}
