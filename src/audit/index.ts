/**
 * The audit: probes over a base and tuned models on the same items, per-item records in
 * a SQLite run store (resumable), the ledger with paired statistics, and the CI gate.
 */
export { audit, type AuditOptions, type AuditResult } from "./audit.js";
export { runAudit, type RunAuditOptions, armsOf, armKey, parseArmKey, type ArmId, itemsFor, manifestOf, runIdOf, SAME_FORMAT_PROBE, MANIFEST_SCHEMA, type AuditModel, type AuditSettings, type AuditProgress, type AuditRun, type Arm, type Manifest, type UnavailableProbe } from "./runner.js";
export { buildLedgers, MEASURABLE, type Ledger, type LedgerRow, type Measured, type HiddenTrade, type Transitions, type Example } from "./ledger.js";
export { VERDICTS, MIN_EQUIVALENT_N, verdictOf, adjustAndJudge, type Verdict } from "./verdict.js";
export { rowStats, DEFAULT_STATS, type RowStats, type StatsSettings } from "./row-stats.js";
export { parseGateRule, evaluateGate, type GateRule, type GateResult, type GateFailure } from "./gate.js";
export {
  openRunStore, StoreError, formatStoreError, type OpenRunStoreOptions, type RunStore, type RunSummary, type RunStatus,
  type StoreErrorDetail, type StoreErrorCode, type StoreAccess,
} from "./store.js";
export { parseDataset, readDataset, type DatasetResult, type BadLine } from "./dataset.js";
export { SUITES, DEFAULT_SUITES, suiteItems, type SuiteName } from "./suites.js";
export { RESULT_SCHEMA, rowJson, ledgerJson, type AuditResultJson, type JsonRow, type CallCounts, type LedgerJsonShape } from "./json.js";
export { regressionLines, writeRegressions, type RegressionLine } from "./regressions.js";
export { DOSE_SCHEMA, doseResponse, nonInferior, rowKey, type DoseResponse, type DoseCurve, type DosePoint } from "./dose.js";
export { PRESETS, PRESET_NAMES, armMeasures, type Preset, type PresetName, type PresetMeasure, type ArmMeasures } from "./presets.js";
export { preflight, formatPreflight, deviceFinding, PreflightRefusal, type PreflightCode, type PreflightFinding } from "./preflight.js";
export { checkBackends, checkLines, type CheckedModel, type CheckOptions, type CheckResult, type PairCheck } from "./check.js";
export { readItemsFile, parseFieldMap, mappedRecords, lmEvalSamples, type FieldMap } from "./dataset-sources.js";
export { deviceLine, deviceKind } from "./device.js";
