/**
 * Power and sample size for the ledger's paired tests: how many items a run needs to
 * detect a change of a given size, or to show that no change beyond a margin happened,
 * and the minimum detectable effect (MDE) at a given n. Two-sided detection tests at
 * level α; equivalence by two one-sided tests (TOST) at α each. With m ledger rows, plan
 * at the Bonferroni level α/m (`bonferroniAlpha`): Holm rejects at least what Bonferroni
 * does, so the plan is conservative.
 *
 *   mcnemar-score-connor  binary metric, McNemar score test z = (c − b)/√(b + c). Connor
 *                         1987 ("Sample size for testing differences in proportions for
 *                         the paired-sample design", Biometrics 43(1):207–211), with
 *                         ψ = p10 + p01 the discordance and δ = p01 − p10:
 *                           n = [z_{1−α/2} √ψ + z_power √(ψ − δ²)]² / δ²
 *                         The MDE solves that equation for δ exactly (bisection) rather
 *                         than dropping δ² (mde.ts does, for the ledger's MDE column).
 *   paired-t              continuous metric, sd the sd of the per-item differences; the
 *                         normal formula with t quantiles at n − 1 degrees of freedom,
 *                         solved for its fixed point (Chow, Shao & Wang 2008, "Sample Size
 *                         Calculations in Clinical Research", 2nd ed., §3.1):
 *                           n = ((t_{1−α/2, n−1} + t_{power, n−1}) · sd / δ)²
 *   tost-paired-t         equivalence within ±margin when the true difference is Δ:
 *                           power ≈ T(( margin − Δ)√n/sd − t_{1−α}) + T((margin + Δ)√n/sd − t_{1−α}) − 1
 *                         (T the t distribution at n − 1 df, the "shifted t"
 *                         approximation; Chow, Shao & Wang 2008 §3.1). For Δ = 0 this is
 *                           n = ((t_{1−α, n−1} + t_{1−(1−power)/2, n−1}) · sd / margin)²
 *   tost-paired-proportions  the same with normal quantiles and sd² = ψ − Δ², the
 *                         variance of one item's difference (−1, 0 or 1).
 *
 * Clusters (several items per cluster) multiply n by the design effect
 * deff = 1 + (m̄_w − 1)·ICC, m̄_w = Σm²/Σm (Kish 1965, "Survey Sampling"; for unequal
 * clusters Eldridge, Ashby & Kerry 2006, Int. J. Epidemiol. 35(5):1292–1300), the factor
 * by which clustering inflates the variance of a mean; for binary metrics this is Rao &
 * Scott 1992 (Biometrics 48(2):577–585): counts divided by deff. Every n is rounded up.
 * An input with no answer (δ = 0, ψ = 0, Δ beyond the margin) gives Infinity, an undefined one NaN, each with a note.
 */
import { normalCdf, normalQuantile } from "./normal.js";

export type PowerMethod = "mcnemar-score-connor" | "paired-t" | "tost-paired-t" | "tost-paired-proportions";

/** What every power calculation reports besides its answer. */
interface PowerPlan {
  method: PowerMethod;
  /** The level the test is planned at (already divided by m when planning for m rows). */
  alpha: number;
  power: number;
  deff: number;
  note?: string;
}

export interface SampleSize extends PowerPlan {
  /** Items needed (rounded up, design effect included); Infinity when none suffice, NaN when undefined (ψ = 0 for equivalence), each with a note. */
  n: number;
}

export interface DetectableEffect extends PowerPlan {
  /** Smallest true difference detected with `power`, in the metric's units; Infinity when none is, with a note. */
  mde: number;
  n: number;
}

interface Level {
  alpha: number;
  power: number;
  deff?: number;
}

// ── validation: a RangeError names the argument and the value (a programmer's mistake) ──

function check(name: string, value: number, ok: boolean, rule: string): void {
  if (!ok) throw new RangeError(`${name} must be ${rule}, got ${value}`);
}

function level(o: Level): { alpha: number; power: number; deff: number } {
  const deff = o.deff ?? 1;
  check("alpha", o.alpha, o.alpha > 0 && o.alpha < 1, "in (0, 1)");
  // NOTE: below 0.5 the power equations stop being monotone in n and δ; a plan for less than an even chance is no plan
  check("power", o.power, o.power >= 0.5 && o.power < 1, "in [0.5, 1)");
  check("deff", deff, deff >= 1 && Number.isFinite(deff), "a finite number ≥ 1");
  return { alpha: o.alpha, power: o.power, deff };
}

const positive = (name: string, x: number) => check(name, x, x > 0 && Number.isFinite(x), "a finite number > 0");
const itemsCount = (name: string, x: number) => check(name, x, Number.isInteger(x) && x >= 2, "an integer ≥ 2");

/** Items rounded up; floating-point noise just above an integer must not add an item. */
const ceilItems = (x: number) => (Number.isFinite(x) ? Math.ceil(x * (1 - 1e-12)) : x);

// ── Student's t (for the t-corrected and TOST plans) ──

/** log Γ(x), x > 0: Lanczos (1964, SIAM J. Numer. Anal. B 1) with Godfrey's g = 7, n = 9 coefficients (≈1e-15). */
const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

const TINY = 1e-300;
const EPS = 1e-15;

/** Continued fraction of the incomplete beta by the modified Lentz method (Press et al. 2007, "Numerical Recipes", 3rd ed., §6.4). */
function betaFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < TINY ? TINY : d);
  let h = d;
  const step = (aa: number) => {
    d = 1 + aa * d;
    d = 1 / (Math.abs(d) < TINY ? TINY : d);
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    return d * c;
  };
  for (let m = 1; m <= 100_000; m++) {
    h *= step((m * (b - m) * x) / ((a - 1 + 2 * m) * (a + 2 * m)));
    const del = step((-(a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 1 + 2 * m)));
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

/** The regularized incomplete beta I_x(a, b) (Numerical Recipes §6.4: the fraction converges fast on this side of (a+1)/(a+b+2)). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** Past this many degrees of freedom t is the normal to within 1e-7: the fraction would only spend iterations. */
const NORMAL_DF = 1e7;

/** P(T > t) for t ≥ 0: ½ I_{ν/(ν+t²)}(ν/2, ½) (Abramowitz & Stegun 1964, 26.7.1 with 26.5.27). */
function tUpperTail(t: number, df: number): number {
  return df > NORMAL_DF ? normalCdf(-t) : 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** Student's t CDF with df > 0 degrees of freedom (df need not be an integer). */
export function studentTCdf(t: number, df: number): number {
  positive("df", df);
  if (Number.isNaN(t)) return NaN;
  return t >= 0 ? 1 - tUpperTail(t, df) : tUpperTail(-t, df);
}

/** Student's t quantile: bisection on the upper tail, which keeps its precision far into the tail. */
export function studentTQuantile(p: number, df: number): number {
  positive("df", df);
  check("p", p, p > 0 && p < 1, "in (0, 1)");
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  if (df > NORMAL_DF) return normalQuantile(p);
  const q = 1 - p;
  let hi = Math.max(1, 2 * normalQuantile(p));
  while (tUpperTail(hi, df) > q) hi *= 2;
  return bisect((t) => q - tUpperTail(t, df), 0, hi);
}

/** The root of an increasing f on [lo, hi] (f(lo) < 0 ≤ f(hi)), from the side where f ≥ 0: a plan never undershoots. */
function bisect(f: (x: number) => number, lo: number, hi: number): number {
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) >= 0) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The smallest n ≥ 2 (continuous; a t-test needs 1 df) with f(n) ≥ 0 for f increasing in n: double until it holds, then bisect. */
function solveN(f: (n: number) => number, start: number): number {
  if (f(2) >= 0) return 2;
  let hi = Math.max(4, start);
  while (f(hi) < 0) hi *= 2;
  return bisect(f, 2, hi);
}

// ── multiplicity and clusters ──

/** The per-row level that keeps the family-wise error at α across m rows (Bonferroni; Holm is never stricter). */
export function bonferroniAlpha(alpha: number, m: number): number {
  check("alpha", alpha, alpha > 0 && alpha < 1, "in (0, 1)");
  check("m", m, Number.isInteger(m) && m >= 1, "an integer ≥ 1");
  return alpha / m;
}

/** deff = 1 + (m̄_w − 1)·ICC with m̄_w = Σm²/Σm, the size-weighted mean cluster size (Kish 1965; Eldridge et al. 2006). */
export function designEffect(o: { clusterSizes: readonly number[]; icc: number }): number {
  check("clusterSizes.length", o.clusterSizes.length, o.clusterSizes.length > 0, "at least 1");
  o.clusterSizes.forEach((m, i) => check(`clusterSizes[${i}]`, m, Number.isInteger(m) && m >= 1, "an integer ≥ 1"));
  check("icc", o.icc, o.icc >= 0 && o.icc <= 1, "in [0, 1]");
  const sum = o.clusterSizes.reduce((s, m) => s + m, 0);
  const weighted = o.clusterSizes.reduce((s, m) => s + m * m, 0) / sum;
  return 1 + (weighted - 1) * o.icc;
}

export interface IccEstimate {
  /** In [0, 1) (negative estimates truncated at 0); NaN when not estimable, with a note. */
  icc: number;
  clusters: number;
  /** The ANOVA's average cluster size n₀ = (N − Σm²/N)/(k − 1). */
  n0: number;
  note?: string;
}

/**
 * The one-way ANOVA estimator of the intraclass correlation for unequal cluster sizes
 * (Donner 1986, "A review of inference procedures for the intraclass correlation
 * coefficient in the one-way random effects model", Int. Stat. Rev. 54(1):67–82):
 *   ICC = (MSB − MSW) / (MSB + (n₀ − 1)·MSW), truncated at 0.
 */
export function iccOneWay(values: readonly number[], clusters: readonly string[]): IccEstimate {
  check("clusters.length", clusters.length, clusters.length === values.length, `the number of values (${values.length})`);
  values.forEach((v, i) => check(`values[${i}]`, v, Number.isFinite(v), "finite"));
  const groups = new Map<string, number[]>();
  values.forEach((v, i) => {
    const g = groups.get(clusters[i]);
    if (g) g.push(v);
    else groups.set(clusters[i], [v]);
  });
  const N = values.length;
  const k = groups.size;
  const n0 = k > 1 ? (N - [...groups.values()].reduce((s, g) => s + g.length ** 2, 0) / N) / (k - 1) : NaN;
  const none = (note: string): IccEstimate => ({ icc: NaN, clusters: k, n0, note });
  if (k < 2) return none(`${k} cluster(s): the ICC needs at least 2`);
  if (N === k) return none("every cluster has one item: no within-cluster spread to compare with");
  const grand = values.reduce((s, v) => s + v, 0) / N;
  let ssb = 0;
  let ssw = 0;
  for (const g of groups.values()) {
    const mean = g.reduce((s, v) => s + v, 0) / g.length;
    ssb += g.length * (mean - grand) ** 2;
    ssw += g.reduce((s, v) => s + (v - mean) ** 2, 0);
  }
  const msb = ssb / (k - 1);
  const msw = ssw / (N - k);
  const denominator = msb + (n0 - 1) * msw;
  if (!(denominator > 0)) return none("the values do not vary");
  const icc = (msb - msw) / denominator;
  return icc < 0 ? { icc: 0, clusters: k, n0, note: `the estimate ${icc.toFixed(4)} is negative: truncated at 0` } : { icc, clusters: k, n0 };
}

// ── binary metrics: McNemar score test (Connor 1987) ──

/** Items for the two-sided McNemar score test to detect δ = p01 − p10 (`delta`, when given, must agree). */
export function pairedProportionsN(o: Level & { p10: number; p01: number; delta?: number }): SampleSize {
  const { alpha, power, deff } = level(o);
  check("p10", o.p10, o.p10 >= 0 && o.p10 <= 1, "in [0, 1]");
  check("p01", o.p01, o.p01 >= 0 && o.p01 <= 1, "in [0, 1]");
  check("p10 + p01", o.p10 + o.p01, o.p10 + o.p01 <= 1, "≤ 1");
  const delta = o.p01 - o.p10;
  if (o.delta !== undefined) check("delta", o.delta, Math.abs(o.delta - delta) <= 1e-9, `p01 − p10 = ${+delta.toPrecision(12)}`);
  const psi = o.p10 + o.p01;
  const result = { method: "mcnemar-score-connor" as const, alpha, power, deff };
  if (psi === 0) return { ...result, n: Infinity, note: "ψ = 0: no item ever changes, so no n detects a difference" };
  if (delta === 0) return { ...result, n: Infinity, note: "δ = 0: there is no difference to detect" };
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  const n = (za * Math.sqrt(psi) + zb * Math.sqrt(psi - delta * delta)) ** 2 / (delta * delta);
  return { ...result, n: ceilItems(deff * n) };
}

/** The MDE of the McNemar score test with discordance ψ at n items: Connor's equation solved for δ ∈ (0, ψ]. */
export function pairedProportionsMde(o: Level & { psi: number; n: number }): DetectableEffect {
  const { alpha, power, deff } = level(o);
  check("psi", o.psi, o.psi >= 0 && o.psi <= 1, "in [0, 1]");
  itemsCount("n", o.n);
  const result = { n: o.n, method: "mcnemar-score-connor" as const, alpha, power, deff };
  if (o.psi === 0) return { ...result, mde: Infinity, note: "ψ = 0: with no discordant items the test has nothing to count" };
  const root = Math.sqrt(o.n / deff);
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  const f = (d: number) => d * root - za * Math.sqrt(o.psi) - zb * Math.sqrt(Math.max(0, o.psi - d * d));
  // |δ| ≤ ψ always (δ = p01 − p10, ψ = p01 + p10); f increases in δ when power ≥ 0.5
  if (f(o.psi) < 0) return { ...result, mde: Infinity, note: `even δ = ψ = ${o.psi} (every discordant item one way) is not detected at n = ${o.n}` };
  return { ...result, mde: bisect(f, 0, o.psi) };
}

// ── continuous metrics: paired t ──

/** Items for a two-sided paired t-test to detect a mean difference δ, sd the sd of the per-item differences. */
export function pairedMeanN(o: Level & { sd: number; delta: number }): SampleSize {
  const { alpha, power, deff } = level(o);
  positive("sd", o.sd);
  check("delta", o.delta, Number.isFinite(o.delta), "finite");
  const result = { method: "paired-t" as const, alpha, power, deff };
  if (o.delta === 0) return { ...result, n: Infinity, note: "δ = 0: there is no difference to detect" };
  const ratio = o.sd / Math.abs(o.delta);
  const zN = ((normalQuantile(1 - alpha / 2) + normalQuantile(power)) * ratio) ** 2;
  const n = solveN((n) => n - ((studentTQuantile(1 - alpha / 2, n - 1) + studentTQuantile(power, n - 1)) * ratio) ** 2, zN);
  return { ...result, n: Math.max(2, ceilItems(deff * n)) };
}

/** The MDE of a two-sided paired t-test at n items: (t_{1−α/2} + t_power) · sd / √n_eff, n_eff = n/deff, df = n_eff − 1. */
export function pairedMeanMde(o: Level & { sd: number; n: number }): DetectableEffect {
  const { alpha, power, deff } = level(o);
  positive("sd", o.sd);
  itemsCount("n", o.n);
  const result = { n: o.n, method: "paired-t" as const, alpha, power, deff };
  const nEff = o.n / deff;
  if (nEff < 2) return { ...result, mde: Infinity, note: `n/deff = ${nEff.toFixed(2)} effective items: a t-test needs at least 2` };
  const t = studentTQuantile(1 - alpha / 2, nEff - 1) + studentTQuantile(power, nEff - 1);
  return { ...result, mde: (t * o.sd) / Math.sqrt(nEff) };
}

// ── equivalence: two one-sided tests ──

type Quantile = (p: number, n: number) => number;
type Cdf = (x: number, n: number) => number;

/** n (continuous) where TOST's approximate power reaches the target; Infinity when |Δ| ≥ margin. */
function tostN(sd: number, margin: number, trueDelta: number, alpha: number, power: number, quantile: Quantile, cdf: Cdf): number {
  const d = Math.abs(trueDelta);
  if (d >= margin) return Infinity;
  const powerAt = (n: number) => {
    const crit = quantile(1 - alpha, n);
    const s = Math.sqrt(n) / sd;
    return cdf((margin - d) * s - crit, n) + cdf((margin + d) * s - crit, n) - 1;
  };
  const start = ((normalQuantile(1 - alpha) + normalQuantile(1 - (1 - power) / 2)) * sd / (margin - d)) ** 2;
  return solveN((n) => powerAt(n) - power, start);
}

function tostChecks(o: { margin: number; trueDelta?: number }): number {
  positive("margin", o.margin);
  const trueDelta = o.trueDelta ?? 0;
  check("trueDelta", trueDelta, Number.isFinite(trueDelta), "finite");
  return trueDelta;
}

const beyondMargin = (trueDelta: number, margin: number) =>
  `|true difference| ${Math.abs(trueDelta)} ≥ margin ${margin}: equivalence cannot be shown, whatever n (its power stays at most α)`;

/** Items for TOST to show |Δ| < margin on a continuous metric (t-corrected), when the true difference is trueDelta (default 0). */
export function equivalenceN(o: Level & { sd: number; margin: number; trueDelta?: number }): SampleSize {
  const { alpha, power, deff } = level(o);
  positive("sd", o.sd);
  const trueDelta = tostChecks(o);
  const result = { method: "tost-paired-t" as const, alpha, power, deff };
  const n = tostN(o.sd, o.margin, trueDelta, alpha, power, (p, n) => studentTQuantile(p, n - 1), (x, n) => studentTCdf(x, n - 1));
  if (!Number.isFinite(n)) return { ...result, n, note: beyondMargin(trueDelta, o.margin) };
  return { ...result, n: Math.max(2, ceilItems(deff * n)) };
}

/** Items for TOST to show |Δ| < margin on a binary metric with discordance ψ (per-item sd² = ψ − Δ², normal quantiles). */
export function equivalenceProportionsN(o: Level & { psi: number; margin: number; trueDelta?: number }): SampleSize {
  const { alpha, power, deff } = level(o);
  check("psi", o.psi, o.psi >= 0 && o.psi <= 1, "in [0, 1]");
  const trueDelta = tostChecks(o);
  check("|trueDelta|", Math.abs(trueDelta), Math.abs(trueDelta) <= o.psi, `≤ psi (${o.psi}): a difference needs that many discordant items`);
  const result = { method: "tost-paired-proportions" as const, alpha, power, deff };
  if (Math.abs(trueDelta) >= o.margin) return { ...result, n: Infinity, note: beyondMargin(trueDelta, o.margin) };
  // NOTE: ψ = 0 means nothing ever changes: the interval has no width and any n "shows" equivalence; that is no plan
  if (o.psi === 0) return { ...result, n: NaN, note: "ψ = 0: with no discordant items there is no variance to plan with; assume at least one discordant item (ψ ≥ 1/n of a pilot)" };
  const sd = Math.sqrt(o.psi - trueDelta * trueDelta);
  const n = tostN(sd, o.margin, trueDelta, alpha, power, (p) => normalQuantile(p), (x) => normalCdf(x));
  return { ...result, n: ceilItems(deff * n) };
}
