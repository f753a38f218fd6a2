/**
 * Effect sizes for paired measurements, so a ledger row says how large a change is, not
 * only whether it is significant:
 *
 *   cohens-dz          Cohen 1988, "Statistical Power Analysis for the Behavioral
 *                      Sciences", 2nd ed., §2.3 (d_z): mean(d) / sd(d) over the per-item
 *                      differences d_i = tuned_i − base_i, sd with n − 1 (Lakens 2013,
 *                      Front. Psychol. 4:863, eq. 6).
 *   paired-odds-ratio  the conditional (McNemar) odds ratio of paired binary outcomes,
 *                      c / b (Agresti 2013, "Categorical Data Analysis", 3rd ed., §11.1.4):
 *                      > 1 when the tuned model turns more wrong answers right than right
 *                      answers wrong. With a zero count it adds 0.5 to both (Haldane 1956,
 *                      Ann. Hum. Genet. 20) so the ratio is finite.
 *
 * Degenerate cases give NaN or ±Infinity with a `note` saying why — never a made-up 0.
 */

export interface EffectSize {
  name: "cohens-dz" | "paired-odds-ratio";
  value: number;
  /** Why the value is NaN, infinite or corrected. */
  note?: string;
}

/** Cohen's d_z of tuned − base; `base[i]` and `tuned[i]` must be the same item. */
export function cohensDz(base: readonly number[], tuned: readonly number[]): EffectSize {
  if (base.length !== tuned.length) throw new RangeError(`paired values need equal lengths, got ${base.length} base and ${tuned.length} tuned`);
  const n = base.length;
  const name = "cohens-dz" as const;
  if (n < 2) return { name, value: NaN, note: `needs at least 2 items for a standard deviation, got ${n}` };
  const d = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    d[i] = tuned[i] - base[i];
    if (!Number.isFinite(d[i])) throw new RangeError(`item ${i}: values must be finite numbers, got base ${base[i]} and tuned ${tuned[i]}`);
    sum += d[i];
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (d[i] - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  // NOTE: a constant non-zero shift rounds to a tiny sd rather than 0 when the
  // differences are not exactly representable; treat sd below 1e-12 of |mean| as 0.
  if (sd === 0 || sd <= 1e-12 * Math.abs(mean)) {
    if (mean === 0) return { name, value: NaN, note: "every difference is 0: no change and no spread, so no standardised effect" };
    return { name, value: mean > 0 ? Infinity : -Infinity, note: "every item changed by the same amount: no spread, so the standardised effect is infinite" };
  }
  return { name, value: mean / sd };
}

/**
 * Conditional odds ratio c / b of paired binary outcomes: b = base right, tuned wrong;
 * c = base wrong, tuned right (mcnemar.ts's counts).
 */
export function pairedOddsRatio(b: number, c: number): EffectSize {
  for (const [label, v] of [["b", b], ["c", c]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${label} must be an integer ≥ 0, got ${v}`);
  }
  const name = "paired-odds-ratio" as const;
  if (b === 0 || c === 0) {
    return { name, value: (c + 0.5) / (b + 0.5), note: `Haldane correction: 0.5 added to b = ${b} and c = ${c} because one is 0` };
  }
  return { name, value: c / b };
}
