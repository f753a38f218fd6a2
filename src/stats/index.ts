/**
 * Statistics for paired measurements, one concept per file: Wilson intervals for
 * proportions, a seeded paired bootstrap for mean differences, the exact McNemar test,
 * category shares, and their composition for one binary metric measured on a pair.
 */
export { normalQuantile, twoSidedZ } from "./normal.js";
export { wilson, proportion, type ProportionInterval } from "./wilson.js";
export { pairedBootstrap, quantileSorted, type PairedBootstrapOptions, type PairedBootstrapResult } from "./bootstrap.js";
export { mcnemarExact, discordantPairs, logBinomialHalfCdf, type McNemarResult } from "./mcnemar.js";
export { categoryShares } from "./shares.js";
export { pairedBinary, type PairedBinaryComparison } from "./paired.js";
export { bootstrapMeanDifference, type TwoSampleResult } from "./two-sample.js";
export { risingTrend, type TrendResult } from "./trend.js";
