/**
 * The exact McNemar test for paired binary outcomes (McNemar 1947, Psychometrika 12;
 * exact conditional form as in Fagerland, Lydersen & Laake 2013, BMC Med. Res.
 * Methodol. 13:91). Only the discordant pairs carry information:
 *
 *   b = items the base got right and the tuned model wrong
 *   c = items the base got wrong and the tuned model right
 *
 * Under H0 (no change) b ~ Binomial(b + c, 1/2), and the two-sided p-value is
 * min(1, 2 · P(X ≤ min(b, c))). The tail is summed in log space, so it stays exact for
 * small counts and finite for large ones (C(n, k) overflows a double from n ≈ 1030).
 */

export interface McNemarResult {
  /** Base right, tuned wrong. */
  b: number;
  /** Base wrong, tuned right. */
  c: number;
  /** Two-sided exact p-value; 1 when there are no discordant pairs. */
  p: number;
  method: "mcnemar-exact";
}

/** log(e^a + e^b) without overflow. */
function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** log P(X ≤ m) for X ~ Binomial(n, 1/2). */
export function logBinomialHalfCdf(m: number, n: number): number {
  if (m < 0) return -Infinity;
  if (m >= n) return 0;
  // log C(n, k) by the recurrence C(n, k + 1) = C(n, k) · (n − k) / (k + 1)
  let logChoose = 0;
  let acc = -Infinity;
  for (let k = 0; k <= m; k++) {
    acc = logAddExp(acc, logChoose);
    logChoose += Math.log(n - k) - Math.log(k + 1);
  }
  return acc - n * Math.LN2;
}

/** Exact two-sided McNemar test on the discordant counts b and c. */
export function mcnemarExact(b: number, c: number): McNemarResult {
  for (const [name, v] of [["b", b], ["c", c]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be an integer ≥ 0, got ${v}`);
  }
  const n = b + c;
  if (n === 0) return { b, c, p: 1, method: "mcnemar-exact" };
  const p = Math.min(1, 2 * Math.exp(logBinomialHalfCdf(Math.min(b, c), n)));
  return { b, c, p, method: "mcnemar-exact" };
}

/** The discordant counts of paired outcomes; `base[i]` and `tuned[i]` must be the same item. */
export function discordantPairs(base: readonly boolean[], tuned: readonly boolean[]): { b: number; c: number } {
  if (base.length !== tuned.length) throw new RangeError(`paired outcomes need equal lengths, got ${base.length} base and ${tuned.length} tuned`);
  let b = 0;
  let c = 0;
  for (let i = 0; i < base.length; i++) {
    if (base[i] && !tuned[i]) b++;
    else if (!base[i] && tuned[i]) c++;
  }
  return { b, c };
}
