/*
 * The optional bf16 GEMM (gemm_bf16.c): operands rounded to bfloat16, products summed
 * in float32 by AVX512_BF16, C in float32.
 */
#ifndef FTLEDGER_GEMM_BF16_H
#define FTLEDGER_GEMM_BF16_H

/* 1 when this CPU (and OS) runs AVX512_BF16, else 0; asked once, then remembered. */
int fl_bf16_supported(void);

/*
 * C (M, N) = op(A) · op(B), or += with accumulate, as fl_gemm (gemm.h) but with both
 * operands rounded to bf16 (round to nearest even). Returns 0, or −1 (nothing written;
 * use the float32 path) when the CPU lacks AVX512_BF16, the packed operands would need
 * more than 64 MiB of scratch, or the scratch could not be allocated.
 */
int fl_gemm_bf16(int transA, int transB, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
                 int ldc, int accumulate);

#endif
