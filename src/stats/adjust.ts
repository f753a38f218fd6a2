/**
 * Multiple-comparison adjustment of the ledger's p-values (one per probe metric), as R's
 * p.adjust computes them:
 *
 *   holm                Holm 1979, "A simple sequentially rejective multiple test
 *                       procedure", Scand. J. Statist. 6(2): controls the family-wise
 *                       error rate. With p_(1) ≤ … ≤ p_(m):
 *                         p̃_(i) = max_{j ≤ i} min(1, (m − j + 1) · p_(j))
 *   benjamini-hochberg  Benjamini & Hochberg 1995, "Controlling the false discovery rate",
 *                       JRSS B 57(1): controls the false discovery rate (independent or
 *                       positively dependent tests):
 *                         p̃_(i) = min_{j ≥ i} min(1, m / j · p_(j))
 *
 * Adjusted values come back in the input order; rejecting where p̃ ≤ α is the procedure.
 * NaN p-values (a metric that could not be tested) pass through as NaN and are not
 * counted in the family size m. Ties keep their input order (the result is the same).
 */

export type PAdjustMethod = "holm" | "benjamini-hochberg";

function checkAndRank(ps: readonly number[]): number[] {
  const order: number[] = [];
  ps.forEach((p, i) => {
    if (Number.isNaN(p)) return;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`p-value ${i} must be in [0, 1] or NaN, got ${p}`);
    order.push(i);
  });
  return order.sort((a, b) => ps[a] - ps[b]);
}

/** Holm's step-down adjusted p-values, in the input order (NaN stays NaN). */
export function holm(ps: readonly number[]): number[] {
  const order = checkAndRank(ps);
  const m = order.length;
  const out = ps.map(() => NaN);
  let running = 0;
  order.forEach((idx, j) => {
    running = Math.max(running, Math.min(1, (m - j) * ps[idx]));
    out[idx] = running;
  });
  return out;
}

/** Benjamini–Hochberg step-up adjusted p-values (q-values), in the input order (NaN stays NaN). */
export function benjaminiHochberg(ps: readonly number[]): number[] {
  const order = checkAndRank(ps);
  const m = order.length;
  const out = ps.map(() => NaN);
  let running = 1;
  for (let j = m - 1; j >= 0; j--) {
    const idx = order[j];
    running = Math.min(running, (m / (j + 1)) * ps[idx]);
    out[idx] = running;
  }
  return out;
}

/** The adjustments by the name a report states. */
export const pAdjust = {
  holm,
  "benjamini-hochberg": benjaminiHochberg,
} satisfies Record<PAdjustMethod, (ps: readonly number[]) => number[]>;
