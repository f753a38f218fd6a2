/**
 * One audit end to end, for a library caller and for `ftledger audit`: run the probes
 * (resuming from the store), build the ledgers from the stored records, apply the gate,
 * and keep the result with the run.
 */
import type { PAdjustMethod } from "../stats/index.js";
import { evaluateGate, type GateResult, type GateRule } from "./gate.js";
import { buildLedgers, type Ledger } from "./ledger.js";
import { ledgerJson, RESULT_SCHEMA, type AuditResultJson, type CallCounts } from "./json.js";
import { DEFAULT_STATS } from "./row-stats.js";
import { runAudit, type AuditRun, type RunAuditOptions } from "./runner.js";

export interface AuditOptions extends RunAuditOptions {
  adjust?: PAdjustMethod;
  alpha?: number;
  gate?: GateRule[];
  /** Examples kept per transition kind (default 3). */
  examples?: number;
  /** Called after the records are complete, before the ledger is built (e.g. to close a progress bar). */
  onRecordsDone?: () => void;
  /** Counts of model calls, filled in when the result is made (the CLI passes its cache stats). */
  calls?: () => Record<string, CallCounts>;
}

export interface AuditResult {
  run: AuditRun;
  ledgers: Ledger[];
  gate: GateResult;
  json: AuditResultJson;
}

export async function audit(o: AuditOptions): Promise<AuditResult> {
  const run = await runAudit(o);
  o.onRecordsDone?.();
  const ledgers = buildLedgers({
    runId: run.runId, store: o.store, arms: run.arms, probes: o.probes, items: o.items, unavailable: run.unavailable,
    settings: { ...DEFAULT_STATS, adjust: o.adjust ?? "holm", alpha: o.alpha ?? DEFAULT_STATS.alpha, seed: o.settings.seed, examples: o.examples ?? 3 },
  });
  const gate = evaluateGate(o.gate ?? [], ledgers);
  const json: AuditResultJson = {
    schema: RESULT_SCHEMA,
    run_id: run.runId,
    store: o.store.path,
    resumed: run.resumed,
    manifest: run.manifest,
    ledgers: ledgers.map(ledgerJson),
    gate,
    records: { computed: run.computed, stored: o.store.countRecords(run.runId) },
    calls: o.calls?.() ?? {},
  };
  o.store.finishRun(run.runId, json);
  return { run, ledgers, gate, json };
}
