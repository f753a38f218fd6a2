/**
 * Paired permutation tests (Fisher 1935, "The Design of Experiments", §21: the
 * randomisation test; Good 2005, "Permutation, Parametric and Bootstrap Tests", ch. 3).
 * Under H0 (the fine-tune changed nothing) base and tuned are exchangeable within each
 * item, so swapping them in any subset of items gives a result as likely as the one
 * observed:
 *
 *   signFlipTest        continuous per-item values: T = mean(tuned − base); a swap flips
 *                       the sign of that item's difference d_i.
 *   pairedPermutation   a set-level statistic S (ECE, entropy, pass@k over items…):
 *                       T = S(tuned) − S(base); a swap exchanges the item's two records
 *                       and S is recomputed on both sides.
 *
 * The two-sided p-value is the share of swap patterns with |T*| ≥ |T|:
 *
 *   1. Exact: when there are at most 16 items that a swap can change (2^16 = 65,536
 *      patterns), every pattern is enumerated and p = #{|T*| ≥ |T|} / 2^m.
 *   2. Monte Carlo otherwise: B seeded random patterns (each item swapped with
 *      probability 1/2) and p = (1 + #{|T*| ≥ |T|}) / (1 + B) — the observed pattern
 *      counted once, so p is never 0 and the test keeps its level (Phipson & Smyth 2010,
 *      "Permutation p-values should never be zero", SAGMB 9(1)).
 *
 * NOTE: ties. Patterns that tie T in exact arithmetic can miss it by a rounding error,
 * so |T*| ≥ |T| is tested with a relative tolerance of 1e-11 (of Σ|d_i| for the sign
 * flip, of max(|S(base)|, |S(tuned)|) for a set statistic) — far below any effect
 * worth reporting, far above the rounding of a sum of a few thousand terms.
 */
import { createRng } from "../random/index.js";

export interface PermutationOptions {
  /** Recorded in the result; the same seed and inputs give the same p-value. */
  seed: number;
  /** Random patterns B when enumeration is too large. 10,000: p's Monte Carlo sd is then ≤ 0.005. */
  iterations?: number;
}

export interface PermutationResult {
  /** Items (pairs). */
  n: number;
  /** The observed difference: mean(tuned − base), or S(tuned) − S(base); NaN when undefined. */
  statistic: number;
  /** Two-sided p-value; 1 when no swap can change anything, NaN when `status` is not "ok". */
  p: number;
  /** Patterns evaluated: 2^m when exact, B when Monte Carlo. */
  iterations: number;
  seed: number;
  method: "sign-flip-exact" | "sign-flip-permutation" | "paired-permutation-exact" | "paired-permutation";
  /**
   * Patterns whose statistic was NaN (set statistics only). They count as at least as
   * extreme as the observed one, so p is conservative.
   */
  undefinedPatterns: number;
  status: "ok" | "no-items" | "undefined-statistic";
}

/** Up to this many swappable items the test enumerates all 2^m patterns. */
export const EXACT_MAX_ITEMS = 16;
const TIE_TOLERANCE = 1e-11;

function checkPaired(base: readonly unknown[], tuned: readonly unknown[], iterations: number): void {
  if (base.length !== tuned.length) throw new RangeError(`paired values need equal lengths, got ${base.length} base and ${tuned.length} tuned`);
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be an integer ≥ 1, got ${iterations}`);
}

/** Sign-flip permutation test of mean(tuned − base); `base[i]` and `tuned[i]` must be the same item. */
export function signFlipTest(base: readonly number[], tuned: readonly number[], opts: PermutationOptions): PermutationResult {
  const iterations = opts.iterations ?? 10_000;
  checkPaired(base, tuned, iterations);
  const n = base.length;
  const common = { n, seed: opts.seed, undefinedPatterns: 0 };
  if (n === 0) return { ...common, statistic: NaN, p: NaN, iterations: 0, method: "sign-flip-exact", status: "no-items" };
  // 1. The non-zero differences: a zero difference is the same whichever way round.
  const nonZero: number[] = [];
  let sum = 0;
  let scale = 0;
  for (let i = 0; i < n; i++) {
    const d = tuned[i] - base[i];
    if (!Number.isFinite(d)) throw new RangeError(`item ${i}: values must be finite numbers, got base ${base[i]} and tuned ${tuned[i]}`);
    if (d !== 0) nonZero.push(d);
    sum += d;
    scale += Math.abs(d);
  }
  const m = nonZero.length;
  const d = Float64Array.from(nonZero);
  // 2. Compare sums, not means: n is the same for every pattern.
  const threshold = Math.abs(sum) - TIE_TOLERANCE * scale;
  const extreme = (signs: (j: number) => boolean): boolean => {
    let s = 0;
    for (let j = 0; j < m; j++) s += signs(j) ? -d[j] : d[j];
    return Math.abs(s) >= threshold;
  };
  const statistic = sum / n;
  if (m <= EXACT_MAX_ITEMS) {
    const patterns = 2 ** m;
    let atLeast = 0;
    for (let mask = 0; mask < patterns; mask++) if (extreme((j) => ((mask >>> j) & 1) === 1)) atLeast++;
    return { ...common, statistic, p: atLeast / patterns, iterations: patterns, method: "sign-flip-exact", status: "ok" };
  }
  // 3. Monte Carlo: one uniform per non-zero difference, in item order.
  const rng = createRng(opts.seed);
  let atLeast = 1; // the observed pattern
  for (let b = 0; b < iterations; b++) if (extreme(() => rng.next() < 0.5)) atLeast++;
  return { ...common, statistic, p: atLeast / (iterations + 1), iterations, method: "sign-flip-permutation", status: "ok" };
}

/**
 * Paired permutation test of a set-level statistic: T = stat(tuned) − stat(base), each
 * pattern swapping base[i] and tuned[i] within items. `stat` receives the records in
 * item order and must not keep the array (it is reused between patterns). Exact for
 * n ≤ 16 items (every item counts as swappable: records are opaque).
 */
export function pairedPermutation<T>(
  base: readonly T[], tuned: readonly T[], stat: (xs: readonly T[]) => number, opts: PermutationOptions,
): PermutationResult {
  const iterations = opts.iterations ?? 10_000;
  checkPaired(base, tuned, iterations);
  const n = base.length;
  const exact = n <= EXACT_MAX_ITEMS;
  const method = exact ? "paired-permutation-exact" as const : "paired-permutation" as const;
  const common = { n, seed: opts.seed, method };
  if (n === 0) return { ...common, statistic: NaN, p: NaN, iterations: 0, undefinedPatterns: 0, status: "no-items" };
  const sBase = stat(base);
  const sTuned = stat(tuned);
  const statistic = sTuned - sBase;
  if (Number.isNaN(statistic)) return { ...common, statistic, p: NaN, iterations: 0, undefinedPatterns: 0, status: "undefined-statistic" };
  const threshold = Math.abs(statistic) - TIE_TOLERANCE * Math.max(Math.abs(sBase), Math.abs(sTuned));
  const xs: T[] = tuned.slice();
  const ys: T[] = base.slice();
  let undefinedPatterns = 0;
  /** Counts 1 when the pattern (swap(i) true = exchange item i) is at least as extreme. */
  const extreme = (swap: (i: number) => boolean): number => {
    for (let i = 0; i < n; i++) {
      const s = swap(i);
      xs[i] = s ? base[i] : tuned[i];
      ys[i] = s ? tuned[i] : base[i];
    }
    const t = stat(xs) - stat(ys);
    if (Number.isNaN(t)) {
      undefinedPatterns++;
      return 1;
    }
    return Math.abs(t) >= threshold ? 1 : 0;
  };
  if (exact) {
    const patterns = 2 ** n;
    let atLeast = 0;
    for (let mask = 0; mask < patterns; mask++) atLeast += extreme((i) => ((mask >>> i) & 1) === 1);
    return { ...common, statistic, p: atLeast / patterns, iterations: patterns, undefinedPatterns, status: "ok" };
  }
  const rng = createRng(opts.seed);
  let atLeast = 1; // the observed pattern
  for (let b = 0; b < iterations; b++) atLeast += extreme(() => rng.next() < 0.5);
  return { ...common, statistic, p: atLeast / (iterations + 1), iterations, undefinedPatterns, status: "ok" };
}
