/**
 * Statistics for paired measurements, one concept per file: Wilson intervals for
 * proportions, seeded paired bootstraps (of a mean difference and of any set-level
 * statistic), the exact McNemar test, sign-flip and paired permutation tests, Holm and
 * Benjamini-Hochberg adjustment, effect sizes, the minimum detectable effect, category
 * shares, and the two-sample bootstrap and trend test of the lab's reward curves.
 */
export { normalQuantile, twoSidedZ } from "./normal.js";
export { wilson, proportion, type ProportionInterval } from "./wilson.js";
export { pairedBootstrap, quantileSorted, type PairedBootstrapOptions, type PairedBootstrapResult } from "./bootstrap.js";
export { mcnemarExact, discordantPairs, logBinomialHalfCdf, type McNemarResult } from "./mcnemar.js";
export { categoryShares } from "./shares.js";
export { pairedBinary, type PairedBinaryComparison } from "./paired.js";
export { bootstrapMeanDifference, type TwoSampleResult } from "./two-sample.js";
export { risingTrend, type TrendResult } from "./trend.js";
export { signFlipTest, pairedPermutation, EXACT_MAX_ITEMS, type PermutationOptions, type PermutationResult } from "./permutation.js";
export { pairedBootstrapStatistic, type PairedBootstrapStatisticOptions, type PairedBootstrapStatisticResult } from "./bootstrap-statistic.js";
export { holm, benjaminiHochberg, pAdjust, type PAdjustMethod } from "./adjust.js";
export { cohensDz, pairedOddsRatio, type EffectSize } from "./effect.js";
export { mdePairedMean, mdeMcNemar, type MdeOptions, type MdeResult } from "./mde.js";
export { normalCdf } from "./normal.js";
export { type PairedInference, undefinedInference, twoSidedP, tostP, confidenceInterval, confidenceBound } from "./inference.js";
export { type ClusterLabels, type ClusterTotals, clusterTotals } from "./clusters.js";
export { pairedProportions, tangoZ, meanDesignEffect } from "./tango.js";
export { pairedMeanDifference, MIN_BOOTSTRAP_CLUSTERS, type MeanDifferenceOptions } from "./mean-difference.js";
export { pairedSetStatistic, MIN_SET_CLUSTERS, type SetStatisticOptions, type SetInference } from "./bca.js";
export { pairedProportionsN, pairedProportionsMde, pairedMeanN, pairedMeanMde, equivalenceN, equivalenceProportionsN, designEffect, iccOneWay, bonferroniAlpha, studentTCdf, studentTQuantile, type SampleSize, type DetectableEffect, type PowerMethod, type IccEstimate } from "./power.js";
export { seedPooledDifference, seedPooledMeanDifference, type SeedInference, type SeedOptions } from "./seeds.js";
export { satterthwaiteDf, seedVarianceInflation, withSeedT } from "./seed-t.js";
export { planRows, type PlanInput, type PlannedRow, type PlanSettings, type PlanUnit } from "./plan.js";
