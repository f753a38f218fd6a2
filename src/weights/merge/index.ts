/**
 * The merge methods of `ftledger merge` (a mergekit-compatible subset plus CPI-FT's fusion):
 * per-tensor pure functions behind one contract (./method.ts) and one registry (./registry.ts).
 * The driver that streams models through them is ../merge.ts.
 */
export type { MergeMethod, MergeTensorInput } from "./method.js";
export { MERGE_METHODS, MERGE_METHOD_NAMES, mergeMethod, type MergeMethodName } from "./registry.js";
// the methods, for tests and for callers that merge single tensors
export { linear } from "./linear.js";
export { taskArithmetic } from "./task-arithmetic.js";
export { ties, tiesTrimMask } from "./ties.js";
export { dareKeepMask, dareLinear, dareTies, mergeDare } from "./dare.js";
export { slerp } from "./slerp.js";
export { cpi } from "./cpi.js";
// shared helpers (pure array math in src/tensor, which src/train uses too); topFractionMask is also what core-region analysis uses
export { countForFraction, topFractionMask, topKMask, slerpInto, SLERP_DOT_THRESHOLD, cpiCoreOwners, cpiFuse, sphericalRunningMean } from "../../tensor/index.js";
export { combineTaskVectors, electSign, taskVector, type CombineOptions, type TaskVectorTerm } from "./task-vectors.js";
