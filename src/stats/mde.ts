/**
 * Minimum detectable effect (MDE) at a run's n: the smallest true paired difference a
 * two-sided test at level α would detect with the given power — what a "no significant
 * change" row can and cannot rule out (Cohen 1988, "Statistical Power Analysis for the
 * Behavioral Sciences", ch. 2; the normal approximation throughout):
 *
 *   paired-normal          continuous metric, sd_d the sd of the per-item differences:
 *                            MDE = (z_{1−α/2} + z_power) · sd_d / √n
 *   mcnemar-connor-normal  paired binary metric, ψ = (b + c) / n the discordance rate.
 *                          Connor 1987 ("Sample size for testing differences in
 *                          proportions for the paired-sample design", Biometrics 43(1))
 *                          gives n = [z_{1−α/2} √ψ + z_power √(ψ − δ²)]² / δ²; dropping δ²
 *                          beside ψ (δ² ≪ ψ, the usual case) and solving for δ:
 *                            MDE = (z_{1−α/2} + z_power) · √(ψ / n)
 *                          in difference of proportions (× 100 for percentage points).
 *                          Dropping δ² overstates the MDE slightly: conservative.
 *
 * NOTE: with no discordant pairs (ψ = 0, e.g. a self-vs-self audit) the formula gives 0,
 * which would claim any change is detectable; ψ is floored at 1/n (one discordant pair)
 * and `note` says so. A continuous metric whose differences do not vary (sd_d = 0) has
 * no scale to state an MDE in: NaN with status "no-variation".
 */
import { normalQuantile } from "./normal.js";

export interface MdeOptions {
  /** Two-sided level. Default 0.05. */
  alpha?: number;
  /** Probability of detecting an effect of size MDE. Default 0.8 (Cohen's convention). */
  power?: number;
}

export interface MdeResult {
  /** In the metric's units (a proportion for binary metrics); NaN unless status is "ok". */
  mde: number;
  n: number;
  alpha: number;
  power: number;
  method: "paired-normal" | "mcnemar-connor-normal";
  status: "ok" | "too-few-items" | "no-variation";
  note?: string;
}

function setup(n: number, opts: MdeOptions): { alpha: number; power: number; z: number } {
  const alpha = opts.alpha ?? 0.05;
  const power = opts.power ?? 0.8;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer ≥ 0, got ${n}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be in (0, 1), got ${power}`);
  return { alpha, power, z: normalQuantile(1 - alpha / 2) + normalQuantile(power) };
}

/** MDE of a paired mean difference, given the sd of the per-item differences (n − 1). */
export function mdePairedMean(sdDifference: number, n: number, opts: MdeOptions = {}): MdeResult {
  const { alpha, power, z } = setup(n, opts);
  if (!(sdDifference >= 0 && Number.isFinite(sdDifference))) throw new RangeError(`sdDifference must be a finite number ≥ 0, got ${sdDifference}`);
  const result = { n, alpha, power, method: "paired-normal" as const };
  if (n < 2) return { ...result, mde: NaN, status: "too-few-items", note: `needs at least 2 items, got ${n}` };
  if (sdDifference === 0) return { ...result, mde: NaN, status: "no-variation", note: "the per-item differences do not vary, so there is no scale for an MDE" };
  return { ...result, mde: (z * sdDifference) / Math.sqrt(n), status: "ok" };
}

/** MDE of a paired difference of proportions (McNemar), from the discordant counts b, c of n items. */
export function mdeMcNemar(b: number, c: number, n: number, opts: MdeOptions = {}): MdeResult {
  const { alpha, power, z } = setup(n, opts);
  for (const [label, v] of [["b", b], ["c", c]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${label} must be an integer ≥ 0, got ${v}`);
  }
  if (b + c > n) throw new RangeError(`b + c = ${b + c} discordant pairs cannot exceed n = ${n} items`);
  const result = { n, alpha, power, method: "mcnemar-connor-normal" as const };
  if (n < 2) return { ...result, mde: NaN, status: "too-few-items", note: `needs at least 2 items, got ${n}` };
  const floored = b + c === 0;
  const psi = floored ? 1 / n : (b + c) / n;
  const mde = z * Math.sqrt(psi / n);
  return floored
    ? { ...result, mde, status: "ok", note: "no discordant pairs: discordance rate floored at 1/n (one pair)" }
    : { ...result, mde, status: "ok" };
}
