/**
 * The audit's JSON output (`ftledger audit --json`, and the result kept in the run
 * store): a documented, stable shape that scripts read (docs/PROBES.md "JSON output").
 * Field names are snake_case; numbers that cannot be computed are null, never NaN.
 * `schema` changes its version only when a field is removed or changes meaning.
 */
import type { GateResult } from "./gate.js";
import type { Ledger, LedgerRow } from "./ledger.js";
import type { Manifest } from "./runner.js";

/**
 * Version 2 (this round): verdicts are gained | lost | negligible | equivalent | inconclusive
 * ("unchanged" is gone); rows gain clusters, ci_level, p_tost, p_tost_adj, significant,
 * design_effect and measured; a nullable metric gets a "<metric>.measurable" row; the gate's
 * failures say which rule each row failed and why.
 */
export const RESULT_SCHEMA = "ftledger.audit-result/2";

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

export interface JsonRow {
  probe: string;
  metric: string;
  role: "proxy" | "capability";
  domain: string | null;
  kind: "binary" | "continuous" | "set";
  unit: string;
  higher_is_better: boolean;
  formats: { base: string; tuned: string };
  /** true on the row that scores the tuned model in the base's prompt format. */
  tuned_in_base_format: boolean;
  base: number | null;
  tuned: number | null;
  delta: number | null;
  /** The interval of delta at ci_level: the level the row's adjusted test used, so it excludes 0 exactly when significant. */
  ci_low: number | null;
  ci_high: number | null;
  ci_level: number | null;
  p: number | null;
  p_adj: number | null;
  /** TOST p of |delta| ≥ margin, raw and adjusted across the ledger. */
  p_tost: number | null;
  p_tost_adj: number | null;
  significant: boolean;
  n: number;
  /** Independent units (clusters) behind the n items. */
  clusters: number;
  design_effect: number | null;
  /** A nullable metric: items each arm could be measured on (its ".measurable" row tests the difference). */
  measured: { items: number; base: number; tuned: number; both: number } | null;
  /** Items needed (power 0.8 at α/m) to detect a change of the margin, and to show equivalence within it; null when there is no spread to plan from. */
  n_needed: { detect: number | null; equivalence: number | null } | null;
  /** Pooled over fine-tuning seeds: each seed's own delta and their standard deviation. */
  seeds: { deltas: (number | null)[]; sd: number | null } | null;
  verdict: string;
  hidden_trade: boolean;
  test: string;
  effect: { name: string; value: number | null } | null;
  mde: number | null;
  margin: number;
  transitions: { gained: number; lost: number; churn: number | null; gained_ids: string[]; lost_ids: string[] } | null;
  /** Other probes this row stands for (a metric they share, e.g. chain-of-thought accuracy). */
  shared_by: string[];
  note: string | null;
}

export function rowJson(r: LedgerRow): JsonRow {
  return {
    probe: r.probe, metric: r.metric, role: r.role, domain: r.domain ?? null, kind: r.kind, unit: r.unit,
    higher_is_better: r.higherIsBetter, formats: r.formats, tuned_in_base_format: r.tunedInBaseFormat,
    base: num(r.base), tuned: num(r.tuned), delta: num(r.delta), ci_low: num(r.ciLow), ci_high: num(r.ciHigh), ci_level: num(r.ciLevel),
    p: num(r.p), p_adj: num(r.pAdj), p_tost: num(r.pTost), p_tost_adj: num(r.pTostAdj), significant: r.significant,
    n: r.n, clusters: r.clusters, design_effect: r.designEffect === undefined ? null : num(r.designEffect), measured: r.measured ?? null,
    seeds: r.seeds ? { deltas: r.seeds.deltas.map(num), sd: num(r.seeds.sd) } : null,
    n_needed: r.nNeeded ? { detect: num(r.nNeeded.detect), equivalence: num(r.nNeeded.equivalence) } : null,
    verdict: r.verdict, hidden_trade: r.hiddenTrade, test: r.test,
    effect: r.effect ? { name: r.effect.name, value: num(r.effect.value) } : null,
    mde: num(r.mde), margin: r.margin,
    transitions: r.transitions
      ? { gained: r.transitions.gained, lost: r.transitions.lost, churn: num(r.transitions.churn), gained_ids: r.transitions.gainedIds, lost_ids: r.transitions.lostIds }
      : null,
    shared_by: r.sharedBy ?? [],
    note: r.note ?? null,
  };
}

export interface CallCounts {
  /** Calls sent to the model (cache misses and uncacheable requests). */
  model: number;
  /** Requests answered by the request cache. */
  cached: number;
}

export interface AuditResultJson {
  schema: typeof RESULT_SCHEMA;
  run_id: string;
  store: string;
  resumed: boolean;
  manifest: Manifest;
  ledgers: LedgerJsonShape[];
  /** The ledger pooled over fine-tuning seeds (--tuned-seeds): its rows carry `seeds`; null otherwise. */
  pooled: LedgerJsonShape | null;
  gate: GateResult;
  records: { computed: number; stored: number };
  calls: Record<string, CallCounts>;
  /** The pre-flight's warnings (preflight.ts): setups that can fake a gain or a loss; empty when it found nothing or was skipped, absent in results made before it existed. */
  preflight?: { code: string; severity: "warn" | "refuse"; model: string; message: string }[];
}

export interface LedgerJsonShape {
    tuned: number;
    spec: string;
    model_id: string;
    adjust: string;
    alpha: number;
    rows: JsonRow[];
    hidden_trades: { probe: string; domain: string | null; proxy: string[]; capability: string[] }[];
    unavailable: { arm: string; probe: string; reason: string }[];
    examples: Record<string, { gained: unknown[]; lost: unknown[] }>;
}

export function ledgerJson(l: Ledger): LedgerJsonShape {
  const examples: Record<string, { gained: unknown[]; lost: unknown[] }> = {};
  for (const r of l.rows) {
    if (r.transitions && (r.transitions.examples.gained.length || r.transitions.examples.lost.length)) {
      examples[`${r.probe}.${r.metric}${r.domain ? `@${r.domain}` : ""}${r.formats.tuned === r.formats.base ? "" : `[${r.formats.tuned}]`}`] = r.transitions.examples;
    }
  }
  return {
    tuned: l.tuned, spec: l.spec, model_id: l.modelId, adjust: l.adjust, alpha: l.alpha,
    rows: l.rows.map(rowJson),
    hidden_trades: l.hiddenTrades.map((t) => ({ probe: t.probe, domain: t.domain ?? null, proxy: t.proxy, capability: t.capability })),
    unavailable: l.unavailable,
    examples,
  };
}
