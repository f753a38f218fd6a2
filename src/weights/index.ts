/**
 * Inside the weights: where a fine-tune changed the model, how fine-tunes overlap, merges
 * of fine-tunes, and partial reversion for dose-response sweeps. Every command streams
 * tensors one at a time (HF-layout folders, lab runs, the zoo; f32 / f16 / bf16; sharded).
 *
 *   diff           per-tensor and per-group change (delta.ts), spectra of Δ (spectrum.ts),
 *                  core regions and their overlap (core-regions.ts), task clusters (cluster.ts)
 *   merge          a mergekit-compatible YAML subset (merge-config.ts), one file per method (merge/)
 *   scale          θ₀ + α·Δ with modules or layers reverted, for `ftledger sweep`
 */
// models in, errors out
export { openModelWeights, openAllWeights, closeAll, sharedTensors, type ModelWeights } from "./source.js";
export { formatWeightsError, type WeightsError, type WeightsResult } from "./errors.js";
export { parseTensorName, moduleGroup, MODULE_KINDS, type ModuleKind, type ModuleGroup, type TensorName } from "./names.js";

// measurements
export { deltaStats, deltaPartial, addPartials, statsOf, emptyPartial, DEFAULT_SPARSITY_THRESHOLD, type DeltaStats, type DeltaPartial } from "./delta.js";
export { singularValues, stableRank, effectiveRank, type EffectiveRank, type SpectrumOptions } from "./spectrum.js";
export { coreMask, overlapCounts, addOverlaps, jaccard, DEFAULT_CORE_FRACTION, type OverlapCounts } from "./core-regions.js";
export { clusterBySimilarity, formatClusterError, DEFAULT_CLUSTER_THRESHOLD, type Clustering, type ClusterResult } from "./cluster.js";

// ftledger diff
export { diffWeights, DIFF_SCHEMA, DIFF_DEFAULTS, RANK_AUTO_MAX, type DiffOptions, type DiffResult, type TensorDiff, type GroupDiff, type TunedDiff, type OverlapResult } from "./diff.js";
export { diffLines, heatRows } from "./diff-text.js";

// ftledger merge
export { MERGE_METHODS, MERGE_METHOD_NAMES, mergeMethod, type MergeMethod, type MergeTensorInput } from "./merge/index.js";
export { readMergeConfig, parseMergeConfig, mergeConfigSchema, resolveParam, resolveParams, interpolate, depthOf, type MergeConfig } from "./merge-config.js";
export { runMerge, type MergeRunOptions, type MergeRunResult } from "./merge.js";
export { WEIGHTS_MANIFEST } from "./output-folder.js";

// ftledger sweep
export { writeScaledModel, scaleDelta, parseRevert, revertText, isReverted, NO_REVERT, REVERT_GROUPS, type RevertSpec, type RevertGroup } from "./scale.js";

// ftledger lora merge: W + s·(alpha/r)·B A
export { mergeLora, addLowRank, writeLoraMerged, type LoraMerge } from "./lora-merge.js";
