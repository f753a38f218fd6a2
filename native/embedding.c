/*
 * Token embedding: the gather of the forward pass and the scatter-add of its backward.
 * Reference: src/model/ops/embedding.ts. Key: N tokens, C channels, rows of wte (V, C).
 *
 *   forward    out[n] = wte[tokens[n]]
 *   backward   dwte[tokens[n]] += dout[n]
 *
 * Both run on the calling thread: N·C is a few 10^5 floats in training (0.1 ms). The
 * scatter adds rows in token order, so a vocabulary row that many tokens hit sums them
 * in the same order as the reference (bit-identical results).
 * Callers (napi_elementwise.c) have checked every token id against the vocabulary.
 */
#include <stddef.h>
#include <string.h>

#include "fused.h"

void fl_embedding_forward(float* out, const int32_t* tokens, const float* wte, int N, int C) {
  for (int n = 0; n < N; n++) memcpy(out + (ptrdiff_t)n * C, wte + (ptrdiff_t)tokens[n] * C, (size_t)C * sizeof(float));
}

void fl_embedding_backward(float* dwte, const float* dout, const int32_t* tokens, int N, int C) {
  for (int n = 0; n < N; n++) {
    float* restrict d = dwte + (ptrdiff_t)tokens[n] * C;
    const float* restrict g = dout + (ptrdiff_t)n * C;
    for (int c = 0; c < C; c++) d[c] += g[c];
  }
}
