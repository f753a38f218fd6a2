/**
 * `ts`: the plain TypeScript reference kernels.
 *
 * The inner loop is register-tiled: it computes a 4×4 block of C at a time so that
 * each loaded element of A and B is used four times (the same idea as the micro-kernel
 * of a BLAS, e.g. Goto & van de Geijn 2008, "Anatomy of high-performance matrix
 * multiplication"). Transposed operands are handled by strides, never by copies.
 */
import { resolveMatmul, type Buf, type Kernels, type MatmulArgs } from "./kernels.js";

/** C = op(A)·op(B) (or +=), for Float32Array or Float64Array. */
export function matmulReference(args: MatmulArgs): void {
  const { out, a, b, M, N, K } = args;
  const { transA, transB, lda, ldb, ldc, accumulate: acc } = resolveMatmul(args);
  // element (i, k) of op(A) and (k, j) of op(B) as (row stride, col stride)
  const aRow = transA ? 1 : lda;
  const aCol = transA ? lda : 1;
  const bRow = transB ? 1 : ldb;
  const bCol = transB ? ldb : 1;

  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let i = 0; i < M4; i += 4) {
    for (let j = 0; j < N4; j += 4) tile4x4(out, a, b, i, j, K, aRow, aCol, bRow, bCol, ldc, acc);
    for (let j = N4; j < N; j++) for (let ii = i; ii < i + 4; ii++) dot1(out, a, b, ii, j, K, aRow, aCol, bRow, bCol, ldc, acc);
  }
  for (let i = M4; i < M; i++) for (let j = 0; j < N; j++) dot1(out, a, b, i, j, K, aRow, aCol, bRow, bCol, ldc, acc);
}

function dot1(
  out: Buf, a: Buf, b: Buf, i: number, j: number, K: number,
  aRow: number, aCol: number, bRow: number, bCol: number, ldc: number, acc: boolean,
): void {
  let s = 0;
  let pa = i * aRow;
  let pb = j * bCol;
  for (let k = 0; k < K; k++) {
    s += a[pa] * b[pb];
    pa += aCol;
    pb += bRow;
  }
  const o = i * ldc + j;
  out[o] = acc ? out[o] + s : s;
}

function tile4x4(
  out: Buf, a: Buf, b: Buf, i: number, j: number, K: number,
  aRow: number, aCol: number, bRow: number, bCol: number, ldc: number, acc: boolean,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  let pa = i * aRow;
  let pb = j * bCol;
  for (let k = 0; k < K; k++) {
    const a0 = a[pa], a1 = a[pa + aRow], a2 = a[pa + 2 * aRow], a3 = a[pa + 3 * aRow];
    const b0 = b[pb], b1 = b[pb + bCol], b2 = b[pb + 2 * bCol], b3 = b[pb + 3 * bCol];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    pa += aCol;
    pb += bRow;
  }
  store4(out, i * ldc + j, c00, c01, c02, c03, acc);
  store4(out, (i + 1) * ldc + j, c10, c11, c12, c13, acc);
  store4(out, (i + 2) * ldc + j, c20, c21, c22, c23, acc);
  store4(out, (i + 3) * ldc + j, c30, c31, c32, c33, acc);
}

function store4(out: Buf, o: number, x0: number, x1: number, x2: number, x3: number, acc: boolean): void {
  if (acc) {
    out[o] += x0; out[o + 1] += x1; out[o + 2] += x2; out[o + 3] += x3;
  } else {
    out[o] = x0; out[o + 1] = x1; out[o + 2] = x2; out[o + 3] = x3;
  }
}

export function createTsKernels(): Kernels {
  return {
    name: "ts",
    description: "plain TypeScript, 4×4 register tile, 1 thread",
    alloc: (n) => new Float32Array(n),
    matmul: (args) => matmulReference(args),
    fused: {},
  };
}
