/*
 * The optional bf16 GEMM: C (M, N) (+)= op(A) · op(B) with both operands rounded to
 * bfloat16 (round to nearest even) and every product summed in float32 by the
 * AVX512_BF16 dot product VDPBF16PS (Intel ISA extensions reference, "VDPBF16PS":
 * c += a₀b₀ + a₁b₁ per float32 lane, a and b pairs of bf16). C stays float32, and so do
 * the weights the caller keeps (the master copy): only the operands of this product
 * are rounded, freshly on every call.
 *
 * Why: the dot product does two multiply-adds per float32 lane where an FMA does one,
 * so the 512-bit units reach about 1.85× the float32 rate on this CPU (measured 443 vs
 * 240 GFLOP/s per core on register-resident data). The price is bf16's 8-bit mantissa:
 * each operand carries a relative rounding error up to 2^-9.
 *
 * Layout (k pairs: p = k/2; odd K is padded with a zero k):
 *   1. both operands are packed into scratch as 32-bit pairs (bf16 of k = 2p in the low
 *      half, k = 2p+1 in the high half), in parallel over pool tasks:
 *        B → Bp[(j/32)·Kh·32 + p·32 + j%32]   panels of 32 columns, each contiguous
 *                                            (zero columns pad N to Np)
 *        A → Ap[i·Kh + p]                     A not transposed: a row's pairs are
 *                                            adjacent floats
 *            Ap[(i/8)·Kh·8 + p·8 + i%8]       Aᵀ: two rows of the stored A interleave,
 *                                            into panels of 8 rows
 *      Panels keep a tile's reads contiguous: a row-major copy would put successive k
 *      pairs 512 B to 2 KiB apart, in a few L1 sets that evict each other.
 *   2. output blocks are pool tasks, as in gemm.c; an 8 × 32 register tile broadcasts one
 *      A pair per row and loads two vectors of B pairs per k pair, 16 dot products.
 *      Each block's sum runs in one fixed order (K in slices of KCP pairs; a long K over
 *      a small output split in two or four parts summed afterwards), so the result does
 *      not depend on the thread count.
 *
 * Compiled for any x86-64 with the target attribute below, so the addon still loads and
 * runs on CPUs without AVX512_BF16; fl_bf16_supported() asks the CPU (cpuid, and the
 * OS's saving of the AVX-512 state) at run time, and nothing here runs unless it said yes.
 * On other architectures the path does not exist (fl_bf16_supported() is 0).
 */
#include "gemm_bf16.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gemm.h"
#include "pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#define MR 8
#define NR 32
#define KCP 128 /* k pairs per slice: the B micro-panel, KCP × 32 pairs = 16 KiB, stays in L1 */
#define MAX_SCRATCH ((size_t)16 << 20) /* uint32 pairs, as gemm.c's limit in floats */
#define SERIAL_BELOW (1LL << 19)
#define PACK_ROWS 64 /* rows of A (or k pairs) per packing task */

int fl_bf16_supported(void) {
  static int known = -1;
  if (known < 0) {
    __builtin_cpu_init();
    known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
            __builtin_cpu_supports("avx512bf16");
  }
  return known;
}

typedef struct {
  int transA, transB, M, N, K, Kh, Np, lda, ldb, ldc, accumulate;
  const float *A, *B;
  float* C;
  uint32_t *Ap, *Bp;
  int packA, packB; /* packing tasks of each operand */
  int MB, NB, nbCols, blocks, ksplit;
  float* partial;
} G;

/* Interleave two rows of 16 floats into 16 bf16 pairs: out[l] = (lo[l], hi[l]). */
BF16 static inline __m512i pairs16(__m512 lo, __m512 hi) {
  const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6, 21, 5,
                                       20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  return _mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
}

/* n (≤ 16) floats at p, zeros after */
BF16 static inline __m512 load_part(const float* p, int n) {
  return n >= 16 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), p);
}

/* Pairs of rows k = 2p, 2p+1 of a row-major (K, cols) operand B at stride ld, columns
 * [0, colsp) (zeros past cols), into panels of w = 32 columns: column c's pair goes to
 * dst[(c/w)·Kh·w + p·w + c%w]. */
BF16 static void pack_rows_interleaved(uint32_t* dst, const float* src, int ld, int K, int Kh, int p, int cols, int colsp,
                                       int w) {
  const float* r0 = src + (ptrdiff_t)(2 * p) * ld;
  const float* r1 = 2 * p + 1 < K ? r0 + ld : NULL;
  for (int c = 0; c < colsp; c += 16) {
    const int n = cols - c < 16 ? (cols > c ? cols - c : 0) : 16;
    const __m512 lo = load_part(r0 + c, n), hi = r1 ? load_part(r1 + c, n) : _mm512_setzero_ps();
    uint32_t t[16];
    _mm512_storeu_si512(t, pairs16(lo, hi)); /* lanes past n hold zero pairs */
    const int m = colsp - c < 16 ? colsp - c : 16;
    for (int q = 0; q < m; q += w) {
      const int cc = c + q, len = m - q < w ? m - q : w;
      memcpy(dst + (ptrdiff_t)(cc / w) * Kh * w + (ptrdiff_t)p * w + cc % w, t + q, (size_t)len * sizeof(uint32_t));
    }
  }
}

/* Aᵀ stored (K, M) at stride lda, its columns i0 … i0+15 (two panels of 8 rows of the
 * product) for every k pair: one 64-byte line of each of two stored rows in, 8 pairs
 * to each panel out, both panels filled in k order (sequential reads and writes). */
BF16 static void pack_at16(uint32_t* Ap, const float* A, int lda, int K, int Kh, int M, int i0) {
  const int n = M - i0 < 16 ? M - i0 : 16;
  uint32_t* p0 = Ap + (ptrdiff_t)(i0 / MR) * Kh * MR;
  uint32_t* p1 = p0 + (ptrdiff_t)Kh * MR; /* the second panel, if n > 8 */
  for (int p = 0; p < Kh; p++) {
    const float* r0 = A + (ptrdiff_t)(2 * p) * lda + i0;
    const __m512 lo = load_part(r0, n), hi = 2 * p + 1 < K ? load_part(r0 + lda, n) : _mm512_setzero_ps();
    const __m512i v = pairs16(lo, hi);
    _mm256_storeu_si256((__m256i*)(p0 + (ptrdiff_t)p * MR), _mm512_castsi512_si256(v));
    if (n > 8) _mm256_storeu_si256((__m256i*)(p1 + (ptrdiff_t)p * MR), _mm512_extracti64x4_epi64(v, 1));
  }
}

/* A row of K floats at src → Kh pairs (the pairs of a row are adjacent floats). */
BF16 static void pack_row(uint32_t* dst, const float* src, int K, int Kh) {
  int k = 0;
  for (; k + 32 <= K; k += 32)
    _mm512_storeu_si512(dst + k / 2, (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + k + 16), _mm512_loadu_ps(src + k)));
  if (k < K) {
    const int n = K - k;
    const __m512 lo = load_part(src + k, n > 16 ? 16 : n), hi = n > 16 ? load_part(src + k + 16, n - 16) : _mm512_setzero_ps();
    uint32_t t[16];
    _mm512_storeu_si512(t, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
    memcpy(dst + k / 2, t, (size_t)(Kh - k / 2) * sizeof(uint32_t));
  }
}

/* Packing task t: the first packA tasks pack A, the rest pack B. */
BF16 static void pack_task(void* v, int t, int tid) {
  (void)tid;
  const G* g = v;
  if (t < g->packA) {
    if (g->transA) {
      pack_at16(g->Ap, g->A, g->lda, g->K, g->Kh, g->M, 16 * t);
      return;
    }
    const int r0 = t * PACK_ROWS, r1 = r0 + PACK_ROWS < g->M ? r0 + PACK_ROWS : g->M;
    for (int r = r0; r < r1; r++) pack_row(g->Ap + (ptrdiff_t)r * g->Kh, g->A + (ptrdiff_t)r * g->lda, g->K, g->Kh);
    return;
  }
  t -= g->packA;
  if (!g->transB) {
    const int p0 = t * PACK_ROWS, p1 = p0 + PACK_ROWS < g->Kh ? p0 + PACK_ROWS : g->Kh;
    for (int p = p0; p < p1; p++) pack_rows_interleaved(g->Bp, g->B, g->ldb, g->K, g->Kh, p, g->N, g->Np, NR);
    return;
  }
  /* Bᵀ stored (N, K): column j's pairs are adjacent floats of row j; scattered to Bp */
  const int j0 = t * PACK_ROWS, j1 = j0 + PACK_ROWS < g->Np ? j0 + PACK_ROWS : g->Np;
  uint32_t row[256];
  for (int j = j0; j < j1; j++) {
    for (int p0 = 0; p0 < g->Kh; p0 += 256) {
      const int n = g->Kh - p0 < 256 ? g->Kh - p0 : 256;
      if (j < g->N) {
        const int k0 = 2 * p0, kn = g->K - k0 < 2 * n ? g->K - k0 : 2 * n;
        pack_row(row, g->B + (ptrdiff_t)j * g->ldb + k0, kn, n);
      } else {
        memset(row, 0, (size_t)n * sizeof(uint32_t));
      }
      uint32_t* col = g->Bp + (ptrdiff_t)(j / NR) * g->Kh * NR + j % NR;
      for (int q = 0; q < n; q++) col[(ptrdiff_t)(p0 + q) * NR] = row[q];
    }
  }
}

/* c (mr × nr, stride ldc) (+)= Σ_{p<kp} a pairs (row stride ra, pair stride ka) · b pairs */
BF16 static inline void tile(int mr, int nr, int kp, const uint32_t* a, ptrdiff_t ra, ptrdiff_t ka, const uint32_t* b,
                             ptrdiff_t ldb, float* c, ptrdiff_t ldc, int acc) {
  const uint32_t* r[MR];
  for (int i = 0; i < MR; i++) r[i] = i < mr ? a + i * ra : a; /* rows past mr re-read row 0 */
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  __m512 c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  for (ptrdiff_t p = 0, o = 0; p < kp; p++, o += ka) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512(b), b1 = (__m512bh)_mm512_loadu_si512(b + 16);
    b += ldb;
    __m512bh x;
#define ROW(i)                                         \
  x = (__m512bh)_mm512_set1_epi32((int)r[i][o]);       \
  c##i##0 = _mm512_dpbf16_ps(c##i##0, x, b0);          \
  c##i##1 = _mm512_dpbf16_ps(c##i##1, x, b1);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
  }
  if (mr == MR && nr == NR) {
#define STORE(i)                                                                          \
  {                                                                                       \
    float* ci = c + (i) * ldc;                                                            \
    _mm512_storeu_ps(ci, acc ? _mm512_add_ps(_mm512_loadu_ps(ci), c##i##0) : c##i##0);      \
    _mm512_storeu_ps(ci + 16, acc ? _mm512_add_ps(_mm512_loadu_ps(ci + 16), c##i##1) : c##i##1); \
  }
    STORE(0) STORE(1) STORE(2) STORE(3) STORE(4) STORE(5) STORE(6) STORE(7)
#undef STORE
    return;
  }
  float t[MR][NR];
  _mm512_storeu_ps(t[0], c00), _mm512_storeu_ps(t[0] + 16, c01), _mm512_storeu_ps(t[1], c10), _mm512_storeu_ps(t[1] + 16, c11);
  _mm512_storeu_ps(t[2], c20), _mm512_storeu_ps(t[2] + 16, c21), _mm512_storeu_ps(t[3], c30), _mm512_storeu_ps(t[3] + 16, c31);
  _mm512_storeu_ps(t[4], c40), _mm512_storeu_ps(t[4] + 16, c41), _mm512_storeu_ps(t[5], c50), _mm512_storeu_ps(t[5] + 16, c51);
  _mm512_storeu_ps(t[6], c60), _mm512_storeu_ps(t[6] + 16, c61), _mm512_storeu_ps(t[7], c70), _mm512_storeu_ps(t[7] + 16, c71);
  for (int i = 0; i < mr; i++)
    for (int j = 0; j < nr; j++) c[i * ldc + j] = (acc ? c[i * ldc + j] : 0.0f) + t[i][j];
}

/* Task = (K slice, output block), as gemm_block in gemm.c but over k pairs. */
BF16 static void block_task(void* v, int task, int tid) {
  (void)tid;
  const G* g = v;
  const int slice = task / g->blocks, block = task % g->blocks;
  const int i0 = (block / g->nbCols) * g->MB, j0 = (block % g->nbCols) * g->NB;
  const int i1 = i0 + g->MB < g->M ? i0 + g->MB : g->M;
  const int j1 = j0 + g->NB < g->N ? j0 + g->NB : g->N;
  const int p0 = (int)((int64_t)g->Kh * slice / g->ksplit), p1 = (int)((int64_t)g->Kh * (slice + 1) / g->ksplit);
  float* out = g->ksplit > 1 ? g->partial + (ptrdiff_t)slice * g->M * g->N : g->C;
  const ptrdiff_t ldo = g->ksplit > 1 ? g->N : g->ldc;
  const ptrdiff_t ra = g->transA ? 1 : g->Kh, ka = g->transA ? MR : 1;
  for (int p = p0; p < p1; p += KCP) {
    const int kp = p1 - p < KCP ? p1 - p : KCP;
    const int acc = p > p0 || (g->accumulate && g->ksplit == 1);
    for (int j = j0; j < j1; j += NR) {
      const int nr = j1 - j < NR ? j1 - j : NR;
      const uint32_t* b = g->Bp + (ptrdiff_t)(j / NR) * g->Kh * NR + (ptrdiff_t)p * NR;
      for (int i = i0; i < i1; i += MR) {
        const int mr = i1 - i < MR ? i1 - i : MR;
        /* Aᵀ: panel i/8 (i is a multiple of 8: blocks start on the tile grid) */
        const uint32_t* a = g->transA ? g->Ap + (ptrdiff_t)(i / MR) * g->Kh * MR + (ptrdiff_t)p * MR : g->Ap + (ptrdiff_t)i * g->Kh + p;
        tile(mr, nr, kp, a, ra, ka, b, NR, out + (ptrdiff_t)i * ldo + j, ldo, acc);
      }
    }
  }
}

/* The reduction of task t of 8: its eighth of the rows (gemm.c) */
static void reduce_task(void* v, int task, int tid) {
  (void)tid;
  const G* g = v;
  const int r0 = (int)((int64_t)g->M * task / 8), r1 = (int)((int64_t)g->M * (task + 1) / 8);
  fl_gemm_reduce_rows(g->C, g->ldc, g->partial, g->M, g->N, g->ksplit, g->accumulate, r0, r1);
}

static void run(fl_task fn, G* g, int tasks, int threads) {
  if (threads == 1)
    for (int t = 0; t < tasks; t++) fn(g, t, 0);
  else
    fl_pool_run(fn, g, tasks);
}

int fl_gemm_bf16(int transA, int transB, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
                 int ldc, int accumulate) {
  if (!fl_bf16_supported()) return -1;
  if (M == 0 || N == 0) return 0;
  if (K == 0) {
    if (!accumulate)
      for (int i = 0; i < M; i++) memset(C + (ptrdiff_t)i * ldc, 0, (size_t)N * sizeof(float));
    return 0;
  }
  G g = {.transA = transA, .transB = transB, .M = M, .N = N, .K = K, .Kh = (K + 1) / 2, .Np = (N + NR - 1) / NR * NR,
         .lda = lda, .ldb = ldb, .ldc = ldc, .accumulate = accumulate, .A = A, .B = B, .C = C};
  const size_t aSize = (size_t)g.Kh * ((M + MR - 1) / MR * MR), bSize = (size_t)g.Kh * g.Np;
  if (aSize + bSize > MAX_SCRATCH) return -1;
  /* slot 0 holds both packed operands (A first, then B on a 64-byte boundary) */
  const size_t aRounded = (aSize + 15) / 16 * 16;
  uint32_t* buf = (uint32_t*)fl_scratch(0, aRounded + bSize);
  if (!buf) return -1;
  g.Ap = buf;
  g.Bp = buf + aRounded;
  const int threads = (long long)M * N * K < SERIAL_BELOW ? 1 : fl_pool_threads();
  /* 1. pack both operands */
  g.packA = transA ? (M + 15) / 16 : (M + PACK_ROWS - 1) / PACK_ROWS;
  g.packB = ((transB ? g.Np : g.Kh) + PACK_ROWS - 1) / PACK_ROWS;
  run(pack_task, &g, g.packA + g.packB, threads);
  /* 2. blocks, as in gemm.c: a long K over a small output is split in K slices */
  g.ksplit = fl_gemm_ksplit(M, N, K); /* the f32 GEMM's rule: same slices, same order */
  if (g.ksplit > 1) {
    g.partial = fl_scratch(1, (size_t)g.ksplit * M * N);
    if (!g.partial) return -1;
  }
  g.MB = 256;
  g.NB = g.Np < 256 ? g.Np : 256;
  const int want = 2 * threads;
  for (;;) {
    const int tasks = g.ksplit * ((M + g.MB - 1) / g.MB) * ((N + g.NB - 1) / g.NB);
    if (tasks >= want || threads == 1) break;
    if (g.MB >= g.NB && g.MB > 16) g.MB /= 2;
    else if (g.NB > NR) g.NB = (g.NB / 2 + NR - 1) / NR * NR;
    else if (g.MB > 16) g.MB /= 2;
    else break;
  }
  g.nbCols = (N + g.NB - 1) / g.NB;
  g.blocks = ((M + g.MB - 1) / g.MB) * g.nbCols;
  run(block_task, &g, g.ksplit * g.blocks, threads);
  if (g.ksplit > 1) run(reduce_task, &g, 8, threads);
  return 0;
}

#else

int fl_bf16_supported(void) { return 0; }

int fl_gemm_bf16(int transA, int transB, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
                 int ldc, int accumulate) {
  (void)transA, (void)transB, (void)M, (void)N, (void)K, (void)A, (void)lda, (void)B, (void)ldb, (void)C, (void)ldc,
      (void)accumulate;
  return -1;
}

#endif
