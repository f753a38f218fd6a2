/*
 * Our own single-precision GEMM for the products a training step issues (gemm.c).
 */
#ifndef FTLEDGER_GEMM_H
#define FTLEDGER_GEMM_H

/*
 * C (M, N) = op(A) · op(B), or += with accumulate: cblas_sgemm row-major with
 * alpha 1 and beta 0 / 1. Threads over output blocks through the pool. Returns 0,
 * or −1 (nothing written; use BLAS) when the product would need more than 64 MiB of
 * scratch or the scratch could not be allocated.
 */
int fl_gemm(int transA, int transB, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
            int ldc, int accumulate);

#endif
