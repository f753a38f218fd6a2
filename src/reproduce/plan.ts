/**
 * A claim turned into concrete work: the training runs of every arm in every seed (with
 * --quick's changes merged in and "@arm:NAME" references resolved to run folders), the
 * models the audit compares, the pre-registration's hash, and the MDE the plan gives the
 * judged effect at the claim's n and seed count.
 *
 * Run folders are named by content — recipe, resolved config and seed — so two claims that
 * train the same model share one run, and a config edited after a run trains a new one.
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { normalQuantile, satterthwaiteDf, seedVarianceInflation, studentTQuantile } from "../stats/index.js";
import { QUICK_SEEDS, specOf, type Claim, type Json, type ModelRef } from "./claim.js";

export type RunMode = "full" | "quick";

/** One training run: arm × seed. */
export interface PlannedRun {
  arm: string;
  recipe: string;
  seed: number;
  /** The config as it is written for `lab train --config`. */
  config: { [k: string]: Json };
  /** Absolute run folder. */
  dir: string;
}

export interface ClaimPlan {
  claim: Claim;
  mode: RunMode;
  seeds: number[];
  runs: PlannedRun[];
  /** Items per suite and samples per prompt in this mode. */
  n: number;
  samples: number;
  /** The claim's pre-registration hash (sha256 hex of the claim as data, with the mode). */
  preregistration: string;
  /** The spec of a model in a seed. */
  spec(ref: ModelRef, seed: number): string;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Plain objects merged key by key; anything else in `over` replaces what is in `base`. */
export function deepMerge(base: { [k: string]: Json }, over: { [k: string]: Json }): { [k: string]: Json } {
  const out: { [k: string]: Json } = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    const isObj = (x: Json | undefined): x is { [k: string]: Json } => typeof x === "object" && x !== null && !Array.isArray(x);
    out[k] = isObj(b) && isObj(v) ? deepMerge(b, v) : v;
  }
  return out;
}

/** `config` with every "@arm:NAME" string replaced by that arm's folder. */
function resolveArmRefs(config: Json, dirOf: (arm: string) => string): Json {
  if (typeof config === "string" && config.startsWith("@arm:")) return dirOf(config.slice("@arm:".length));
  if (Array.isArray(config)) return config.map((x) => resolveArmRefs(x, dirOf));
  if (typeof config === "object" && config !== null) return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, resolveArmRefs(v, dirOf)]));
  return config;
}

/** sha256 of what decides a claim's verdict: the claim as written, and the run mode. */
export function preregistrationHash(claim: Claim, mode: RunMode, seeds: number): string {
  return sha256(JSON.stringify({ claim, mode, seeds }));
}

/** The seeds of a run: 1…S (S = the claim's, --seeds, or QUICK_SEEDS for --quick). */
export function seedsOf(claim: Claim, mode: RunMode, override?: number): number[] {
  const count = override ?? (mode === "quick" ? QUICK_SEEDS : claim.seeds);
  return Array.from({ length: count }, (_, i) => i + 1);
}

export function planClaim(claim: Claim, o: { mode: RunMode; out: string; seeds?: number }): ClaimPlan {
  const seeds = seedsOf(claim, o.mode, o.seeds);
  const runsDir = resolve(o.out, "runs");
  const runs: PlannedRun[] = [];
  const dirs = new Map<string, string>(); // `${arm}|${seed}` → folder
  for (const seed of seeds) {
    for (const arm of claim.arms) {
      const merged = o.mode === "quick" ? deepMerge(arm.config, arm.quick) : arm.config;
      const dirOf = (name: string) => {
        const d = dirs.get(`${name}|${seed}`);
        if (!d) throw new Error(`claim ${claim.id}: arm "${arm.name}" refers to "@arm:${name}", which is not an earlier arm of the claim`);
        return d;
      };
      const config = resolveArmRefs(merged, dirOf) as { [k: string]: Json };
      const id = sha256(JSON.stringify({ recipe: arm.recipe, config, mode: o.mode })).slice(0, 12);
      const dir = join(runsDir, `${arm.recipe}-${id}-s${seed}`);
      dirs.set(`${arm.name}|${seed}`, dir);
      runs.push({ arm: arm.name, recipe: arm.recipe, seed, config, dir });
    }
  }
  const spec = (ref: ModelRef, seed: number) =>
    specOf(ref, (arm) => {
      const d = dirs.get(`${arm}|${seed}`);
      if (!d) throw new Error(`claim ${claim.id}: a contrast names arm "${arm}", which the claim does not train`);
      return d;
    });
  return {
    claim, mode: o.mode, seeds, runs, spec,
    n: o.mode === "quick" ? claim.audit.quick.n : claim.audit.n,
    samples: o.mode === "quick" ? claim.audit.quick.samples : claim.audit.samples,
    preregistration: preregistrationHash(claim, o.mode, seeds.length),
  };
}

/**
 * The smallest Δ the claim can detect at power 0.8 and two-sided α = 0.05 with n paired items
 * and S seeds. The verdict's test rejects only when two tests do (src/stats seed-t.ts), so the
 * MDE is the larger of theirs:
 *   the seeds × items bootstrap   (z_{1−α/2} + z_{power}) · sqrt(σ²/n + σ_seed²/S)
 *   the t test on the S Δ_s       (t_{1−α/2, df} + t_{power, df}) · sqrt(a + v),
 *                                 a = (σ_seed² + σ²/n)/S, v = σ²/n, df = seed-t.ts's rule
 * where σ² is the variance of a per-item difference (ψ for a binary metric, whose differences
 * are −1, 0, 1 with P(≠ 0) = ψ; sd² for a continuous one) and σ_seed the spread of a seed's Δ
 * around the recipe's mean. Both count all item variance as shared by the seeds, an upper bound
 * for the crossed design. With three seeds whose Δ differ more than the items' noise, df is
 * near 2 and the t quantiles (4.30 + 1.06) decide: seeds then buy more than items. Null when
 * the claim states no σ.
 */
export function plannedMde(claim: Claim, n: number, seeds: number, alpha = 0.05, power = 0.8): number | null {
  const p = claim.power;
  const itemVar = p.kind === "binary" ? p.psi : p.sd !== undefined ? p.sd * p.sd : undefined;
  if (itemVar === undefined || !(n > 0) || !(seeds > 1)) return null;
  const seedVar = p.seedSd * p.seedSd;
  const z = normalQuantile(1 - alpha / 2) + normalQuantile(power);
  const bootstrap = z * Math.sqrt(itemVar / n + seedVar / seeds);
  const a = (seedVar + itemVar / n) / seeds;
  const v = itemVar / n;
  const df = Math.min(satterthwaiteDf(a * seedVarianceInflation(seeds), v, seeds), 1e4);
  const t = studentTQuantile(1 - alpha / 2, df) + studentTQuantile(power, df);
  return Math.max(bootstrap, t * Math.sqrt(a + v));
}

/** The tuned models of the claim's audit: every model of every contrast that is not the audit's base, all seeds, in a fixed order. */
export function auditModels(plan: ClaimPlan): string[] {
  const c = plan.claim;
  const refs: ModelRef[] = [];
  for (const e of [c.effect, c.proxy, c.control]) if (e) refs.push(e.contrast.tuned, e.contrast.reference);
  const base = `builtin:${c.audit.base}`;
  const out: string[] = [];
  for (const seed of plan.seeds) {
    for (const r of refs) {
      const s = plan.spec(r, seed);
      if (s !== base && !out.includes(s)) out.push(s);
    }
  }
  return out;
}
