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
 * Buffers are Float32Array in every kernel set; the `ts` reference also accepts
 * Float64Array so gradient checks can run in double precision.
 */

export type Buf = Float32Array | Float64Array;

export type KernelsName = "ts" | "wasm" | "native";

/** Result of trying to start an optional kernel set. */
export type KernelsAttempt = { ok: true; kernels: Kernels } | { ok: false; reason: string };

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

/** Matmul arguments with every default filled in (dense row-major leading dimensions). */
export interface ResolvedMatmul {
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
  lda: number;
  ldb: number;
  ldc: number;
}

export function resolveMatmul(args: MatmulArgs): ResolvedMatmul {
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  return {
    transA,
    transB,
    accumulate: args.accumulate ?? false,
    lda: args.lda ?? (transA ? args.M : args.K),
    ldb: args.ldb ?? (transB ? args.K : args.N),
    ldc: args.ldc ?? args.N,
  };
}

/**
 * Fused kernels a kernel set may provide because profiling showed they matter. Each has a
 * plain TypeScript definition in src/model/ops (the reference, same argument names and
 * semantics, including "backward adds into gradients"); a kernel set's version is checked
 * against it in test/tensor/fused.test.ts. Float32 only.
 */
export interface FusedKernels {
  /** AdamW update over one flat parameter buffer (see src/tensor/adamw-reference.ts). */
  adamw?(args: AdamwKernelArgs): void;
  rmsnormForward?(a: { out: Float32Array; rstd: Float32Array; inp: Float32Array; weight: Float32Array; N: number; C: number; eps: number }): void;
  rmsnormBackward?(a: {
    dinp: Float32Array; dweight: Float32Array; dout: Float32Array; inp: Float32Array; weight: Float32Array; rstd: Float32Array; N: number; C: number;
  }): void;
  swigluForward?(a: { out: Float32Array; gate: Float32Array; up: Float32Array; n: number }): void;
  /** Adds into dgate and dup, or writes them with `accumulate: false`. */
  swigluBackward?(a: { dgate: Float32Array; dup: Float32Array; dout: Float32Array; gate: Float32Array; up: Float32Array; n: number; accumulate?: boolean }): void;
  /** One sequence, all heads: see src/model/ops/attention.ts for shapes. */
  attentionForward?(a: AttentionShape & { out: Float32Array; att: Float32Array; q: Float32Array; key: Float32Array; value: Float32Array }): void;
  /** Decoding: many sequences of fewer than 8 new rows each, in one call, in row order without overlap (src/model/ops/attention.ts, attentionDecode). */
  attentionDecode?(a: { out: Float32Array; q: Float32Array; NH: number; KVH: number; HS: number; seqs: readonly DecodeAttention<Float32Array>[] }): void;
  attentionBackward?(a: AttentionShape & {
    dq: Float32Array; dkey: Float32Array; dvalue: Float32Array; dout: Float32Array; att: Float32Array;
    q: Float32Array; key: Float32Array; value: Float32Array; scratch: Float32Array;
  }): void;
  crossEntropyForward?(a: {
    logprobs: Float32Array; probs?: Float32Array; logits: Float32Array; targets: Int32Array; mask: Float32Array | null; N: number; V: number;
  }): { loss: number; count: number };
  crossEntropyBackward?(a: { probs: Float32Array; targets: Int32Array; mask: Float32Array | null; count: number; N: number; V: number }): void;
  /** RoPE in place over (positions.length, H·HS): see src/model/ops/rope.ts. */
  ropeForward?(a: { x: Float32Array; positions: Int32Array; H: number; HS: number; table: RopeTable }): void;
  ropeBackward?(a: { dx: Float32Array; positions: Int32Array; H: number; HS: number; table: RopeTable }): void;
  /** out = x + y over n values; out may be x or y itself (src/model/ops/residual.ts). */
  residualForward?(a: { out: Float32Array; x: Float32Array; y: Float32Array; n: number }): void;
  residualBackward?(a: { dx: Float32Array; dy: Float32Array; dout: Float32Array; n: number }): void;
  /** Rows of wte (V, C) gathered for tokens, and their scatter-add (src/model/ops/embedding.ts). */
  embeddingForward?(a: { out: Float32Array; tokens: Int32Array; wte: Float32Array; C: number }): void;
  embeddingBackward?(a: { dwte: Float32Array; dout: Float32Array; tokens: Int32Array; C: number }): void;
}

/**
 * RoPE angles' cos and sin for positions 0 … maxPos−1, (maxPos, half) row-major with
 * half = HS/2, in float64 (src/model/ops/rope.ts builds them; kernels only read them).
 */
export interface RopeTable {
  cos: Float64Array;
  sin: Float64Array;
  half: number;
  maxPos: number;
}

/**
 * Causal attention over one sequence: Tq queries at positions qOffset … qOffset+Tq−1
 * against Tk keys at positions 0 … Tk−1; NH query heads share KVH key/value heads.
 */
export interface AttentionShape {
  Tq: number;
  Tk: number;
  qOffset: number;
  NH: number;
  KVH: number;
  HS: number;
}

/**
 * One sequence of a decoding step (attentionDecode): its Tq new query rows are rows
 * row … row+Tq−1 of the step's q and out, at positions Tk−Tq … Tk−1, against its own
 * key and value (Tk, KVH·HS), its KV cache.
 */
/** Most new rows a sequence may bring to attentionDecode: fewer than one 8-row tile block, the native kernel's row-by-row path. */
export const DECODE_MAX_ROWS = 7;

export interface DecodeAttention<B extends Buf = Buf> {
  row: number;
  Tq: number;
  Tk: number;
  key: B;
  value: B;
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
  readonly name: KernelsName;
  /** Human-readable detail: threads, library, SIMD. */
  readonly description: string;
  /**
   * Allocate a zeroed Float32Array the kernels can use without copying
   * (the wasm kernels hand out views into its linear memory).
   */
  alloc(length: number): Float32Array;
  matmul(args: MatmulArgs<Float32Array>): void;
  fused: FusedKernels;
}
