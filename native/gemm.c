/*
 * Single-precision GEMM with an 8×32 register tile (16 vector accumulators), in the
 * spirit of Goto & van de Geijn 2008 ("Anatomy of high-performance matrix
 * multiplication") but without packing A.
 *
 * Why our own: OpenBLAS 0.3.21 must run its Haswell (AVX2) kernels on this machine
 * (OPENBLAS_CORETYPE=Haswell, pinned by this workplace; docs/ARCHITECTURE.md, src/tensor), which reach at most half the FMA
 * throughput of the AVX-512 units (measured 100 vs 200 GFLOP/s per core). Written
 * with GCC vector extensions, this reaches the 512-bit units where the compiler
 * targets them and stays portable elsewhere; the N-API layer only routes products
 * here when the addon was compiled for AVX-512 (see ftledger_native.c).
 *
 * Layout of one product C (M, N) = op(A) (M, K) · op(B) (K, N):
 *   1. B must be rows of contiguous columns: used in place when not transposed and
 *      N is a multiple of FL_NR, else copied (transposed, zero-padded) to scratch.
 *   2. A is read through strides (row stride ra, k stride ka), so Aᵀ costs nothing:
 *      each k broadcasts one float per tile row.
 *   3. Output blocks (MB × NB) are pool tasks; a task walks K in KC slices (the B
 *      micro-panel, KC × 32 floats = 32 KiB, stays in L1 while the tile rows of the
 *      block pass over it). Tasks write disjoint blocks and each block's sum runs in
 *      one fixed order, so the result does not depend on the thread count. A block of
 *      4 or more tile rows first copies its micro-panel to contiguous scratch: read in
 *      place, the panel's rows sit one B row apart (512 B to 2 KiB in training), so
 *      they fall in a few L1 sets and evict each other; copied, the weight gradients
 *      (dW += dyᵀ x) went from 135–160 to 160–190 GFLOP/s on one core, cold.
 *   4. A long K over a small output (a weight gradient dW += dyᵀ x sums 4096 rows
 *      into 128 × 128) is cut into two or four K slices (fl_gemm_ksplit), summed
 *      afterwards in fixed order: measured with cold caches (as in training) this
 *      beats splitting the output, which makes every thread read all of one operand.
 */
#include "gemm.h"

#include <stdint.h>
#include <string.h>

#include "pool.h"
#include "simd.h"
#include "tile.h"

#define KC 256
/* Most floats of scratch a product may take (copied B, K-slice partials): 64 MiB.
 * Larger ones (a 32000-token lm_head, say) are left to OpenBLAS. */
#define MAX_SCRATCH ((size_t)16 << 20)

/* Products with M·N·K below this run on the calling thread: the pool's hand-off
 * (about a microsecond) is then a large part of the product. */
#define SERIAL_BELOW (1LL << 19)

typedef struct {
  int transA, M, N, K, lda, ldc, accumulate;
  const float* A;
  const float* B; /* rows of ≥ N readable columns, padded to a multiple of FL_NR (slot 0) */
  ptrdiff_t ldb;
  float* C;
  int MB, NB, nbCols, blocks; /* block sizes, blocks per block-row, blocks */
  int ksplit;                 /* K slices; with more than one, slice s writes partial[s] */
  float* partial;             /* ksplit × (M, N), row stride N (slot 1) */
} Gemm;

/* Two instantiations so the inner loop sees a constant stride for A. */
static void tile_n(int mr, int nr, int kc, const float* a, ptrdiff_t lda, const float* b, ptrdiff_t ldb, float* c,
                   ptrdiff_t ldc, int acc) {
  fl_tile(mr, nr, kc, a, lda, 1, b, ldb, c, ldc, 1.0f, acc);
}

static void tile_t(int mr, int nr, int kc, const float* a, ptrdiff_t lda, const float* b, ptrdiff_t ldb, float* c,
                   ptrdiff_t ldc, int acc) {
  fl_tile(mr, nr, kc, a, 1, lda, b, ldb, c, ldc, 1.0f, acc);
}

/* Software prefetch for the tile at row i (the next one), issued before the current tile
 * runs. Training reads its activations cold (a step's working set is far larger than the
 * caches), and the hardware prefetchers ramp up too slowly on the short runs of a tile
 * (8 rows × 1 KiB): measured on one core with operands cycled through 200 MB, products
 * with K = 128 went from 150–170 to 190–205 GFLOP/s.
 *   - A, on the first column tile of the block (later ones find it in L2): 8 rows of kc
 *     floats, or for Aᵀ kc rows of 8 floats (one line for every other tile);
 *   - C, when the first K slice adds into C in memory (readsC): its 8 × 32 floats. */
static inline void prefetch_next(const Gemm* g, int i, int firstCol, int p, int kc, int readsC, float* c, ptrdiff_t ldo) {
  if (firstCol && !g->transA) {
    for (int r = 0; r < FL_MR; r++) {
      const float* a = g->A + (ptrdiff_t)(i + r) * g->lda + p;
      for (int q = 0; q < kc; q += 16) __builtin_prefetch(a + q, 0, 3);
    }
  } else if (firstCol && i % 16 == 0) {
    for (int q = 0; q < kc; q++) __builtin_prefetch(g->A + (ptrdiff_t)(p + q) * g->lda + i, 0, 3);
  }
  if (readsC) {
    for (int r = 0; r < FL_MR; r++) {
      __builtin_prefetch(c + r * ldo, 1, 3);
      __builtin_prefetch(c + r * ldo + 16, 1, 3);
    }
  }
}

/* Task = (K slice, output block): out block (+)= A[block rows, slice] · B[slice, block cols]. */
static void gemm_block(void* ctx, int task, int tid) {
  (void)tid;
  const Gemm* g = ctx;
  const int slice = task / g->blocks, block = task % g->blocks;
  const int i0 = (block / g->nbCols) * g->MB, j0 = (block % g->nbCols) * g->NB;
  const int i1 = i0 + g->MB < g->M ? i0 + g->MB : g->M;
  const int j1 = j0 + g->NB < g->N ? j0 + g->NB : g->N;
  const int k0 = (int)((int64_t)g->K * slice / g->ksplit), k1 = (int)((int64_t)g->K * (slice + 1) / g->ksplit);
  float* out = g->ksplit > 1 ? g->partial + (ptrdiff_t)slice * g->M * g->N : g->C;
  const ptrdiff_t ldo = g->ksplit > 1 ? g->N : g->ldc;
  float* panel = i1 - i0 >= 4 * FL_MR ? fl_scratch(2, (size_t)KC * FL_NR) : NULL; /* NULL: read B in place */
  for (int p = k0; p < k1; p += KC) {
    const int kc = k1 - p < KC ? k1 - p : KC;
    const int acc = p > k0 || (g->accumulate && g->ksplit == 1);
    for (int j = j0; j < j1; j += FL_NR) {
      const int nr = j1 - j < FL_NR ? j1 - j : FL_NR;
      const float* b = g->B + p * g->ldb + j;
      ptrdiff_t ldb = g->ldb;
      if (panel) {
        for (int q = 0; q < kc; q++) memcpy(panel + q * FL_NR, b + (ptrdiff_t)q * g->ldb, FL_NR * sizeof(float));
        b = panel;
        ldb = FL_NR;
      }
      for (int i = i0; i < i1; i += FL_MR) {
        const int mr = i1 - i < FL_MR ? i1 - i : FL_MR;
        float* c = out + (ptrdiff_t)i * ldo + j;
        if (i + FL_MR < i1) prefetch_next(g, i + FL_MR, j == j0, p, kc, acc && p == k0, out + (ptrdiff_t)(i + FL_MR) * ldo + j, ldo);
        if (g->transA) tile_t(mr, nr, kc, g->A + (ptrdiff_t)p * g->lda + i, g->lda, b, ldb, c, ldo, acc);
        else tile_n(mr, nr, kc, g->A + (ptrdiff_t)i * g->lda + p, g->lda, b, ldb, c, ldo, acc);
      }
    }
  }
}

void fl_gemm_reduce_rows(float* C, int ldc, const float* partial, int M, int N, int ksplit, int accumulate, int r0,
                         int r1) {
  const ptrdiff_t plane = (ptrdiff_t)M * N;
  for (int i = r0; i < r1; i++) {
    float* c = C + (ptrdiff_t)i * ldc;
    const float* p = partial + (ptrdiff_t)i * N;
    for (int j = 0; j < N; j++) {
      float x = accumulate ? c[j] + p[j] : p[j];
      for (int s = 1; s < ksplit; s++) x += p[s * plane + j];
      c[j] = x;
    }
  }
}

/* The reduction of task t of 8: its eighth of the rows */
static void gemm_reduce(void* ctx, int task, int tid) {
  (void)tid;
  const Gemm* g = ctx;
  const int r0 = (int)((int64_t)g->M * task / 8), r1 = (int)((int64_t)g->M * (task + 1) / 8);
  fl_gemm_reduce_rows(g->C, g->ldc, g->partial, g->M, g->N, g->ksplit, g->accumulate, r0, r1);
}

/* K slices of a long K over a small output (weight gradients dW += dyᵀ x: 128 × 128
 * from 4096 rows), summed afterwards in slice order; by shape only, so the result does
 * not depend on the thread count. Four slices for the smallest outputs: each task then
 * streams its own quarter of both operands (measured on 2 threads, 128×128×4096 cold:
 * 240 → 285–315 GFLOP/s; larger outputs are as fast or faster with two). */
int fl_gemm_ksplit(int M, int N, int K) {
  if (K < 2048 || K < 4 * (M > N ? M : N) || (size_t)4 * M * N > MAX_SCRATCH) return 1;
  return (long long)M * N <= 128 * 128 && K >= 4096 ? 4 : 2;
}

int fl_gemm(int transA, int transB, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
            int ldc, int accumulate) {
  if (M == 0 || N == 0) return 0;
  const int Np = (N + FL_NR - 1) / FL_NR * FL_NR;
  const int copyB = transB || N != Np;
  if (copyB && (size_t)K * Np > MAX_SCRATCH) return -1;
  if (K == 0) {
    if (!accumulate)
      for (int i = 0; i < M; i++) memset(C + (ptrdiff_t)i * ldc, 0, (size_t)N * sizeof(float));
    return 0;
  }
  Gemm g = {.transA = transA, .M = M, .N = N, .K = K, .lda = lda, .ldc = ldc, .accumulate = accumulate, .A = A, .C = C};
  /* 1. B as rows of contiguous, FL_NR-padded columns */
  if (!copyB) {
    g.B = B;
    g.ldb = ldb;
  } else {
    float* bp = fl_scratch(0, (size_t)K * Np);
    if (!bp) return -1;
    for (int k = 0; k < K; k++) {
      float* row = bp + (ptrdiff_t)k * Np;
      if (transB)
        for (int j = 0; j < N; j++) row[j] = B[(ptrdiff_t)j * ldb + k];
      else
        memcpy(row, B + (ptrdiff_t)k * ldb, (size_t)N * sizeof(float));
      for (int j = N; j < Np; j++) row[j] = 0.0f;
    }
    g.B = bp;
    g.ldb = Np;
  }
  /* 2. a long K over a small output (weight gradients: 128×128 from 4096 rows) is
   *    split in K slices, each streaming its own part of A and B once; the split
   *    depends on the shape only, so the sum order does too */
  g.ksplit = fl_gemm_ksplit(M, N, K);
  if (g.ksplit > 1) {
    g.partial = fl_scratch(1, (size_t)g.ksplit * M * N);
    if (!g.partial) return -1;
  }
  /* 3. output blocks: large, so A and B are read few times, but enough of them
   *    (with the K slices) to keep every thread busy */
  const int threads = (long long)M * N * K < SERIAL_BELOW ? 1 : fl_pool_threads();
  g.MB = 256;
  g.NB = Np < 256 ? Np : 256;
  const int want = 2 * threads;
  for (;;) {
    const int tasks = g.ksplit * ((M + g.MB - 1) / g.MB) * ((N + g.NB - 1) / g.NB);
    if (tasks >= want || threads == 1) break;
    if (g.MB >= g.NB && g.MB > 16) g.MB /= 2;
    else if (g.NB > FL_NR) g.NB = (g.NB / 2 + FL_NR - 1) / FL_NR * FL_NR;
    else if (g.MB > 16) g.MB /= 2;
    else break;
  }
  g.nbCols = (N + g.NB - 1) / g.NB;
  g.blocks = ((M + g.MB - 1) / g.MB) * g.nbCols;
  const int tasks = g.ksplit * g.blocks;
  if (threads == 1) {
    for (int t = 0; t < tasks; t++) gemm_block(&g, t, 0);
    if (g.ksplit > 1)
      for (int t = 0; t < 8; t++) gemm_reduce(&g, t, 0);
  } else {
    fl_pool_run(gemm_block, &g, tasks);
    if (g.ksplit > 1) fl_pool_run(gemm_reduce, &g, 8);
  }
  return 0;
}
