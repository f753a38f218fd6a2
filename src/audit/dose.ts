/**
 * Dose-response over a sweep: one ledger per dose α (the model θ₀ + α·Δ audited against the
 * base), read as curves of each row's Δ and interval against α, and the answer to "how much
 * of the fine-tune can I keep?": the largest α at which every capability row is
 * non-inferior — its interval (at the level the ledger's adjusted tests use) excludes a loss
 * larger than the row's margin. A row whose interval cannot be computed is not shown to be
 * non-inferior: absence of evidence never counts as "safe".
 */
import type { JsonRow, LedgerJsonShape } from "./json.js";

export const DOSE_SCHEMA = "ftledger.sweep/1";

export interface DosePoint {
  alpha: number;
  delta: number | null;
  ci_low: number | null;
  ci_high: number | null;
  verdict: string;
  n: number;
  /** Capability rows only: the interval excludes a loss beyond the margin. */
  non_inferior: boolean | null;
}

export interface DoseCurve {
  /** probe.metric[@domain][ in the base's format], the key a row keeps across doses. */
  key: string;
  probe: string;
  metric: string;
  domain: string | null;
  role: "proxy" | "capability";
  unit: string;
  higher_is_better: boolean;
  margin: number;
  points: DosePoint[];
}

export interface DoseResponse {
  schema: typeof DOSE_SCHEMA;
  alphas: number[];
  curves: DoseCurve[];
  /** The largest α whose capability rows are all non-inferior (null: none is). */
  keep_alpha: number | null;
  /** The capability rows that fail non-inferiority at each α (why a larger dose is not kept). */
  blocking: { alpha: number; rows: string[] }[];
}

export const rowKey = (r: Pick<JsonRow, "probe" | "metric" | "domain" | "tuned_in_base_format">): string =>
  `${r.probe}.${r.metric}${r.domain ? `@${r.domain}` : ""}${r.tuned_in_base_format ? " [base format]" : ""}`;

/** Non-inferior within the margin, in the row's good direction; null when the row has no interval. */
export function nonInferior(r: Pick<JsonRow, "ci_low" | "ci_high" | "higher_is_better" | "margin">): boolean | null {
  if (r.ci_low === null || r.ci_high === null) return null;
  return r.higher_is_better ? r.ci_low > -r.margin : r.ci_high < r.margin;
}

/** `ledgers[i]` is the audit of dose `alphas[i]` against the base. */
export function doseResponse(alphas: readonly number[], ledgers: readonly LedgerJsonShape[]): DoseResponse {
  if (alphas.length !== ledgers.length) throw new Error(`doseResponse: ${alphas.length} doses for ${ledgers.length} ledgers`);
  const curves = new Map<string, DoseCurve>();
  ledgers.forEach((l, i) => {
    for (const r of l.rows) {
      const key = rowKey(r);
      let c = curves.get(key);
      if (!c) {
        c = { key, probe: r.probe, metric: r.metric, domain: r.domain, role: r.role, unit: r.unit, higher_is_better: r.higher_is_better, margin: r.margin, points: [] };
        curves.set(key, c);
      }
      c.points.push({
        alpha: alphas[i], delta: r.delta, ci_low: r.ci_low, ci_high: r.ci_high, verdict: r.verdict, n: r.n,
        non_inferior: r.role === "capability" ? nonInferior(r) : null,
      });
    }
  });
  const all = [...curves.values()];
  const blocking = alphas.map((alpha) => ({
    alpha,
    rows: all.filter((c) => c.role === "capability" && c.points.find((p) => p.alpha === alpha)?.non_inferior !== true).map((c) => c.key),
  }));
  const kept = blocking.filter((b) => b.rows.length === 0).map((b) => b.alpha);
  return { schema: DOSE_SCHEMA, alphas: [...alphas], curves: all, keep_alpha: kept.length ? Math.max(...kept) : null, blocking };
}
