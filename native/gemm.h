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

/*
 * How many K slices a product is cut into (1: none), by shape only, so the result does
 * not depend on the thread count. Shared with the bf16 GEMM (gemm_bf16.c).
 */
int fl_gemm_ksplit(int M, int N, int K);

/*
 * C (+)= Σ_s partial[s] over rows r0…r1−1, slices in order; partial holds ksplit planes of
 * (M, N) with row stride N.
 */
void fl_gemm_reduce_rows(float* C, int ldc, const float* partial, int M, int N, int ksplit, int accumulate, int r0,
                         int r1);

#endif
