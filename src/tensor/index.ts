/**
 * Public surface of the kernel module: one interface, three backends.
 *
 *   ts      plain TypeScript reference (always available)
 *   wasm    WebAssembly SIMD, compiled from AssemblyScript at build time
 *   native  N-API addon over OpenBLAS cblas_sgemm, built at install when OpenBLAS exists
 *
 * `loadKernels("auto")` picks native, then wasm, then ts, and reports why a faster
 * backend was skipped so the CLI can say which backend it uses.
 */
export type { Buf, BackendName, Kernels, MatmulArgs, FusedKernels, AdamwKernelArgs, AttentionShape, ResolvedMatmul } from "./kernels.js";
export { resolveMatmul } from "./kernels.js";
export { matmulReference, createTsKernels } from "./ts.js";
export { loadKernels, type LoadedKernels, type KernelChoice, type BackendAttempt } from "./load.js";
export { adamwReference } from "./adamw-reference.js";
