/**
 * One slice of replicates of the coverage table (§a) or the equivalence table (§b) of
 * `npm run bench:stats`. Every replicate draws its data from its own seed,
 * hash32("bench:stats|<table>|<scenario>|<n>|<replicate>"), and seeds its method from
 * another, so a slice gives the same counts whichever worker runs it and in any order.
 *
 *   new method   what the ledger runs (src/audit row-stats.ts): Tango's score interval for
 *                binary rows, the studentized cluster bootstrap (the sign-flip test below
 *                20 clusters) for continuous ones, BCa for set-level statistics
 *   old method   the percentile paired bootstrap (src/stats pairedBootstrap) the ledger
 *                used before, which is [0, 0] when no item changed
 *
 * Equivalence: the new verdict is the ledger's own (src/audit adjustAndJudge on a one-row
 * ledger: TOST p < α, n ≥ 10, non-zero width, not significant). The old "unchanged" rule
 * was: not significant, the 95% percentile bootstrap interval within ±margin, n ≥ 10
 * (git show HEAD~1:src/audit/ledger.ts); its significance test was the exact McNemar test
 * for binary rows (used here) and a 10,000-pattern sign-flip test for continuous ones
 * (here: the percentile interval excluding 0, which costs nothing extra).
 */
import { adjustAndJudge } from "../../src/audit/index.js";
import { createRng, hash32 } from "../../src/random/index.js";
import {
  confidenceInterval, discordantPairs, mcnemarExact, pairedBootstrap, pairedMeanDifference, pairedProportions, pairedSetStatistic, tostP, twoSidedP,
  type PairedInference,
} from "../../src/stats/index.js";
import { EQUIVALENCE_SCENARIOS, pooledEntropy, SCENARIOS, type PairedSample, type SetSample } from "./scenarios.js";

export interface CoverageTask {
  kind: "coverage";
  scenario: string;
  n: number;
  from: number;
  to: number;
  method: "new" | "old";
  /** Bootstrap resamples (bootstrap-t, BCa, percentile). */
  iterations: number;
}

export interface CoverageCounts {
  replicates: number;
  covered: number;
  /** Replicates with no interval (the method's `problem`); counted as not covered. */
  undefined: number;
  /** Replicates whose interval has an infinite end (the test cannot reject that side at this n): they cover, and have no width. */
  infinite: number;
  widthSum: number;
}

export interface EquivalenceTask {
  kind: "equivalence";
  scenario: string;
  n: number;
  from: number;
  to: number;
  iterations: number;
  /** Also run the old rule (a percentile bootstrap per replicate). */
  old: boolean;
}

export interface EquivalenceCounts {
  replicates: number;
  equivalent: number;
  /** Replicates the old rule was run on (a slice runs it or not), and how many it called "unchanged". */
  oldReplicates: number;
  unchanged: number;
}

const ALPHA = 0.05;

const seedOf = (...parts: (string | number)[]) => hash32(["bench:stats", ...parts].join("|"));

/** The ledger's inference for one sample (src/audit row-stats.ts picks the same methods). */
export function newInference(kind: "binary" | "continuous" | "set", s: PairedSample | SetSample, seed: number, iterations: number): PairedInference {
  if (kind === "set") return pairedSetStatistic(s.base, s.tuned, pooledEntropy, undefined, { seed, iterations });
  const p = s as PairedSample;
  if (kind === "binary") return pairedProportions(p.base, p.tuned, p.clusters);
  return pairedMeanDifference(p.base, p.tuned, p.clusters, { seed, iterations });
}

export function coverageSlice(t: CoverageTask): CoverageCounts {
  const sc = SCENARIOS.find((s) => s.id === t.scenario);
  if (!sc) throw new Error(`no scenario ${t.scenario}`);
  const out: CoverageCounts = { replicates: 0, covered: 0, undefined: 0, infinite: 0, widthSum: 0 };
  for (let r = t.from; r < t.to; r++) {
    const sample = sc.draw(createRng(seedOf("coverage", sc.id, t.n, r)), t.n);
    const seed = seedOf("coverage", sc.id, t.n, r, "method");
    let lo: number;
    let hi: number;
    if (t.method === "old") {
      const pb = pairedBootstrap(sample.base, (sample as PairedSample).tuned, { seed, iterations: t.iterations, confidence: 0.95 });
      [lo, hi] = [pb.lo, pb.hi];
    } else {
      [lo, hi] = confidenceInterval(newInference(sc.kind, sample, seed, t.iterations), 0.95);
    }
    out.replicates++;
    if (Number.isNaN(lo) || Number.isNaN(hi)) {
      out.undefined++;
      continue;
    }
    if (lo <= sc.truth && sc.truth <= hi) out.covered++;
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) out.infinite++;
    else out.widthSum += hi - lo;
  }
  return out;
}

/** The old ledger's "unchanged": not significant, 95% percentile interval within ±margin, n ≥ 10. */
function oldUnchanged(kind: "binary" | "continuous", s: PairedSample, margin: number, seed: number, iterations: number): boolean {
  const n = s.base.length;
  const pb = pairedBootstrap(s.base, s.tuned, { seed, iterations, confidence: 0.95 });
  let significant: boolean;
  if (kind === "binary") {
    const { b, c } = discordantPairs(s.base.map((x) => x === 1), s.tuned.map((x) => x === 1));
    significant = mcnemarExact(b, c).p < ALPHA && b !== c;
  } else {
    significant = pb.lo > 0 || pb.hi < 0;
  }
  return !significant && n >= 10 && pb.lo >= -margin && pb.hi <= margin;
}

export function equivalenceSlice(t: EquivalenceTask): EquivalenceCounts {
  const sc = EQUIVALENCE_SCENARIOS.find((s) => s.id === t.scenario);
  if (!sc) throw new Error(`no scenario ${t.scenario}`);
  const out: EquivalenceCounts = { replicates: 0, equivalent: 0, oldReplicates: 0, unchanged: 0 };
  for (let r = t.from; r < t.to; r++) {
    const sample = sc.draw(createRng(seedOf("equivalence", sc.id, t.n, r)), t.n);
    const seed = seedOf("equivalence", sc.id, t.n, r, "method");
    const inference = newInference(sc.kind, sample, seed, t.iterations);
    const [row] = adjustAndJudge(
      [{ n: t.n, delta: inference.estimate, margin: sc.margin, higherIsBetter: true, p: twoSidedP(inference), pTost: tostP(inference, sc.margin), inference }],
      "holm", ALPHA,
    );
    out.replicates++;
    if (row.verdict === "equivalent") out.equivalent++;
    if (!t.old) continue;
    out.oldReplicates++;
    if (oldUnchanged(sc.kind, sample, sc.margin, seed, t.iterations)) out.unchanged++;
  }
  return out;
}
