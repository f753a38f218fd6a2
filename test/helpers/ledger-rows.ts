/** Ledger rows and ledgers in the result JSON's shape, for tests of what reads them (dose-response, pages). */
import type { JsonRow, LedgerJsonShape } from "../../src/audit/index.js";

/** A binary capability row, equivalent within a 5-point margin, with `o` overriding any field. */
export function row(o: Partial<JsonRow>): JsonRow {
  return {
    probe: "p", metric: "m", role: "capability", domain: null, kind: "binary", unit: "share", higher_is_better: true, formats: { base: "raw", tuned: "chat" },
    tuned_in_base_format: false, base: 0.5, tuned: 0.5, delta: 0, ci_low: -0.01, ci_high: 0.01, ci_level: 0.95, p: 1, p_adj: 1, p_tost: 0, p_tost_adj: 0,
    significant: false, n: 100, clusters: 100, design_effect: 1, measured: null, n_needed: null, seeds: null, verdict: "equivalent", hidden_trade: false,
    test: "", effect: null, mde: 0.05, margin: 0.05, transitions: null, shared_by: [], note: null, ...o,
  };
}

/** Tuned model number `tuned` against the base, with these rows. */
export const ledger = (tuned: number, rows: JsonRow[]): LedgerJsonShape => ({ tuned, spec: `t${tuned}`, model_id: "x", adjust: "holm", alpha: 0.05, rows, hidden_trades: [], unavailable: [], examples: {} });
