/**
 * A research claim as a pre-registered experiment (docs/CLAIMS.md): everything that decides
 * its verdict is data written down before the run — the organism (which models are trained,
 * from which zoo base, with which recipe config), the audit (probes, items, formats), the one
 * effect that is judged (a metric, a contrast between two models, a predicted direction and
 * the smallest effect that counts), the number of fine-tuning seeds, and a planted-effect
 * control. The runner (`ftledger reproduce`) only executes it; the pre-registration's hash
 * is recorded with every result, so a result can be traced to the plan it tested.
 */
import type { Prediction } from "./verdict.js";

/** A model a contrast compares, resolved per fine-tuning seed. */
export type ModelRef =
  /** A shipped zoo base (the same model in every seed): `zoo/base-m`. */
  | { zoo: string }
  /** A model the claim trains (TrainedArm.name), this seed's run. */
  | { arm: string }
  /** Emulated fine-tuning at decode time (src/compose): base + β·(tuned − ref), per token. */
  | { eft: { base: ModelRef; tuned: ModelRef; ref: ModelRef; beta: number } };

/** JSON, as recipe configs are: plain data, hashed into the pre-registration. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A model the claim fine-tunes, once per seed. */
export interface TrainedArm {
  /** Short name, unique in the claim: "sft", "grpo", "teach" … */
  name: string;
  /** The recipe (`ftledger lab train RECIPE`). */
  recipe: string;
  /**
   * The recipe config (`--config`). A string value "@arm:NAME" is replaced by the run folder of
   * the claim's arm NAME in the same seed (an arm trained from another, as self-improve from
   * its teaching run); that arm must come earlier in `arms`.
   */
  config: { [k: string]: Json };
  /** The --quick smoke run's changes to `config` (deep-merged over it): fewer steps, fewer items. */
  quick: { [k: string]: Json };
  /** One line: what this model is, for the table and the page. */
  describe: string;
}

/** One metric of one probe, as the audit's ledger names it. */
export interface Measure {
  probe: string;
  metric: string;
  /** For probes that report per domain (task.accuracy, diversity …). */
  domain?: string;
  /** Read the tuned models prompted in the base's format rather than their own (lab rule 4). */
  inBaseFormat?: boolean;
  /** How the table names it: "recall by generation, raw frame". */
  label: string;
}

/** Δ = measure(tuned) − measure(reference), per seed, pooled over seeds and items. */
export interface Contrast {
  tuned: ModelRef;
  reference: ModelRef;
}

/** An effect the claim predicts, judged by judgeEffect (verdict.ts). */
export interface PredictedEffect {
  measure: Measure;
  contrast: Contrast;
  prediction: Prediction;
  /** Why this direction and margin: the paper's figure, and what counts here. */
  why: string;
}

/** An effect reported beside the judged one (the proxy that fine-tuning raised), with its interval. */
export interface ReportedEffect {
  measure: Measure;
  contrast: Contrast;
}

/** The audit every seed's models go through (`ftledger audit` settings). */
export interface ClaimAudit {
  /** The audit's base arm (a zoo model); the other models of every contrast are its tuned arms. */
  base: string;
  /** The base's prompt format, and the tuned models' (raw | chat). */
  baseFormat: "raw" | "chat";
  tunedFormat: "raw" | "chat";
  probes: string[];
  suites: string[];
  /** "id": the audit's default, id items with their N-1 variants (only the N-1 probe reads those); n1 or ood: that split's items alone. */
  split: "id" | "n1" | "ood";
  /** Items per suite. */
  n: number;
  /** Samples per prompt of the sampling probes. */
  samples: number;
  /** The world the items come from (a WorldSettings JSON); absent = the default world. */
  world?: { [k: string]: Json };
  /** The --quick smoke run's n and samples. */
  quick: { n: number; samples: number };
}

/**
 * The power plan behind n and the seed count: the discordance ψ (binary) or sd of per-item
 * differences (continuous) expected from the lab's earlier runs (docs/LAB.md), and the
 * between-seed sd of Δ. plan.ts turns it into the MDE at the claim's n and seeds.
 */
export interface PowerAssumption {
  kind: "binary" | "continuous";
  /** Binary: expected share of items whose outcome differs between the two models. */
  psi?: number;
  /** Continuous: expected sd of the per-item difference. */
  sd?: number;
  /** Expected sd of a seed's Δ around the recipe's mean Δ. */
  seedSd: number;
  /** Where these numbers come from. */
  source: string;
}

export interface Claim {
  /** The claim's number in the research note (1–11). */
  id: number;
  /** Its name on the command line: `ftledger reproduce infogain`. */
  slug: string;
  title: string;
  paper: { cite: string; arxiv: string; figure: string };
  /** What the organism is and how it differs from the paper's setting. */
  organism: string;
  arms: TrainedArm[];
  audit: ClaimAudit;
  /** The one effect the verdict is about. */
  effect: PredictedEffect;
  /** What fine-tuning was rewarded for, shown beside the effect (not judged). */
  proxy?: ReportedEffect;
  /**
   * A planted-effect control: a contrast known to carry the effect (its own arms among
   * `arms`), judged by the same rule. When it is not reproduced either, the probe cannot
   * see the effect, and a `not reproduced` of the claim says nothing.
   */
  control?: PredictedEffect & { describe: string };
  /** Why no planted control can be made, when `control` is absent. */
  noControl?: string;
  /** Fine-tuning seeds of the full run (≥ 3). */
  seeds: number;
  power: PowerAssumption;
  /** Set when the lab cannot run this claim: the reason, and no stand-in is measured. */
  notRunnable?: string;
}

/** Seeds of the --quick smoke run: two, the fewest the seed-pooled interval accepts. */
export const QUICK_SEEDS = 2;

/** The spec a ModelRef names in a seed, given each arm's run folder in that seed. */
export function specOf(ref: ModelRef, runDir: (arm: string) => string): string {
  if ("zoo" in ref) return `builtin:${ref.zoo}`;
  if ("arm" in ref) return `builtin:${runDir(ref.arm)}`;
  const e = ref.eft;
  return `eft:base=${specOf(e.base, runDir)},tuned=${specOf(e.tuned, runDir)},ref=${specOf(e.ref, runDir)},beta=${e.beta}`;
}

/** The arms a ModelRef trains on (every { arm } inside it). */
export function armsOf(ref: ModelRef): string[] {
  if ("zoo" in ref) return [];
  if ("arm" in ref) return [ref.arm];
  return [...armsOf(ref.eft.base), ...armsOf(ref.eft.tuned), ...armsOf(ref.eft.ref)];
}

/** A ModelRef's name in tables: "sft", "zoo/base-m", "eft(base-l, sft, base-s)". */
export function refLabel(ref: ModelRef): string {
  if ("zoo" in ref) return ref.zoo;
  if ("arm" in ref) return ref.arm;
  const e = ref.eft;
  return `eft(${refLabel(e.base)} + ${e.beta}·(${refLabel(e.tuned)} − ${refLabel(e.ref)}))`;
}
