/**
 * One paired comparison as a family of one-sided tests, from which the p-value, the
 * confidence interval at any level, and the equivalence (TOST) p-value all follow — so
 * they can never disagree (Lehmann & Romano 2005, "Testing Statistical Hypotheses",
 * §3.5: a confidence set is the set of null values a level-α test does not reject).
 *
 *   pGreater(δ₀)   p-value of H0: Δ ≤ δ₀ against Δ > δ₀ (non-decreasing in δ₀)
 *   pLess(δ₀)      p-value of H0: Δ ≥ δ₀ against Δ < δ₀ (non-increasing in δ₀)
 *
 *   two-sided p at δ₀      min(1, 2·min(pGreater(δ₀), pLess(δ₀)))
 *   interval at level 1−a  [sup{δ₀ : pGreater(δ₀) < a/2}, inf{δ₀ : pLess(δ₀) < a/2}]
 *                          found by bisection; it excludes 0 exactly when p(0) < a
 *   TOST p, margin m       max(pGreater(−m), pLess(m)) (Schuirmann 1987): equivalence at
 *                          level a ⇔ the 1−2a interval lies inside (−m, m)
 *
 * Each method (Tango's score interval, the studentized bootstrap, the sign-flip test, BCa)
 * supplies the two one-sided p-value functions; this file is the rest.
 */

export interface PairedInference {
  /** The method, as a report names it: "tango-score", "bootstrap-t", "sign-flip", "bca". */
  method: string;
  /** The point estimate of Δ = tuned − base. */
  estimate: number;
  /** Items paired. */
  n: number;
  /** Independent units resampled (clusters; = n without clusters). */
  clusters: number;
  /** Variance inflation from clustering (1 = none), where the method estimates one. */
  designEffect: number;
  /**
   * Where to search for the interval's bounds. With `bounded`, it is the parameter space
   * (a difference of proportions lies in [−1, 1]); otherwise the data's range, and a bound
   * the test cannot reach inside it is searched for further out (or is infinite).
   */
  range: readonly [number, number];
  bounded?: boolean;
  /**
   * The data show no spread at all (every difference equal): the interval is the estimate
   * itself, which says nothing about the population's spread (never evidence of equivalence).
   */
  degenerate?: boolean;
  pGreater(delta0: number): number;
  pLess(delta0: number): number;
  /** Why the comparison cannot be made (too few items …): p and intervals are then NaN. */
  problem?: string;
}

/** An inference that cannot be computed: every p and bound is NaN, and `problem` says why. */
export function undefinedInference(method: string, n: number, clusters: number, estimate: number, problem: string): PairedInference {
  return { method, estimate, n, clusters, designEffect: NaN, range: [NaN, NaN], pGreater: () => NaN, pLess: () => NaN, problem };
}

/** Two-sided p-value of H0: Δ = δ₀. */
export function twoSidedP(inf: PairedInference, delta0 = 0): number {
  if (inf.problem) return NaN;
  return Math.min(1, 2 * Math.min(inf.pGreater(delta0), inf.pLess(delta0)));
}

/** The TOST p-value of non-equivalence, H0: |Δ| ≥ margin (small = equivalent within ±margin). */
export function tostP(inf: PairedInference, margin: number): number {
  if (inf.problem || !(margin > 0)) return NaN;
  return Math.max(inf.pGreater(-margin), inf.pLess(margin));
}

const BISECTIONS = 64;
/** How far (in doublings of the data's width) an unbounded interval's end is searched for. */
const DOUBLINGS = 40;

/** From `start`, step outward by `step`, doubling, until `rejected`: that point, or null when it never is. */
function reach(start: number, step: number, rejected: (d: number) => boolean): number | null {
  let x = start;
  for (let k = 0; k <= DOUBLINGS; k++) {
    if (rejected(x)) return x;
    x = start + step * 2 ** k;
  }
  return null;
}

/**
 * The boundary of {δ₀ : rejected(δ₀)} in [lo, hi], where rejected holds below the
 * boundary (`rejectedBelow`) or above it: bisection on a monotone indicator.
 */
function boundary(rejected: (d: number) => boolean, lo: number, hi: number, rejectedBelow: boolean): number {
  let a = lo;
  let b = hi;
  for (let i = 0; i < BISECTIONS; i++) {
    const mid = (a + b) / 2;
    if (rejected(mid) === rejectedBelow) a = mid;
    else b = mid;
  }
  return (a + b) / 2;
}

/**
 * The two-sided interval at `level` (e.g. 0.95), as the set of δ₀ neither one-sided
 * test rejects at (1 − level)/2. A bound at the edge of `range` means the data cannot
 * rule out that end.
 */
export function confidenceInterval(inf: PairedInference, level: number): [number, number] {
  if (inf.problem) return [NaN, NaN];
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (inf.degenerate) return [inf.estimate, inf.estimate];
  const a = (1 - level) / 2;
  // the search always spans 0, so the interval excludes 0 exactly when p(0) < 1 − level
  let lo = Math.min(inf.range[0], 0);
  let hi = Math.max(inf.range[1], 0);
  const rejectedBelow = (d: number) => inf.pGreater(d) < a;
  const rejectedAbove = (d: number) => inf.pLess(d) < a;
  if (!inf.bounded) {
    // widen until each end is rejected; an end the test cannot reject (a few clusters, too
    // few resamples for the level) is infinite
    const width = Math.max(hi - lo, Math.abs(inf.estimate), 1e-9);
    const l = reach(lo, -width, rejectedBelow);
    const h = reach(hi, width, rejectedAbove);
    const lower = l === null ? -Infinity : boundary(rejectedBelow, l, hi, true);
    const upper = h === null ? Infinity : boundary(rejectedAbove, lo, h, false);
    return [lower, upper];
  }
  const lower = !rejectedBelow(lo) ? lo : boundary(rejectedBelow, lo, hi, true);
  const upper = !rejectedAbove(hi) ? hi : boundary(rejectedAbove, lo, hi, false);
  return [lower, upper];
}

/** The one-sided bound of Δ at `level`: the lowest value not rejected (side "lower") or the highest (side "upper"). */
export function confidenceBound(inf: PairedInference, level: number, side: "lower" | "upper"): number {
  const [lo, hi] = confidenceInterval(inf, 1 - 2 * (1 - level));
  return side === "lower" ? lo : hi;
}
