/**
 * The kernel interface: the only place the engine touches raw compute.
 *
 * Shapes are row-major. `matmul` computes
 *
 *   C (M×N) = op(A) (M×K) · op(B) (K×N)          (accumulate=false)
 *   C (M×N) += op(A) (M×K) · op(B) (K×N)         (accumulate=true)
 *
 * where op(X) = X or Xᵀ as set by transA / transB. The backward pass of a linear layer
 * y = x Wᵀ needs dx = dy W (no transposes) and dW += dyᵀ x (transA): the flags let
 * every gradient be one call with no copies. Leading dimensions (lda, ldb, ldc) let a
 * call address a strided block, e.g. one attention head inside a (T, NH·HS) buffer.
 *
 * Buffers are Float32Array in every backend; the `ts` reference also accepts
 * Float64Array so gradient checks can run in double precision.
 */

export type Buf = Float32Array | Float64Array;

export type BackendName = "ts" | "wasm" | "native";

export interface MatmulArgs<B extends Buf = Buf> {
  out: B; // (M, N), row stride ldc
  a: B; // (M, K) or, with transA, (K, M); row stride lda
  b: B; // (K, N) or, with transB, (N, K); row stride ldb
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  /** out += A·B instead of out = A·B (backward passes add into gradients). */
  accumulate?: boolean;
  lda?: number;
  ldb?: number;
  ldc?: number;
}

/**
 * Fused element-wise kernels a backend may provide because profiling showed they
 * matter. Each has a plain TypeScript definition in src/model/ops that is the
 * reference; a backend's version is checked against it in test/tensor.
 */
export interface FusedKernels {
  /** AdamW update over one flat parameter buffer (see src/train/adamw.ts for the math). */
  adamw?(args: AdamwKernelArgs): void;
}

export interface AdamwKernelArgs {
  params: Float32Array;
  grads: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** 1 where weight decay applies, 0 where it does not (norms); same length as params. */
  decayMask: Uint8Array;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step number, for bias correction. */
  step: number;
  /** Multiply grads by this first (global-norm clipping). */
  gradScale: number;
}

export interface Kernels {
  readonly name: BackendName;
  /** Human-readable detail: threads, library, SIMD. */
  readonly description: string;
  /**
   * Allocate a zeroed Float32Array the backend can use without copying
   * (the wasm backend hands out views into its linear memory).
   */
  alloc(length: number): Float32Array;
  matmul(args: MatmulArgs<Float32Array>): void;
  fused: FusedKernels;
}
