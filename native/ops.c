/*
 * Row-wise and element-wise fused kernels: RMSNorm (Zhang & Sennrich 2019), SwiGLU
 * (Shazeer 2020), softmax cross-entropy. References: src/model/ops/{rmsnorm,swiglu,
 * crossentropy}.ts; each function below quotes what it computes.
 *
 * Parallel over fixed chunks of rows / elements (the chunking depends only on the
 * shape, never on the thread count, so results are reproducible). Reductions across
 * rows (rmsnorm's dweight, the cross-entropy loss) go through one partial per chunk,
 * summed in chunk order by the caller.
 */
#include <math.h>
#include <stddef.h>

#include "fused.h"
#include "pool.h"
#include "simd.h"

/* Below this many floats of work a kernel runs on the calling thread. */
#define SERIAL_BELOW (1 << 15)
#define MAX_CHUNKS 64

static int chunks_for(long rows, long per_row, long min_rows) {
  long c = rows * per_row < SERIAL_BELOW ? 1 : rows / min_rows;
  if (c > MAX_CHUNKS) c = MAX_CHUNKS;
  return c < 1 ? 1 : (int)c;
}

static void run(fl_task fn, void* ctx, int chunks) {
  if (chunks == 1) fn(ctx, 0, 0);
  else fl_pool_run(fn, ctx, chunks);
}

/* [lo, hi) of chunk t when n items go into `chunks` nearly equal chunks */
static void span(long n, int chunks, int t, long* lo, long* hi) {
  *lo = n * t / chunks;
  *hi = n * (t + 1) / chunks;
}

/* RMSNorm --------------------------------------------------------------------------- */

typedef struct {
  float *out, *rstd, *dinp, *dweight, *partial;
  const float *inp, *weight, *dout, *rstd_in;
  int N, C, chunks;
  float eps;
} Norm;

/* r = 1/sqrt(mean(x²) + eps);  out = x · r · w */
static void norm_fwd(void* v, int t, int tid) {
  (void)tid;
  const Norm* a = v;
  const int C = a->C;
  long lo, hi;
  span(a->N, a->chunks, t, &lo, &hi);
  for (long n = lo; n < hi; n++) {
    const float* x = a->inp + n * C;
    float* y = a->out + n * C;
    vf ss = {0};
    int c = 0;
    for (; c + VL <= C; c += VL) ss += vload(x + c) * vload(x + c);
    if (c < C) {
      const vf xv = vload_part(x + c, C - c, 0.0f);
      ss += xv * xv;
    }
    const float r = 1.0f / sqrtf(hsum(ss) / (float)C + a->eps);
    a->rstd[n] = r;
    const vf rv = vset(r);
    for (c = 0; c + VL <= C; c += VL) vstore(y + c, vload(x + c) * rv * vload(a->weight + c));
    if (c < C) vstore_part(y + c, vload_part(x + c, C - c, 0.0f) * rv * vload_part(a->weight + c, C - c, 0.0f), C - c);
  }
}

void fl_rmsnorm_forward(float* out, float* rstd, const float* inp, const float* weight, int N, int C, float eps) {
  Norm a = {.out = out, .rstd = rstd, .inp = inp, .weight = weight, .N = N, .C = C, .eps = eps};
  a.chunks = chunks_for(N, C, 32);
  run(norm_fwd, &a, a.chunks);
}

/* x̂ = x·r,  g = dout ⊙ w,  m = mean(g · x̂):
 *   dw += Σₙ dout · x̂   (into this chunk's partial)
 *   dx += r · (g − x̂ · m) */
static void norm_bwd(void* v, int t, int tid) {
  (void)tid;
  const Norm* a = v;
  const int C = a->C;
  float* dw = a->partial + (ptrdiff_t)t * C;
  for (int c = 0; c < C; c++) dw[c] = 0.0f;
  long lo, hi;
  span(a->N, a->chunks, t, &lo, &hi);
  for (long n = lo; n < hi; n++) {
    const float* x = a->inp + n * C;
    const float* dy = a->dout + n * C;
    float* dx = a->dinp + n * C;
    const float r = a->rstd_in[n];
    const vf rv = vset(r);
    vf dot = {0};
    int c = 0;
    for (; c + VL <= C; c += VL) dot += vload(dy + c) * vload(a->weight + c) * vload(x + c);
    if (c < C) dot += vload_part(dy + c, C - c, 0.0f) * vload_part(a->weight + c, C - c, 0.0f) * vload_part(x + c, C - c, 0.0f);
    const vf m = vset(hsum(dot) * r / (float)C);
    for (c = 0; c + VL <= C; c += VL) {
      const vf xh = vload(x + c) * rv, g = vload(dy + c);
      vstore(dw + c, vload(dw + c) + g * xh);
      vstore(dx + c, vload(dx + c) + rv * (g * vload(a->weight + c) - xh * m));
    }
    if (c < C) {
      const int k = C - c;
      const vf xh = vload_part(x + c, k, 0.0f) * rv, g = vload_part(dy + c, k, 0.0f);
      vstore_part(dw + c, vload_part(dw + c, k, 0.0f) + g * xh, k);
      vstore_part(dx + c, vload_part(dx + c, k, 0.0f) + rv * (g * vload_part(a->weight + c, k, 0.0f) - xh * m), k);
    }
  }
}

int fl_rmsnorm_backward(float* dinp, float* dweight, const float* dout, const float* inp, const float* weight,
                        const float* rstd, int N, int C) {
  Norm a = {.dinp = dinp, .dout = dout, .inp = inp, .weight = weight, .rstd_in = rstd, .N = N, .C = C};
  a.chunks = chunks_for(N, C, 32);
  a.partial = fl_scratch(3, (size_t)a.chunks * C);
  if (!a.partial) return -1;
  run(norm_bwd, &a, a.chunks);
  for (int t = 0; t < a.chunks; t++)
    for (int c = 0; c < C; c++) dweight[c] += a.partial[(ptrdiff_t)t * C + c];
  return 0;
}

/* SwiGLU ---------------------------------------------------------------------------- */

typedef struct {
  float *out, *dgate, *dup;
  const float *gate, *up, *dout;
  long n;
  int chunks, accumulate;
} Glu;

/* Chunk t as [lo, hi) with lo a multiple of VL, so only the last chunk has a tail. */
static void glu_span(const Glu* a, int t, long* lo, long* hi) {
  const long blocks = (a->n + VL - 1) / VL;
  *lo = blocks * t / a->chunks * VL;
  *hi = blocks * (t + 1) / a->chunks * VL;
  if (*hi > a->n) *hi = a->n;
}

/* σ(g) = 1 / (1 + e^−g) */
static inline vf sigmoid(vf g) { return vset(1.0f) / (vset(1.0f) + vexp(-g)); }

/* out = g σ(g) · u */
static void glu_fwd(void* v, int t, int tid) {
  (void)tid;
  const Glu* a = v;
  long i, hi;
  glu_span(a, t, &i, &hi);
  for (; i + VL <= hi; i += VL) {
    const vf g = vload(a->gate + i);
    vstore(a->out + i, g * sigmoid(g) * vload(a->up + i));
  }
  if (i < hi) {
    const int k = (int)(hi - i);
    const vf g = vload_part(a->gate + i, k, 0.0f);
    vstore_part(a->out + i, g * sigmoid(g) * vload_part(a->up + i, k, 0.0f), k);
  }
}

void fl_swiglu_forward(float* out, const float* gate, const float* up, long n) {
  Glu a = {.out = out, .gate = gate, .up = up, .n = n};
  a.chunks = chunks_for(n, 1, 1 << 14);
  run(glu_fwd, &a, a.chunks);
}

/* dup += dout · g σ(g);  dgate += dout · u · σ(g) (1 + g (1 − σ(g)))
 * (or = without accumulate: dgate and dup are then neither read nor need zeroing) */
static inline void glu_bwd_vec(const Glu* a, long i, int k) {
  const int full = k == VL;
  const vf g = full ? vload(a->gate + i) : vload_part(a->gate + i, k, 0.0f);
  const vf u = full ? vload(a->up + i) : vload_part(a->up + i, k, 0.0f);
  const vf dy = full ? vload(a->dout + i) : vload_part(a->dout + i, k, 0.0f);
  const vf zero = {0};
  const vf du = !a->accumulate ? zero : full ? vload(a->dup + i) : vload_part(a->dup + i, k, 0.0f);
  const vf dg = !a->accumulate ? zero : full ? vload(a->dgate + i) : vload_part(a->dgate + i, k, 0.0f);
  const vf s = sigmoid(g);
  const vf nu = du + dy * g * s, ng = dg + dy * u * s * (vset(1.0f) + g * (vset(1.0f) - s));
  if (full) {
    vstore(a->dup + i, nu);
    vstore(a->dgate + i, ng);
  } else {
    vstore_part(a->dup + i, nu, k);
    vstore_part(a->dgate + i, ng, k);
  }
}

static void glu_bwd(void* v, int t, int tid) {
  (void)tid;
  const Glu* a = v;
  long i, hi;
  glu_span(a, t, &i, &hi);
  for (; i + VL <= hi; i += VL) glu_bwd_vec(a, i, VL);
  if (i < hi) glu_bwd_vec(a, i, (int)(hi - i));
}

void fl_swiglu_backward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, long n, int accumulate) {
  Glu a = {.dgate = dgate, .dup = dup, .dout = dout, .gate = gate, .up = up, .n = n, .accumulate = accumulate};
  a.chunks = chunks_for(n, 1, 1 << 14);
  run(glu_bwd, &a, a.chunks);
}

/* Cross-entropy --------------------------------------------------------------------- */

typedef struct {
  float *logprobs, *probs;
  const float* logits;
  const int32_t* targets;
  const float* mask;
  int N, V, chunks;
  double count;
  double total[MAX_CHUNKS], weight[MAX_CHUNKS];
} Xent;

/* logZ = max + log Σ e^(l − max);  logprob = l[target] − logZ;  probs = e^(l − max) / Σ */
static void xent_fwd(void* v, int t, int tid) {
  (void)tid;
  Xent* a = v;
  const int V = a->V;
  long lo, hi;
  span(a->N, a->chunks, t, &lo, &hi);
  double total = 0, weight = 0;
  for (long n = lo; n < hi; n++) {
    const float* l = a->logits + n * V;
    float* p = a->probs ? a->probs + n * V : NULL;
    vf mx = vset(-INFINITY);
    int c = 0;
    for (; c + VL <= V; c += VL) mx = vmax(mx, vload(l + c));
    if (c < V) mx = vmax(mx, vload_part(l + c, V - c, -INFINITY));
    const float m = hmax(mx);
    /* NOTE: read the target's logit before `probs` (which may alias `logits`) is written */
    const float lt = l[a->targets[n]];
    vf sum = {0};
    for (c = 0; c + VL <= V; c += VL) {
      const vf e = vexp(vload(l + c) - vset(m));
      sum += e;
      if (p) vstore(p + c, e);
    }
    if (c < V) {
      const vf e = vexp(vload_part(l + c, V - c, 0.0f) - vset(m));
      const vf live = vselect(vload_part(l + c, V - c, -INFINITY) > vset(-INFINITY), e, vset(0.0f));
      sum += live;
      if (p) vstore_part(p + c, e, V - c);
    }
    const float s = hsum(sum);
    if (p) {
      const vf inv = vset(1.0f / s);
      for (c = 0; c + VL <= V; c += VL) vstore(p + c, vload(p + c) * inv);
      if (c < V) vstore_part(p + c, vload_part(p + c, V - c, 0.0f) * inv, V - c);
    }
    const float lp = lt - (m + logf(s));
    a->logprobs[n] = lp;
    const double w = a->mask ? a->mask[n] : 1.0;
    total -= w * lp;
    weight += w;
  }
  a->total[t] = total;
  a->weight[t] = weight;
}

void fl_crossentropy_forward(float* logprobs, float* probs, const float* logits, const int32_t* targets,
                             const float* mask, int N, int V, double* loss, double* count) {
  Xent a = {.logprobs = logprobs, .probs = probs, .logits = logits, .targets = targets, .mask = mask, .N = N, .V = V};
  a.chunks = chunks_for(N, V, 16);
  run(xent_fwd, &a, a.chunks);
  double total = 0, weight = 0;
  for (int t = 0; t < a.chunks; t++) {
    total += a.total[t];
    weight += a.weight[t];
  }
  *count = weight;
  *loss = weight > 0 ? total / weight : NAN;
}

/* dlogits = mask / count · (softmax − onehot(target)), in place over probs */
static void xent_bwd(void* v, int t, int tid) {
  (void)tid;
  const Xent* a = v;
  const int V = a->V;
  long lo, hi;
  span(a->N, a->chunks, t, &lo, &hi);
  for (long n = lo; n < hi; n++) {
    float* p = a->probs + n * V;
    const float w = (float)((a->mask ? a->mask[n] : 1.0) / a->count);
    const vf wv = vset(w);
    int c = 0;
    for (; c + VL <= V; c += VL) vstore(p + c, vload(p + c) * wv);
    if (c < V) vstore_part(p + c, vload_part(p + c, V - c, 0.0f) * wv, V - c);
    p[a->targets[n]] -= w;
  }
}

void fl_crossentropy_backward(float* probs, const int32_t* targets, const float* mask, double count, int N, int V) {
  Xent a = {.probs = probs, .targets = targets, .mask = mask, .N = N, .V = V, .count = count};
  a.chunks = chunks_for(N, V, 16);
  run(xent_bwd, &a, a.chunks);
}
