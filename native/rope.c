/*
 * Rotary position embedding (Su et al. 2021, RoFormer, arXiv 2104.09864), in
 * the Hugging Face "rotate_half" layout. Reference: src/model/ops/rope.ts.
 *
 * Key: N rows, H heads of HS channels per row (row stride H·HS), half = HS/2; row n
 * sits at position pos[n]; cos/sin are the (maxPos, half) float64 tables of ropeTable.
 *
 *   x[i]        ← x[i] · cos − x[i+half] · sin·sign
 *   x[i + half] ← x[i+half] · cos + x[i] · sin·sign       sign = +1 forward, −1 backward
 *
 * in place over every head. The rotation runs in double with the float64 tables and
 * rounds once to float32 at the store, as the TypeScript reference does, so the two
 * agree to the last bit or nearly so (a fused multiply-add may round the double once
 * less). Rows are independent: chunks of rows go to the pool, and every element is
 * computed the same way whatever the split.
 */
#include <stddef.h>

#include "fused.h"
#include "pool.h"

/* Below this many floats the call runs on the calling thread. */
#define SERIAL_BELOW (1 << 15)
#define ROWS_PER_TASK 128

typedef struct {
  float* x;
  const int32_t* pos;
  const double *cos, *sin;
  int N, H, HS;
  double sign;
} Rope;

static void rotate_rows(void* v, int task, int tid) {
  (void)tid;
  const Rope* a = v;
  const int half = a->HS / 2, D = a->H * a->HS;
  const long lo = (long)task * ROWS_PER_TASK;
  const long hi = lo + ROWS_PER_TASK < a->N ? lo + ROWS_PER_TASK : a->N;
  for (long n = lo; n < hi; n++) {
    const double* restrict c = a->cos + (ptrdiff_t)a->pos[n] * half;
    const double* restrict s = a->sin + (ptrdiff_t)a->pos[n] * half;
    for (int h = 0; h < a->H; h++) {
      float* restrict x1 = a->x + n * D + h * a->HS;
      float* restrict x2 = x1 + half;
      for (int i = 0; i < half; i++) {
        const double u = x1[i], w = x2[i], si = a->sign * s[i];
        x1[i] = (float)(u * c[i] - w * si);
        x2[i] = (float)(w * c[i] + u * si);
      }
    }
  }
}

void fl_rope(float* x, const int32_t* pos, const double* cos, const double* sin, int N, int H, int HS, int sign) {
  Rope a = {.x = x, .pos = pos, .cos = cos, .sin = sin, .N = N, .H = H, .HS = HS, .sign = sign < 0 ? -1.0 : 1.0};
  const int tasks = (N + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
  if (tasks <= 1 || (long)N * H * HS < SERIAL_BELOW)
    for (int t = 0; t < tasks; t++) rotate_rows(&a, t, 0);
  else
    fl_pool_run(rotate_rows, &a, tasks);
}
