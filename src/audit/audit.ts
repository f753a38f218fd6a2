/**
 * One audit end to end, for a library caller and for `ftledger audit`: run the probes
 * (resuming from the store), build the ledgers from the stored records, apply the gate,
 * and keep the result with the run.
 */
import type { PAdjustMethod } from "../stats/index.js";
import { evaluateGate, type GateResult, type GateRule } from "./gate.js";
import { buildLedgers, type Ledger } from "./ledger.js";
import { buildSeedLedger } from "./seed-ledger.js";
import { ledgerJson, RESULT_SCHEMA, type AuditResultJson, type CallCounts } from "./json.js";
import { DEFAULT_STATS } from "./row-stats.js";
import { runAudit, type AuditRun, type RunAuditOptions } from "./runner.js";
import { preflight, PreflightRefusal, type PreflightFinding } from "./preflight.js";

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
  /**
   * The tuned models are fine-tunes of one recipe that differ only in the seed: also build
   * the ledger pooled over them (seed-ledger.ts), and gate on it.
   */
  seeds?: boolean;
  /** Margins by "probe.metric" that replace the metrics' own (the smallest change that matters to this user). */
  margins?: Record<string, number>;
  /** Run the pre-flight checks first (default true; preflight.ts). A refusal throws PreflightRefusal before any work. */
  preflight?: boolean;
  /** Called with the pre-flight's findings (warnings only: a refusal throws), before the probes start. */
  onPreflight?: (findings: readonly PreflightFinding[]) => void;
}

export interface AuditResult {
  run: AuditRun;
  ledgers: Ledger[];
  /** The ledger pooled over fine-tuning seeds (`seeds`), else undefined. */
  pooled?: Ledger;
  gate: GateResult;
  json: AuditResultJson;
}

export async function audit(o: AuditOptions): Promise<AuditResult> {
  const findings = o.preflight === false ? [] : await preflight(o.base, o.tuned, o.items);
  if (findings.some((f) => f.severity === "refuse")) throw new PreflightRefusal(findings);
  o.onPreflight?.(findings);
  const run = await runAudit(o);
  o.onRecordsDone?.();
  const built = {
    runId: run.runId, store: o.store, arms: run.arms, probes: o.probes, items: o.items, unavailable: run.unavailable,
    settings: {
      ...DEFAULT_STATS, adjust: o.adjust ?? "holm", alpha: o.alpha ?? DEFAULT_STATS.alpha, seed: o.settings.seed, examples: o.examples ?? 3,
      ...(o.margins ? { margins: o.margins } : {}),
    },
  } as const;
  const ledgers = buildLedgers(built);
  const pooled = o.seeds ? buildSeedLedger(built, o.tuned.map((_, i) => i + 1)) : undefined;
  const gate = evaluateGate(o.gate ?? [], pooled ? [pooled] : ledgers);
  const json: AuditResultJson = {
    schema: RESULT_SCHEMA,
    run_id: run.runId,
    store: o.store.path,
    resumed: run.resumed,
    manifest: run.manifest,
    ledgers: ledgers.map(ledgerJson),
    pooled: pooled ? ledgerJson(pooled) : null,
    gate,
    records: { computed: run.computed, stored: o.store.countRecords(run.runId) },
    calls: o.calls?.() ?? {},
    preflight: findings.map((f) => ({ ...f })),
  };
  o.store.finishRun(run.runId, json);
  return { run, ledgers, ...(pooled ? { pooled } : {}), gate, json };
}
