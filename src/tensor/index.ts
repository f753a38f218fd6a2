/**
 * Public surface of the kernel module: one interface, three kernel sets.
 *
 *   ts      plain TypeScript reference (always available)
 *   wasm    WebAssembly SIMD, compiled from AssemblyScript at build time
 *   native  N-API addon over OpenBLAS cblas_sgemm, built at install when OpenBLAS exists
 *
 * `loadKernels("auto")` picks native, then wasm, then ts, and reports why a faster
 * set was skipped so the CLI can say which kernels it uses. (The model servers behind a
 * LanguageModel are "backends", src/backends; these are "kernels".)
 */
export type { Buf, KernelsName, KernelsAttempt, Kernels, MatmulArgs, FusedKernels, AdamwKernelArgs, AttentionShape, DecodeAttention, ResolvedMatmul, RopeTable } from "./kernels.js";
export { DECODE_MAX_ROWS } from "./kernels.js";
export { resolveMatmul } from "./kernels.js";
export { matmulReference, createTsKernels } from "./ts.js";
export { loadKernels, type LoadedKernels, type KernelChoice } from "./load.js";
export { adamwReference } from "./adamw-reference.js";
// pure weight-vector math that src/weights and src/train share (neither may import the other)
export { countForFraction, topFractionMask, topKMask } from "./top-k.js";
export { taskVector } from "./task-vector.js";
export { slerpInto, sphericalRunningMean, SLERP_DOT_THRESHOLD } from "./slerp.js";
export { cpiCoreOwners, cpiFuse } from "./cpi-fusion.js";
