/**
 * What `ftledger reproduce` writes: reproduce.json (this shape) and reproduce.html. One
 * ClaimResult per claim, rewritten after each claim finishes, so a killed run keeps every
 * finished claim and the page always shows what is known.
 */
import type { Prediction, ClaimVerdict } from "./verdict.js";

export const REPRODUCE_SCHEMA = "ftledger.reproduce/1" as const;

/** A pooled contrast Δ = tuned − reference over seeds × items (contrast.ts), judged or only reported. */
export interface EffectResult {
  /** The metric's table label, and where it comes from. */
  label: string;
  probe: string;
  metric: string;
  domain?: string;
  inBaseFormat?: boolean;
  unit: string;
  /** Names of the two models (ModelRef labels). */
  tuned: string;
  reference: string;
  /** Mean of the metric over seeds (tuned) and for the reference (over seeds when it is trained). */
  tunedMean: number;
  referenceMean: number;
  estimate: number;
  /** 95% interval of Δ (seeds × item clusters resampled together). */
  ciLow: number;
  ciHigh: number;
  p: number;
  n: number;
  clusters: number;
  /** Each seed's own Δ, and their sd. */
  perSeed: number[];
  seedSd: number;
  /** Judged effects only: the prediction, its TOST p at the margin, and the verdict. */
  prediction?: Prediction;
  pTost?: number;
  verdict?: Exclude<ClaimVerdict, "not runnable">;
  /** Why there is no interval (too few items or seeds …). */
  problem?: string;
}

export interface ClaimResult {
  id: number;
  slug: string;
  title: string;
  paper: { cite: string; arxiv: string; figure: string };
  organism: string;
  verdict: ClaimVerdict;
  /** Not runnable: why. Otherwise a note on reading the verdict (the control's outcome …). */
  reason?: string;
  /** sha256 of the claim's pre-registration (plan.ts preregistrationHash) as it was run. */
  preregistration: string;
  seeds: number[];
  /** Items per suite. */
  n: number;
  /** The MDE planned for the judged effect at this n and seed count (plan.ts), in its unit; null when it cannot be planned. */
  plannedMde: number | null;
  effect?: EffectResult;
  proxy?: EffectResult;
  control?: EffectResult & { describe: string };
  /** Trained models: arm, seed, run folder, and whether this run trained it or reused it. */
  runs: { arm: string; seed: number; dir: string; reused: boolean }[];
  /** The audit's run id in the reproduce store. */
  auditRunId?: string;
  wallSeconds: number;
}

export interface ReproduceResult {
  schema: typeof REPRODUCE_SCHEMA;
  /** "quick": a smoke run of the plumbing, never a result to quote. */
  mode: "full" | "quick";
  /** The command line that made it. */
  command: string;
  /** The git commit of the code, when known. */
  commit: string | null;
  startedAt: string;
  updatedAt: string;
  claims: ClaimResult[];
}

/** The sentence every quick result carries. */
export const SMOKE_NOTE = "SMOKE RUN (--quick): tiny seeds, few items, a few training steps — it checks that every claim runs end to end; its numbers are not results and must never be quoted.";
