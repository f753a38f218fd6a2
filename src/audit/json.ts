/**
 * The audit's JSON output (`ftledger audit --json`, and the result kept in the run
 * store): a documented, stable shape that scripts read (docs/PROBES.md "JSON output").
 * Field names are snake_case; numbers that cannot be computed are null, never NaN.
 * `schema` changes its version only when a field is removed or changes meaning.
 */
import type { GateResult } from "./gate.js";
import type { Ledger, LedgerRow } from "./ledger.js";
import type { Manifest } from "./runner.js";

export const RESULT_SCHEMA = "ftledger.audit-result/1";

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
  ci_low: number | null;
  ci_high: number | null;
  p: number | null;
  p_adj: number | null;
  n: number;
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
    base: num(r.base), tuned: num(r.tuned), delta: num(r.delta), ci_low: num(r.ciLow), ci_high: num(r.ciHigh),
    p: num(r.p), p_adj: num(r.pAdj), n: r.n, verdict: r.verdict, hidden_trade: r.hiddenTrade, test: r.test,
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
  ledgers: {
    tuned: number;
    spec: string;
    model_id: string;
    adjust: string;
    alpha: number;
    rows: JsonRow[];
    hidden_trades: { probe: string; domain: string | null; proxy: string[]; capability: string[] }[];
    unavailable: { arm: string; probe: string; reason: string }[];
    examples: Record<string, { gained: unknown[]; lost: unknown[] }>;
  }[];
  gate: GateResult;
  records: { computed: number; stored: number };
  calls: Record<string, CallCounts>;
}

export function ledgerJson(l: Ledger): AuditResultJson["ledgers"][number] {
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
