/**
 * One binary metric measured twice on the same items (base, then tuned): each side's
 * proportion with a Wilson interval, the paired difference with a paired-bootstrap
 * interval, and the exact McNemar p-value — the statistics docs/PROBES.md §6 reports for
 * every binary outcome.
 */
import { pairedBootstrap, type PairedBootstrapOptions, type PairedBootstrapResult } from "./bootstrap.js";
import { discordantPairs, mcnemarExact, type McNemarResult } from "./mcnemar.js";
import { proportion, type ProportionInterval } from "./wilson.js";

export interface PairedBinaryComparison {
  n: number;
  base: ProportionInterval;
  tuned: ProportionInterval;
  /** tuned − base as a proportion in [−1, 1] (× 100 for percentage points). */
  difference: PairedBootstrapResult;
  mcnemar: McNemarResult;
}

/** Compare paired binary outcomes; `base[i]` and `tuned[i]` must be the same item. */
export function pairedBinary(base: readonly boolean[], tuned: readonly boolean[], opts: PairedBootstrapOptions): PairedBinaryComparison {
  const { b, c } = discordantPairs(base, tuned);
  const confidence = opts.confidence ?? 0.95;
  return {
    n: base.length,
    base: proportion(base, confidence),
    tuned: proportion(tuned, confidence),
    difference: pairedBootstrap(base.map(Number), tuned.map(Number), opts),
    mcnemar: mcnemarExact(b, c),
  };
}
