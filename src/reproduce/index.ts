/**
 * The research claims as pre-registered experiments on the lab's model organisms
 * (`ftledger reproduce`): the claims registry, each claim's plan (runs, audit, power), the
 * pooled contrast of its effect over seeds × items, the verdict rule, and the result file.
 */
export { judgeEffect, CLAIM_VERDICTS, MIN_EQUIVALENCE_ITEMS, type ClaimVerdict, type JudgedEffect, type Prediction } from "./verdict.js";
export { QUICK_SEEDS, specOf, refLabel, type Claim, type ClaimAudit, type Contrast, type Json, type Measure, type ModelRef, type PowerAssumption, type PredictedEffect, type ReportedEffect, type TrainedArm } from "./claim.js";
export { CLAIMS, findClaims, type ClaimLookup } from "./claims/index.js";
export { auditModels, deepMerge, planClaim, plannedMde, preregistrationHash, seedsOf, type ClaimPlan, type PlannedRun, type RunMode } from "./plan.js";
export { pooledContrast, type ContrastInput, type PooledContrast } from "./contrast.js";
export { claimVerdict, measureEffect, type AuditRecords } from "./effects.js";
export { renderReproduceHtml } from "./html.js";
export { renderReproduceMarkdown } from "./markdown.js";
export { REPRODUCE_SCHEMA, SMOKE_NOTE, type ClaimResult, type EffectResult, type ReproduceResult } from "./result.js";
