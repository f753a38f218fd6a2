/*
 * Residual connections (He et al. 2016, "Deep Residual Learning", eq. 1).
 * Reference: src/model/ops/residual.ts. Key: n flat elements.
 *
 *   forward    out = x + y            (out may be x or y itself)
 *   backward   dx += dout,  dy += dout
 *
 * Memory-bound: fixed chunks of CHUNK floats go to the pool (the split depends on n
 * only; each element is one add, so results never depend on it anyway).
 */
#include <stddef.h>

#include "fused.h"
#include "pool.h"

#define CHUNK (1 << 15)

typedef struct {
  float *out, *dx, *dy;
  const float *x, *y, *dout;
  long n;
} Res;

static void span(const Res* a, int t, long* lo, long* hi) {
  *lo = (long)t * CHUNK;
  *hi = *lo + CHUNK < a->n ? *lo + CHUNK : a->n;
}

/* NOTE: no restrict: out aliases x in the training pass (resid2 += resid) */
static void add_task(void* v, int t, int tid) {
  (void)tid;
  const Res* a = v;
  long lo, hi;
  span(a, t, &lo, &hi);
  float* out = a->out;
  const float *x = a->x, *y = a->y;
  for (long i = lo; i < hi; i++) out[i] = x[i] + y[i];
}

static void add2_task(void* v, int t, int tid) {
  (void)tid;
  const Res* a = v;
  long lo, hi;
  span(a, t, &lo, &hi);
  float* restrict dx = a->dx;
  float* restrict dy = a->dy;
  const float* restrict g = a->dout;
  for (long i = lo; i < hi; i++) {
    dx[i] += g[i];
    dy[i] += g[i];
  }
}

static void run(fl_task fn, Res* a) {
  const int tasks = (int)((a->n + CHUNK - 1) / CHUNK);
  if (tasks <= 1)
    for (int t = 0; t < tasks; t++) fn(a, t, 0);
  else
    fl_pool_run(fn, a, tasks);
}

void fl_residual_forward(float* out, const float* x, const float* y, long n) {
  Res a = {.out = out, .x = x, .y = y, .n = n};
  run(add_task, &a);
}

/* NOTE: dx and dy must not alias each other or dout (the reference would then add twice) */
void fl_residual_backward(float* dx, float* dy, const float* dout, long n) {
  Res a = {.dx = dx, .dy = dy, .dout = dout, .n = n};
  run(add2_task, &a);
}
