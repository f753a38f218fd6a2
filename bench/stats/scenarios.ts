/**
 * The data-generating processes of `npm run bench:stats` (bench/stats.ts): paired samples
 * whose true Δ is known in closed form, for the coverage table (§a) and the equivalence
 * table (§b).
 *
 *   binary       each item independently falls in one cell of the paired 2×2 table:
 *                (base, tuned) = (1, 0) with p10, (0, 1) with p01, (1, 1) with p11, else
 *                (0, 0); Δ = p01 − p10.
 *   continuous   d_i = tuned_i − base_i drawn from a stated distribution; Δ = E d.
 *   clustered    clusters of CLUSTER_SIZE items with intra-cluster correlation ICC of
 *                the differences: each item takes its cluster's shared draw with
 *                probability √ICC (else its own), so two items share one with probability
 *                ICC and corr(d_i, d_j) = ICC (binary); continuous d = μ + √ICC·u_c +
 *                √(1 − ICC)·e_i.
 *   set          format counts of SAMPLES samples per item in FORMATS formats; each item is
 *                of type A or B (probability ½ each, the same type in both arms, which is
 *                what pairs them), and each arm samples its formats from its own per-type
 *                distribution. The statistic is the plug-in entropy of the pooled counts
 *                (format.collapse's format-entropy); the truth is the entropy of the
 *                pooled population distribution, ½·(A + B), in each arm.
 */
import type { Rng } from "../../src/random/index.js";

export interface PairedSample {
  base: number[];
  tuned: number[];
  clusters?: string[];
}

/** One record of a set-level row: how many of the item's samples fell in each format, packed (see FORMAT_COUNTS). */
export type FormatRecord = number;

export interface SetSample {
  base: FormatRecord[];
  tuned: FormatRecord[];
}

export interface Scenario {
  id: string;
  label: string;
  kind: "binary" | "continuous" | "set";
  /** The true Δ (tuned − base). */
  truth: number;
  /** The n of the table's columns this scenario is run at. */
  ns: readonly number[];
  draw(rng: Rng, n: number): PairedSample | SetSample;
}

export const CLUSTER_SIZE = 4;
export const ICC = 0.5;
export const SAMPLES = 4;
export const FORMATS = 4;

const exp1 = (rng: Rng) => -Math.log(1 - rng.next());

/** Cells of the paired 2×2 table from one uniform: (1,0) below p10, then (0,1), then (1,1), then (0,0). */
function cell(u: number, p10: number, p01: number, p11: number): [number, number] {
  if (u < p10) return [1, 0];
  if (u < p10 + p01) return [0, 1];
  if (u < p10 + p01 + p11) return [1, 1];
  return [0, 0];
}

/** Cluster labels c0, c0, c0, c0, c1, …: the last cluster is smaller when CLUSTER_SIZE does not divide n. */
export function clusterLabels(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `c${Math.floor(i / CLUSTER_SIZE)}`);
}

/** Independent paired binary items with the given cells (p11 = baseRate − p10). */
export function binaryItems(rng: Rng, n: number, p10: number, p01: number, baseRate: number): PairedSample {
  const base: number[] = new Array(n);
  const tuned: number[] = new Array(n);
  for (let i = 0; i < n; i++) [base[i], tuned[i]] = cell(rng.next(), p10, p01, baseRate - p10);
  return { base, tuned };
}

function binary(id: string, label: string, p10: number, p01: number, baseRate: number): Scenario {
  return { id, label, kind: "binary", truth: p01 - p10, ns: [20, 50, 200, 1000], draw: (rng, n) => binaryItems(rng, n, p10, p01, baseRate) };
}

/** Continuous differences d ~ draw(); the base is N(0, 1) noise that the difference cancels. */
export function continuousItems(rng: Rng, n: number, d: (rng: Rng) => number): PairedSample {
  const base: number[] = new Array(n);
  const tuned: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    base[i] = rng.normal();
    tuned[i] = base[i] + d(rng);
  }
  return { base, tuned };
}

function continuous(id: string, label: string, truth: number, d: (rng: Rng) => number): Scenario {
  return { id, label, kind: "continuous", truth, ns: [20, 50, 200, 1000], draw: (rng, n) => continuousItems(rng, n, d) };
}

/** Clustered binary items: the cell uniform is the cluster's with probability √ICC. */
export function clusteredBinaryItems(rng: Rng, n: number, p10: number, p01: number, baseRate: number): PairedSample {
  const copy = Math.sqrt(ICC);
  const base: number[] = new Array(n);
  const tuned: number[] = new Array(n);
  let shared = 0;
  for (let i = 0; i < n; i++) {
    if (i % CLUSTER_SIZE === 0) shared = rng.next();
    const u = rng.next() < copy ? shared : rng.next();
    [base[i], tuned[i]] = cell(u, p10, p01, baseRate - p10);
  }
  return { base, tuned, clusters: clusterLabels(n) };
}

/** Clustered continuous differences with mean mu, sd 1 and intra-cluster correlation ICC. */
export function clusteredContinuousItems(rng: Rng, n: number, mu: number): PairedSample {
  const base: number[] = new Array(n);
  const tuned: number[] = new Array(n);
  let shared = 0;
  for (let i = 0; i < n; i++) {
    if (i % CLUSTER_SIZE === 0) shared = rng.normal();
    base[i] = rng.normal();
    tuned[i] = base[i] + mu + Math.sqrt(ICC) * shared + Math.sqrt(1 - ICC) * rng.normal();
  }
  return { base, tuned, clusters: clusterLabels(n) };
}

// ── set level: pooled format entropy ──

/** The format counts a packed record stands for: code = c0 + 5·c1 + 25·c2 + 125·c3 (each count 0…SAMPLES). */
export const FORMAT_COUNTS: readonly (readonly number[])[] = Array.from({ length: (SAMPLES + 1) ** FORMATS }, (_, code) =>
  Array.from({ length: FORMATS }, (_, k) => Math.floor(code / (SAMPLES + 1) ** k) % (SAMPLES + 1)));

/** Plug-in entropy (nats) of the pooled format counts of the records (format.collapse's format-entropy). */
export function pooledEntropy(records: readonly FormatRecord[]): number {
  const counts = new Array<number>(FORMATS).fill(0);
  for (const r of records) {
    const c = FORMAT_COUNTS[r];
    for (let k = 0; k < FORMATS; k++) counts[k] += c[k];
  }
  return entropy(counts);
}

/** Entropy (nats) of non-negative weights. */
export function entropy(w: readonly number[]): number {
  const total = w.reduce((a, b) => a + b, 0);
  let h = 0;
  for (const x of w) if (x > 0) h -= (x / total) * Math.log(x / total);
  return h;
}

/** Per item type (A, B), each arm's format distribution: the tuned model collapses onto format 0. */
export const FORMAT_MIX = {
  base: [[0.55, 0.25, 0.15, 0.05], [0.25, 0.35, 0.25, 0.15]],
  tuned: [[0.75, 0.15, 0.07, 0.03], [0.45, 0.3, 0.15, 0.1]],
} as const;

const pooled = (mix: readonly (readonly number[])[]) => mix[0].map((p, k) => (p + mix[1][k]) / 2);

function sampleFormats(rng: Rng, p: readonly number[]): FormatRecord {
  let code = 0;
  for (let s = 0; s < SAMPLES; s++) {
    let u = rng.next();
    let k = 0;
    while (k < FORMATS - 1 && u >= p[k]) u -= p[k++];
    code += (SAMPLES + 1) ** k;
  }
  return code;
}

export function formatItems(rng: Rng, n: number, mix: { base: readonly (readonly number[])[]; tuned: readonly (readonly number[])[] } = FORMAT_MIX): SetSample {
  const base: FormatRecord[] = new Array(n);
  const tuned: FormatRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const type = rng.next() < 0.5 ? 0 : 1;
    base[i] = sampleFormats(rng, mix.base[type]);
    tuned[i] = sampleFormats(rng, mix.tuned[type]);
  }
  return { base, tuned };
}

/** The true Δ of the pooled format entropy under FORMAT_MIX. */
export const FORMAT_ENTROPY_TRUTH = entropy(pooled(FORMAT_MIX.tuned)) - entropy(pooled(FORMAT_MIX.base));

// ── the coverage table's rows (§a) ──

export const SCENARIOS: readonly Scenario[] = [
  binary("bin-null", "binary, no effect, p10 = p01 = 0.05", 0.05, 0.05, 0.6),
  binary("bin-loss5", "binary, 5 pp loss (p10 = 0.05, p01 = 0)", 0.05, 0, 0.6),
  binary("bin-loss10", "binary, 10 pp loss (p10 = 0.15, p01 = 0.05)", 0.15, 0.05, 0.6),
  binary("bin-gain20", "binary, 20 pp gain (p10 = 0.05, p01 = 0.25)", 0.05, 0.25, 0.5),
  binary("bin-zero", "binary, zero discordance (p10 = p01 = 0)", 0, 0, 0.6),
  binary("bin-all", "binary, all-or-nothing (p10 = 1: every item lost)", 1, 0, 1),
  continuous("cont-null", "continuous, normal d, Δ = 0", 0, (rng) => rng.normal()),
  continuous("cont-shift", "continuous, normal d, Δ = 0.2 sd", 0.2, (rng) => 0.2 + rng.normal()),
  continuous("cont-skew", "continuous, skewed d = Exp(1) − 1, Δ = 0", 0, (rng) => exp1(rng) - 1),
  {
    id: "cont-all", label: "continuous, all-or-nothing (every d = −0.25)", kind: "continuous", truth: -0.25, ns: [20, 50, 200, 1000],
    // values on a grid of 1/64, so tuned − base is exactly −0.25 for every item
    draw: (rng, n) => {
      const base = Array.from({ length: n }, () => 0.25 + rng.int(48) / 64);
      return { base, tuned: base.map((b) => b - 0.25) };
    },
  },
  {
    id: "clu-bin", label: `clustered binary, ${CLUSTER_SIZE}/cluster, ICC ${ICC}, p10 = 0.10, p01 = 0.05`, kind: "binary", truth: -0.05, ns: [20, 50, 200, 1000],
    draw: (rng, n) => clusteredBinaryItems(rng, n, 0.1, 0.05, 0.6),
  },
  {
    id: "clu-cont", label: `clustered continuous, ${CLUSTER_SIZE}/cluster, ICC ${ICC}, Δ = 0.1 sd`, kind: "continuous", truth: 0.1, ns: [20, 50, 200, 1000],
    draw: (rng, n) => clusteredContinuousItems(rng, n, 0.1),
  },
  {
    id: "set-entropy", label: `set, pooled format entropy (${SAMPLES} samples/item), Δ = ${FORMAT_ENTROPY_TRUTH.toFixed(4)} nats`, kind: "set",
    truth: FORMAT_ENTROPY_TRUTH, ns: [50, 200, 1000], draw: (rng, n) => formatItems(rng, n),
  },
];

/** Rows where the table also shows the old method (the percentile paired bootstrap). */
export const OLD_METHOD_ROWS = ["bin-zero", "bin-loss5"] as const;

// ── the equivalence table's rows (§b) ──

export interface EquivalenceScenario {
  id: string;
  label: string;
  kind: "binary" | "continuous";
  margin: number;
  truth: number;
  draw(rng: Rng, n: number): PairedSample;
}

/** Binary margin: knowledge.retention's and task.accuracy's 2 pp. */
export const BINARY_MARGIN = 0.02;
/** Continuous margin: 0.2 of the sd of the differences (sd 1). */
export const CONTINUOUS_MARGIN = 0.2;

function eqBinary(id: string, label: string, p10: number, p01: number): EquivalenceScenario {
  return { id, label, kind: "binary", margin: BINARY_MARGIN, truth: p01 - p10, draw: (rng, n) => binaryItems(rng, n, p10, p01, 0.6) };
}

function eqContinuous(id: string, label: string, truth: number, d: (rng: Rng) => number): EquivalenceScenario {
  return { id, label, kind: "continuous", margin: CONTINUOUS_MARGIN, truth, draw: (rng, n) => continuousItems(rng, n, d) };
}

export const EQUIVALENCE_SCENARIOS: readonly EquivalenceScenario[] = [
  eqBinary("eq-bin-m-oneway", "binary |Δ| = margin, one way (p10 = 0.02, p01 = 0)", 0.02, 0),
  eqBinary("eq-bin-m-churn", "binary |Δ| = margin, churn (p10 = 0.06, p01 = 0.04)", 0.06, 0.04),
  eqBinary("eq-bin-1.5m-oneway", "binary |Δ| = 1.5·margin, one way (p10 = 0.03)", 0.03, 0),
  eqBinary("eq-bin-1.5m-churn", "binary |Δ| = 1.5·margin, churn (p10 = 0.065, p01 = 0.035)", 0.065, 0.035),
  eqBinary("eq-bin-loss5", "binary 5 pp loss (p10 = 0.05, p01 = 0)", 0.05, 0),
  eqContinuous("eq-cont-m", "continuous normal, Δ = margin", CONTINUOUS_MARGIN, (rng) => CONTINUOUS_MARGIN + rng.normal()),
  eqContinuous("eq-cont-1.5m", "continuous normal, Δ = 1.5·margin", 1.5 * CONTINUOUS_MARGIN, (rng) => 1.5 * CONTINUOUS_MARGIN + rng.normal()),
  eqContinuous("eq-cont-m-skew", "continuous skewed (Exp(1) − 1), Δ = margin", CONTINUOUS_MARGIN, (rng) => CONTINUOUS_MARGIN + exp1(rng) - 1),
];
