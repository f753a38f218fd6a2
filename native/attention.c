/*
 * Causal grouped-query attention for one sequence, all heads (Vaswani et al. 2017;
 * GQA: Ainslie et al. 2023). Reference: src/model/ops/attention.ts, same shapes:
 *   q (Tq, NH·HS)   key, value (Tk, KVH·HS)   out (Tq, NH·HS)   att (NH, Tq, Tk)
 * query row t sees keys j < n_t = min(Tk, qOffset + t + 1); query head h reads
 * key/value head h / (NH/KVH). att keeps the softmax with zeros past n_t.
 *
 * Every product is a run of fl_tile calls (tile.h) over 8-row blocks (fewer rows than a
 * block, as in decoding, go row by row: rows_direct), and a block
 * stops at the last key its last row can see, so the masked half of the scores is
 * never computed (only the tiles that straddle the diagonal are partly wasted).
 * The B operand of a tile must be rows of 32 contiguous floats: key is transposed
 * into scratch (Kᵀ, HS × Tk), value too for backward; a head slice of q, key, value
 * or dout is used in place when HS is a multiple of 32, else copied with padding.
 *
 * Threads (pool.h):
 *   forward      tasks = (head, block of query rows), rows split for equal causal work
 *   backward  1. tasks = (head, query rows): dA = dout Vᵀ, dS, dq = dS K (rows are
 *                independent; dS goes to a shared scratch buffer)
 *             2. tasks = (kv head, block of keys): dv += Aᵀ dout, dk += dSᵀ q, over
 *                the query heads of the group in order (disjoint rows of dk, dv)
 * Task boundaries fall on the 8-row grid of the tiles, so every element is computed
 * the same way whatever the split: results do not depend on the thread count.
 */
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "fused.h"
#include "pool.h"
#include "simd.h"
#include "tile.h"

#define MAX_PARTS 16
/* Tasks per thread (about): more balance the load when another process takes a
 * core, fewer repeat the per-task transposes; 1, 2 and 4 measured, 2 kept. */
#define PARTS_PER_THREAD 2
/* Below this many multiply-adds the whole call runs on the calling thread. */
#define SERIAL_BELOW (1 << 17)

static int round_up(int x, int m) { return (x + m - 1) / m * m; }
static int min_int(int a, int b) { return a < b ? a : b; }

/* keys query row t sees */
static int visible(const fl_attention_shape* s, int t) { return min_int(s->Tk, s->qOffset + t + 1); }

/* Work of query row i (keys it sees) or of key i (query rows that see it). */
static double cost(const fl_attention_shape* s, int by_key, int i) {
  if (!by_key) return visible(s, i);
  const int rows = s->Tq - (i > s->qOffset ? i - s->qOffset : 0); /* query rows that see key i */
  return rows > 0 ? rows : 0;
}

/* Split [0, n) into at most `parts` ranges with boundaries on multiples of FL_MR and
 * about equal Σ cost(i); bounds gets (ranges + 1) entries; returns the ranges. */
static int split(int n, int parts, const fl_attention_shape* s, int by_key, int* bounds) {
  double total = 0;
  for (int i = 0; i < n; i++) total += cost(s, by_key, i);
  int p = 0;
  bounds[0] = 0;
  double acc = 0;
  for (int i = 0; i < n && p + 1 < parts; i++) {
    acc += cost(s, by_key, i);
    if (acc >= total * (p + 1) / parts && (i + 1) % FL_MR == 0 && i + 1 < n) bounds[++p] = i + 1;
  }
  bounds[++p] = n;
  return p;
}

/* A head slice (rows × HS at stride ld) as a tile B operand: in place when HS is a
 * multiple of FL_NR, else copied to buf with rows padded to HSp. */
static const float* operand(const float* src, int ld, int rows, int HS, float* buf, int* ldb) {
  if (HS % FL_NR == 0) {
    *ldb = ld;
    return src;
  }
  const int HSp = round_up(HS, FL_NR);
  for (int r = 0; r < rows; r++) {
    for (int d = 0; d < HS; d++) buf[(ptrdiff_t)r * HSp + d] = src[(ptrdiff_t)r * ld + d];
    for (int d = HS; d < HSp; d++) buf[(ptrdiff_t)r * HSp + d] = 0.0f;
  }
  *ldb = HSp;
  return buf;
}

/* dst (HS, ncolsp) = src (ncols, HS at stride ld)ᵀ, columns ncols … ncolsp zero.
 * Reads rows, writes columns: 4× faster here than gathering columns. */
static void transpose(float* dst, const float* src, int ld, int ncols, int ncolsp, int HS) {
  for (int j = 0; j < ncols; j++)
    for (int d = 0; d < HS; d++) dst[(ptrdiff_t)d * ncolsp + j] = src[(ptrdiff_t)j * ld + d];
  for (int d = 0; d < HS; d++)
    for (int j = ncols; j < ncolsp; j++) dst[(ptrdiff_t)d * ncolsp + j] = 0.0f;
}

/* Lanes of the vector at column c that lie before n. */
static inline vi before(int c, int n) {
  vi lim = {0};
  lim += n - c;
  return vlanes() < lim;
}

typedef struct {
  const fl_attention_shape* s;
  float *out, *att, *dq, *dkey, *dvalue, *dS;
  const float *q, *key, *value, *dout, *att_in;
  int nbounds, bounds[MAX_PARTS + 1]; /* row (or key) ranges, the same for every head */
  int Tkp;
  _Atomic int failed;
} Attn;

/* Row softmax of x over the first n entries, zeros over n … len.
 * The partial vector at the end of [0, n) is read and written whole (masked) when it
 * lies within the row, which is every row when len is a multiple of 16. */
static void softmax_row(float* x, int n, int len) {
  const int c1 = n / VL * VL, tail = n - c1, whole = c1 + VL <= len;
  const vi live = before(c1, n);
  vf mx = vset(-INFINITY), xt = vset(-INFINITY);
  for (int c = 0; c < c1; c += VL) mx = vmax(mx, vload(x + c));
  if (tail) {
    xt = vselect(live, whole ? vload(x + c1) : vload_part(x + c1, tail, 0.0f), vset(-INFINITY));
    mx = vmax(mx, xt);
  }
  const vf m = vset(hmax(mx));
  vf sum = {0};
  for (int c = 0; c < c1; c += VL) {
    const vf e = vexp(vload(x + c) - m);
    sum += e;
    vstore(x + c, e);
  }
  vf et = {0};
  if (tail) {
    et = vselect(live, vexp(xt - m), vset(0.0f));
    sum += et;
  }
  const vf inv = vset(1.0f / hsum(sum));
  for (int c = 0; c < c1; c += VL) vstore(x + c, vload(x + c) * inv);
  int c = n;
  if (tail && whole) {
    vstore(x + c1, et * inv); /* zeros past n */
    c = c1 + VL;
  } else if (tail) {
    vstore_part(x + c1, et * inv, tail);
  }
  for (; c < len; c++) x[c] = 0.0f;
}

/* Forward ---------------------------------------------------------------------------- */

/* scores = scale · Q_h K_khᵀ;  att = causal softmax(scores);  out_h = att V_kh */
static void fwd_task(void* v, int task, int tid) {
  (void)tid;
  Attn* a = v;
  const fl_attention_shape* s = a->s;
  const int h = task / a->nbounds, part = task % a->nbounds;
  const int r0 = a->bounds[part], r1 = a->bounds[part + 1];
  const int kh = h / (s->NH / s->KVH), HS = s->HS, Tk = s->Tk;
  const int qD = s->NH * HS, kD = s->KVH * HS;
  const float scale = 1.0f / sqrtf((float)HS);
  const int ncols = visible(s, r1 - 1), ncolsp = round_up(ncols, FL_NR);
  float* buf = fl_scratch(1, (size_t)HS * ncolsp + (size_t)ncols * round_up(HS, FL_NR));
  if (!buf) {
    atomic_store(&a->failed, 1);
    return;
  }
  float* kt = buf;
  transpose(kt, a->key + kh * HS, kD, ncols, ncolsp, HS);
  int ldv;
  const float* vh = operand(a->value + kh * HS, kD, ncols, HS, buf + (size_t)HS * ncolsp, &ldv);
  float* att = a->att + (ptrdiff_t)h * s->Tq * Tk;
  for (int i = r0; i < r1; i += FL_MR) {
    const int mr = min_int(FL_MR, r1 - i), nb = visible(s, i + mr - 1);
    for (int j = 0; j < nb; j += FL_NR)
      fl_tile(mr, min_int(FL_NR, Tk - j), HS, a->q + (ptrdiff_t)i * qD + h * HS, qD, 1, kt + j, ncolsp,
              att + (ptrdiff_t)i * Tk + j, Tk, scale, 0);
    for (int t = i; t < i + mr; t++) softmax_row(att + (ptrdiff_t)t * Tk, visible(s, t), Tk);
    for (int d = 0; d < HS; d += FL_NR)
      fl_tile(mr, min_int(FL_NR, HS - d), nb, att + (ptrdiff_t)i * Tk, Tk, 1, vh + d, ldv,
              a->out + (ptrdiff_t)i * qD + h * HS + d, qD, 1.0f, 0);
  }
}

/* Fewer query rows than one tile block (decoding: Tq = 1): each row computed directly from
 * the key and value rows, no transposes and no tiles, whose packing costs more than these
 * products (it was the largest cost of decoding). Per row t of head h, keys j < n_t:
 *   att_j = softmax_j(scale · q_t · k_j);   out_t = Σ_j att_j v_j
 * A product q · k_j is one vector of HS/16 (rounded up) lane-wise products, summed across
 * its lanes in hsum's pairwise order; sixteen keys' vectors are summed at once (hsum16).
 * out_t stays in registers over the keys (DIRECT_CHUNKS vectors of it at a time). */

/* Lane r of the result is hsum(p[r]), bit for bit: the same pairs added in the same order
 * (lane i with i + 8, then i + 4, i + 2, i + 1), for sixteen vectors in four rounds of
 * shuffles instead of sixteen reductions. Round 1 packs two vectors' 8 partial sums into
 * one, round 2 four vectors' 4, round 3 eight vectors' 2, round 4 sixteen vectors' 1. */
static inline vf hsum16(const vf p[16]) {
  vf a[8], b[4], c[2];
  for (int i = 0; i < 8; i++)
    a[i] = __builtin_shufflevector(p[2 * i], p[2 * i + 1], 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
           __builtin_shufflevector(p[2 * i], p[2 * i + 1], 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  for (int i = 0; i < 4; i++)
    b[i] = __builtin_shufflevector(a[2 * i], a[2 * i + 1], 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) +
           __builtin_shufflevector(a[2 * i], a[2 * i + 1], 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  for (int i = 0; i < 2; i++)
    c[i] = __builtin_shufflevector(b[2 * i], b[2 * i + 1], 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29) +
           __builtin_shufflevector(b[2 * i], b[2 * i + 1], 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
  return __builtin_shufflevector(c[0], c[1], 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30) +
         __builtin_shufflevector(c[0], c[1], 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
}

/* One head's view of a sequence's rows (q, keys or values at stride ld). The last chunk of a
 * row has `tail` live lanes (1 … 16); it is loaded whole where the 16 floats lie inside the
 * `avail` floats known to exist from `base` (they run into the next row, masked off), else
 * copied lane by lane. */
typedef struct {
  const float* base;
  int ld, nc, tail;
  ptrdiff_t avail;
  vi live;
} HeadRows;

static HeadRows head_rows(const float* base, int ld, int HS, ptrdiff_t avail) {
  HeadRows r = {.base = base, .ld = ld, .nc = (HS + VL - 1) / VL, .avail = avail};
  r.tail = HS - (r.nc - 1) * VL;
  r.live = before(0, r.tail);
  return r;
}

static inline vf last_chunk(const HeadRows* r, int j) {
  const ptrdiff_t at = (ptrdiff_t)j * r->ld + (ptrdiff_t)(r->nc - 1) * VL;
  if (r->tail == VL) return vload(r->base + at);
  return vselect(r->live, at + VL <= r->avail ? vload(r->base + at) : vload_part(r->base + at, r->tail, 0.0f), vset(0.0f));
}

/* q · k_j as a vector of lane-wise products (qlast: q's last chunk, zero past HS) */
static inline vf products(const float* q, vf qlast, const HeadRows* k, int j) {
  const float* row = k->base + (ptrdiff_t)j * k->ld;
  vf acc = qlast * last_chunk(k, j);
  for (int c = 0; c < k->nc - 1; c++) acc += vload(q + c * VL) * vload(row + c * VL);
  return acc;
}

/* att[j] = scale · q · k_j for j < n */
static void scores_direct(float* att, const float* q, const HeadRows* k, int n, float scale) {
  const vf qlast = vload_part(q + (k->nc - 1) * VL, k->tail, 0.0f);
  int j = 0;
  for (; j + VL <= n; j += VL) {
    vf p[VL];
    for (int r = 0; r < VL; r++) p[r] = products(q, qlast, k, j + r);
    vstore(att + j, vset(scale) * hsum16(p));
  }
  for (; j < n; j++) att[j] = scale * hsum(products(q, qlast, k, j));
}

/* out = Σ_{j < n} att[j] v_j, summed in order of j, in registers: DIRECT_CHUNKS chunks of
 * the head at a time */
#define DIRECT_CHUNKS 8
static void weighted_direct(float* out, const float* att, const HeadRows* v, int n) {
  for (int c0 = 0; c0 < v->nc; c0 += DIRECT_CHUNKS) {
    const int c1 = min_int(v->nc, c0 + DIRECT_CHUNKS), last = c1 == v->nc;
    vf acc[DIRECT_CHUNKS] = {{0}};
    for (int j = 0; j < n; j++) {
      const vf w = vset(att[j]);
      const float* row = v->base + (ptrdiff_t)j * v->ld;
      for (int c = c0; c < c1 - last; c++) acc[c - c0] += w * vload(row + c * VL);
      if (last) acc[c1 - 1 - c0] += w * last_chunk(v, j);
    }
    for (int c = c0; c < c1 - last; c++) vstore(out + c * VL, acc[c - c0]);
    if (last) vstore_part(out + (c1 - 1) * VL, acc[c1 - 1 - c0], v->tail);
  }
}

static void rows_direct(const Attn* a) {
  const fl_attention_shape* s = a->s;
  const int HS = s->HS, Tk = s->Tk, qD = s->NH * HS, kD = s->KVH * HS;
  const float scale = 1.0f / sqrtf((float)HS);
  for (int h = 0; h < s->NH; h++) {
    const int off = (h / (s->NH / s->KVH)) * HS;
    /* the key and value rows that exist: Tk of them, kD floats apart */
    const HeadRows kh = head_rows(a->key + off, kD, HS, (ptrdiff_t)Tk * kD - off);
    const HeadRows vh = head_rows(a->value + off, kD, HS, (ptrdiff_t)Tk * kD - off);
    for (int t = 0; t < s->Tq; t++) {
      float* att = a->att + ((ptrdiff_t)h * s->Tq + t) * Tk;
      const int n = visible(s, t);
      scores_direct(att, a->q + (ptrdiff_t)t * qD + h * HS, &kh, n, scale);
      softmax_row(att, n, Tk);
      weighted_direct(a->out + (ptrdiff_t)t * qD + h * HS, att, &vh, n);
    }
  }
}

/* Decoding: the short query rows of many sequences, one task per sequence (each computed by
 * rows_direct, so a sequence's result does not depend on its company or on the thread). */
typedef struct {
  const fl_decode_seq* seqs;
  float* out;
  const float* q;
  int NH, KVH, HS;
  _Atomic int failed;
} Decode;

static void decode_task(void* v, int task, int tid) {
  (void)tid;
  Decode* d = v;
  const fl_decode_seq* sq = &d->seqs[task];
  const fl_attention_shape s = {.Tq = sq->Tq, .Tk = sq->Tk, .qOffset = sq->Tk - sq->Tq, .NH = d->NH, .KVH = d->KVH, .HS = d->HS};
  float* att = fl_scratch(1, (size_t)d->NH * sq->Tq * sq->Tk);
  if (!att) {
    atomic_store(&d->failed, 1);
    return;
  }
  const ptrdiff_t at = (ptrdiff_t)sq->row * d->NH * d->HS;
  Attn a = {.s = &s, .out = d->out + at, .att = att, .q = d->q + at, .key = sq->key, .value = sq->value};
  rows_direct(&a);
}

int fl_attention_decode(const fl_decode_seq* seqs, int nseq, float* out, const float* q, int NH, int KVH, int HS) {
  Decode d = {.seqs = seqs, .out = out, .q = q, .NH = NH, .KVH = KVH, .HS = HS};
  atomic_init(&d.failed, 0);
  double work = 0;
  for (int i = 0; i < nseq; i++) work += (double)NH * seqs[i].Tq * seqs[i].Tk * HS;
  if (work < SERIAL_BELOW || nseq == 1)
    for (int i = 0; i < nseq; i++) decode_task(&d, i, 0);
  else
    fl_pool_run(decode_task, &d, nseq);
  return atomic_load(&d.failed) ? -1 : 0;
}

static int threads_for(const fl_attention_shape* s) {
  const double work = (double)s->NH * s->Tq * (s->qOffset + s->Tq < s->Tk ? s->qOffset + s->Tq : s->Tk) * s->HS;
  return work < SERIAL_BELOW ? 1 : fl_pool_threads();
}

static void run_tasks(fl_task fn, Attn* a, int tasks, int threads) {
  if (threads == 1)
    for (int t = 0; t < tasks; t++) fn(a, t, 0);
  else
    fl_pool_run(fn, a, tasks);
}

int fl_attention_forward(const fl_attention_shape* s, float* out, float* att, const float* q, const float* key,
                         const float* value) {
  if (s->Tq == 0 || s->Tk == 0) return 0;
  Attn a = {.s = s, .out = out, .att = att, .q = q, .key = key, .value = value};
  if (s->Tq < FL_MR) {
    rows_direct(&a);
    return 0;
  }
  const int threads = threads_for(s);
  /* 1. enough tasks for the threads: split each head's rows when heads are few */
  int parts = threads == 1 ? 1 : (PARTS_PER_THREAD * threads + s->NH - 1) / s->NH;
  if (parts > MAX_PARTS) parts = MAX_PARTS;
  a.nbounds = split(s->Tq, parts, s, 0, a.bounds);
  run_tasks(fwd_task, &a, s->NH * a.nbounds, threads);
  return atomic_load(&a.failed) ? -1 : 0;
}

/* Backward --------------------------------------------------------------------------- */

/* dA = dout_h V_khᵀ;  dS = scale · A ⊙ (dA − rowsum(A ⊙ dA));  dq_h = dS K_kh */
static void bwd_rows_task(void* v, int task, int tid) {
  (void)tid;
  Attn* a = v;
  const fl_attention_shape* s = a->s;
  const int h = task / a->nbounds, part = task % a->nbounds;
  const int r0 = a->bounds[part], r1 = a->bounds[part + 1];
  const int kh = h / (s->NH / s->KVH), HS = s->HS, Tk = s->Tk, Tkp = a->Tkp;
  const int qD = s->NH * HS, kD = s->KVH * HS;
  const float scale = 1.0f / sqrtf((float)HS);
  const int ncols = visible(s, r1 - 1), ncolsp = round_up(ncols, FL_NR);
  float* buf = fl_scratch(1, (size_t)HS * ncolsp + (size_t)ncols * round_up(HS, FL_NR));
  if (!buf) {
    atomic_store(&a->failed, 1);
    return;
  }
  float* vt = buf;
  transpose(vt, a->value + kh * HS, kD, ncols, ncolsp, HS);
  int ldk;
  const float* kh_ = operand(a->key + kh * HS, kD, ncols, HS, buf + (size_t)HS * ncolsp, &ldk);
  const float* att = a->att_in + (ptrdiff_t)h * s->Tq * Tk;
  float* dS = a->dS + (ptrdiff_t)h * s->Tq * Tkp;
  for (int i = r0; i < r1; i += FL_MR) {
    const int mr = min_int(FL_MR, r1 - i), nb = visible(s, i + mr - 1);
    for (int j = 0; j < nb; j += FL_NR)
      fl_tile(mr, FL_NR, HS, a->dout + (ptrdiff_t)i * qD + h * HS, qD, 1, vt + j, ncolsp, dS + (ptrdiff_t)i * Tkp + j, Tkp,
              1.0f, 0);
    for (int t = i; t < i + mr; t++) {
      const int n = visible(s, t);
      const float* A = att + (ptrdiff_t)t * Tk;
      float* d = dS + (ptrdiff_t)t * Tkp;
      /* whole vectors up to n rounded up: A is 0 there (softmax) and d has Tkp ≥ that
       * many columns, so the extra lanes add 0 to the dot and write 0 to dS */
      const int c1 = round_up(n, VL) <= Tk ? round_up(n, VL) : n / VL * VL;
      vf dot = {0};
      int c = 0;
      for (; c < c1; c += VL) dot += vload(A + c) * vload(d + c);
      if (c < n) dot += vload_part(A + c, n - c, 0.0f) * vload_part(d + c, n - c, 0.0f);
      const vf D = vset(hsum(dot)), sc = vset(scale);
      for (c = 0; c < c1; c += VL) vstore(d + c, sc * vload(A + c) * (vload(d + c) - D));
      if (c < n) {
        vstore_part(d + c, sc * vload_part(A + c, n - c, 0.0f) * (vload_part(d + c, n - c, 0.0f) - D), n - c);
        c = n;
      }
      for (; c < Tk; c++) d[c] = 0.0f;
    }
    for (int d = 0; d < HS; d += FL_NR)
      fl_tile(mr, min_int(FL_NR, HS - d), nb, dS + (ptrdiff_t)i * Tkp, Tkp, 1, kh_ + d, ldk,
              a->dq + (ptrdiff_t)i * qD + h * HS + d, qD, 1.0f, 0);
  }
}

/* dv_kh += Σ_h A_hᵀ dout_h;  dk_kh += Σ_h dS_hᵀ q_h   (keys j0 … j1 of kv head kh) */
static void bwd_keys_task(void* v, int task, int tid) {
  (void)tid;
  Attn* a = v;
  const fl_attention_shape* s = a->s;
  const int kh = task / a->nbounds, part = task % a->nbounds;
  const int j0 = a->bounds[part], j1 = a->bounds[part + 1];
  const int group = s->NH / s->KVH, HS = s->HS, Tq = s->Tq, Tk = s->Tk, Tkp = a->Tkp;
  const int qD = s->NH * HS, kD = s->KVH * HS;
  /* the first query row that sees key j0 */
  const int t0 = j0 > s->qOffset ? j0 - s->qOffset : 0;
  if (t0 >= Tq) return;
  const int HSp = round_up(HS, FL_NR);
  float* buf = HS % FL_NR ? fl_scratch(2, (size_t)2 * (Tq - t0) * HSp) : NULL;
  if (HS % FL_NR && !buf) {
    atomic_store(&a->failed, 1);
    return;
  }
  for (int h = kh * group; h < (kh + 1) * group; h++) {
    int ldo, ldq;
    const float* doh = operand(a->dout + (ptrdiff_t)t0 * qD + h * HS, qD, Tq - t0, HS, buf, &ldo);
    const float* qh = operand(a->q + (ptrdiff_t)t0 * qD + h * HS, qD, Tq - t0, HS, buf ? buf + (size_t)(Tq - t0) * HSp : NULL, &ldq);
    const float* att = a->att_in + (ptrdiff_t)h * Tq * Tk;
    const float* dS = a->dS + (ptrdiff_t)h * Tq * Tkp;
    for (int j = j0; j < j1; j += FL_MR) {
      const int mr = min_int(FL_MR, j1 - j);
      const int tj = j > s->qOffset ? j - s->qOffset : 0; /* rows before tj do not see key j */
      if (tj >= Tq) break;
      for (int d = 0; d < HS; d += FL_NR) {
        const int nr = min_int(FL_NR, HS - d);
        fl_tile(mr, nr, Tq - tj, att + (ptrdiff_t)tj * Tk + j, 1, Tk, doh + (ptrdiff_t)(tj - t0) * ldo + d, ldo,
                a->dvalue + (ptrdiff_t)j * kD + kh * HS + d, kD, 1.0f, 1);
        fl_tile(mr, nr, Tq - tj, dS + (ptrdiff_t)tj * Tkp + j, 1, Tkp, qh + (ptrdiff_t)(tj - t0) * ldq + d, ldq,
                a->dkey + (ptrdiff_t)j * kD + kh * HS + d, kD, 1.0f, 1);
      }
    }
  }
}

int fl_attention_backward(const fl_attention_shape* s, float* dq, float* dkey, float* dvalue, const float* dout,
                          const float* att, const float* q, const float* key, const float* value) {
  if (s->Tq == 0 || s->Tk == 0) return 0;
  Attn a = {.s = s, .dq = dq, .dkey = dkey, .dvalue = dvalue, .dout = dout, .att_in = att, .q = q, .key = key, .value = value};
  a.Tkp = round_up(s->Tk, FL_NR);
  a.dS = fl_scratch(0, (size_t)s->NH * s->Tq * a.Tkp);
  if (!a.dS) return -1;
  const int threads = threads_for(s);
  /* 1. per query head and block of rows */
  int parts = threads == 1 ? 1 : (PARTS_PER_THREAD * threads + s->NH - 1) / s->NH;
  if (parts > MAX_PARTS) parts = MAX_PARTS;
  a.nbounds = split(s->Tq, parts, s, 0, a.bounds);
  run_tasks(bwd_rows_task, &a, s->NH * a.nbounds, threads);
  if (atomic_load(&a.failed)) return -1;
  /* 2. per kv head and block of keys */
  parts = threads == 1 ? 1 : (PARTS_PER_THREAD * threads + s->KVH - 1) / s->KVH;
  if (parts > MAX_PARTS) parts = MAX_PARTS;
  a.nbounds = split(s->Tk, parts, s, 1, a.bounds);
  run_tasks(bwd_keys_task, &a, s->KVH * a.nbounds, threads);
  return atomic_load(&a.failed) ? -1 : 0;
}
