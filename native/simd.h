/*
 * Portable SIMD for the fused kernels: GCC/Clang vector extensions, 16 floats per
 * vector. With -march=native on an AVX-512 CPU one `vf` is one zmm register; on AVX2
 * the compiler splits it into two ymm, on SSE/NEON into four 128-bit registers, so
 * the same source builds everywhere GCC or Clang does.
 *
 * NOTE: loads and stores go through memcpy (vmovups): the typed arrays JS hands us
 * are only 4-byte aligned, and a memcpy'd vector also has no aliasing assumptions
 * (in-place loops such as softmax over `probs` aliasing `logits` stay correct).
 *
 * vexp: exp(x) for x in [-87.3, 88.3] (clamped outside, so no inf, no NaN from
 * inf·0), Cephes expf's range reduction and degree-6 polynomial: ≤ 2 ulp over the
 * range (checked against expf in test/tensor/fused.test.ts through the ops).
 */
#ifndef FTLEDGER_SIMD_H
#define FTLEDGER_SIMD_H

#include <stdint.h>
#include <string.h>

#define VL 16
typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));

static inline vf vload(const float* p) {
  vf v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void vstore(float* p, vf v) { memcpy(p, &v, sizeof v); }

/* NOTE: not `(vf){0} + x`: 0 + x is not an identity for x = −0, so GCC emits a
 * scalar add before every broadcast (an extra µop in the GEMM's inner loop). */
static inline vf vset(float x) { return (vf){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }

/* Lane indices 0 … VL−1, for masking the tail of a row. */
static inline vi vlanes(void) { return (vi){0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}; }

/* The first n (< VL) floats at p; the other lanes hold `fill`. */
static inline vf vload_part(const float* p, int n, float fill) {
  float t[VL];
  for (int i = 0; i < VL; i++) t[i] = fill;
  memcpy(t, p, (size_t)n * sizeof(float));
  return vload(t);
}

static inline void vstore_part(float* p, vf v, int n) {
  float t[VL];
  vstore(t, v);
  memcpy(p, t, (size_t)n * sizeof(float));
}

/* Lane-wise select: m ? a : b, with m a comparison result (all ones / all zeros). */
static inline vf vselect(vi m, vf a, vf b) { return (vf)((m & (vi)a) | (~m & (vi)b)); }
static inline vf vmax(vf a, vf b) { return vselect(a > b, a, b); }
static inline vf vmin(vf a, vf b) { return vselect(a < b, a, b); }

static inline float hsum(vf v) {
  /* pairwise, so the result does not depend on how the compiler splits vf */
  float t[VL];
  vstore(t, v);
  for (int w = VL / 2; w > 0; w /= 2)
    for (int i = 0; i < w; i++) t[i] += t[i + w];
  return t[0];
}

static inline float hmax(vf v) {
  float t[VL];
  vstore(t, v);
  float m = t[0];
  for (int i = 1; i < VL; i++) m = t[i] > m ? t[i] : m;
  return m;
}

static inline vf vexp(vf x) {
  x = vmin(vmax(x, vset(-87.3f)), vset(88.3f));
  /* 1. x = n·ln2 + r, |r| ≤ ln2/2; n by the add-and-subtract rounding trick
   *    (round to nearest even; 1.5·2^23 keeps the sum in the exact-integer range) */
  const vf magic = vset(12582912.0f);
  vf n = (x * vset(1.44269504088896341f) + magic) - magic;
  vf r = x - n * vset(0.693359375f);
  r = r - n * vset(-2.12194440e-4f);
  /* 2. e^r by Cephes's minimax polynomial */
  vf p = vset(1.9875691500e-4f);
  p = p * r + vset(1.3981999507e-3f);
  p = p * r + vset(8.3334519073e-3f);
  p = p * r + vset(4.1665795894e-2f);
  p = p * r + vset(1.6666665459e-1f);
  p = p * r + vset(5.0000001201e-1f);
  p = p * (r * r) + r + vset(1.0f);
  /* 3. times 2^n, built in the exponent field (n ∈ [-126, 127] after the clamp) */
  vi e = (__builtin_convertvector(n, vi) + 127) << 23;
  return p * (vf)e;
}

#endif
