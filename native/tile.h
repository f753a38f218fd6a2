/*
 * The register tile every product in this addon is built from (gemm.c, attention.c):
 *
 *   c[i·ldc + j] = alpha · Σ_{k<kc} a[i·ra + k·ka] · b[k·ldb + j]   (+ c if accumulate)
 *
 * for i < mr ≤ FL_MR, j < nr ≤ FL_NR: 8 rows × 32 columns in 16 vector accumulators
 * (zmm registers under AVX-512), one broadcast of A per row and two loads of B per k.
 * A is read through strides, so Aᵀ needs no copy; every b row must have FL_NR
 * readable floats (pad a narrow B), rows of a at i ≥ mr are not read.
 *
 * Always inlined: callers pass constant strides where they have them, and a call
 * (with its vzeroupper) costs a fifth of a kc = 32 tile.
 */
#ifndef FTLEDGER_TILE_H
#define FTLEDGER_TILE_H

#include <stddef.h>

#include "simd.h"

#define FL_MR 8  /* rows of a register tile */
#define FL_NR 32 /* columns of a register tile: two 16-float vectors */

static inline __attribute__((always_inline)) void fl_tile(int mr, int nr, int kc, const float* a, ptrdiff_t ra, ptrdiff_t ka, const float* b,
                      ptrdiff_t ldb, float* c, ptrdiff_t ldc, float alpha, int accumulate) {
  /* rows past mr re-read row 0 (always valid); their sums are dropped */
  const float* r0 = a;
  const float* r1 = mr > 1 ? a + 1 * ra : a;
  const float* r2 = mr > 2 ? a + 2 * ra : a;
  const float* r3 = mr > 3 ? a + 3 * ra : a;
  const float* r4 = mr > 4 ? a + 4 * ra : a;
  const float* r5 = mr > 5 ? a + 5 * ra : a;
  const float* r6 = mr > 6 ? a + 6 * ra : a;
  const float* r7 = mr > 7 ? a + 7 * ra : a;
  vf c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
  vf c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0}, c60 = {0}, c61 = {0}, c70 = {0}, c71 = {0};
  for (ptrdiff_t k = 0, o = 0; k < kc; k++, o += ka) {
    const vf b0 = vload(b), b1 = vload(b + VL);
    b += ldb;
    vf x;
#define ROW(i)         \
  x = vset(r##i[o]);   \
  c##i##0 += x * b0;   \
  c##i##1 += x * b1;
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
  }
  const vf al = vset(alpha);
  if (mr == FL_MR && nr == FL_NR) {
#define STORE(i)                                                                      \
  {                                                                                   \
    float* ci = c + (i) * ldc;                                                        \
    vstore(ci, accumulate ? vload(ci) + al * c##i##0 : al * c##i##0);                 \
    vstore(ci + VL, accumulate ? vload(ci + VL) + al * c##i##1 : al * c##i##1);       \
  }
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
#undef STORE
    return;
  }
  float t[FL_MR][FL_NR];
  vstore(t[0], c00), vstore(t[0] + VL, c01), vstore(t[1], c10), vstore(t[1] + VL, c11);
  vstore(t[2], c20), vstore(t[2] + VL, c21), vstore(t[3], c30), vstore(t[3] + VL, c31);
  vstore(t[4], c40), vstore(t[4] + VL, c41), vstore(t[5], c50), vstore(t[5] + VL, c51);
  vstore(t[6], c60), vstore(t[6] + VL, c61), vstore(t[7], c70), vstore(t[7] + VL, c71);
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) c[i * ldc + j] = (accumulate ? c[i * ldc + j] : 0.0f) + alpha * t[i][j];
}

#endif
