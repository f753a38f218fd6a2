/*
 * A tiny persistent thread pool for the fused kernels and the GEMM.
 *
 *   fl_pool_run(fn, ctx, ntasks)   runs fn(ctx, task, tid) for task = 0 … ntasks−1
 *                                  on the caller (tid 0) and the workers, returns
 *                                  when all are done
 *
 * Tasks are claimed dynamically, so a worker that the OS does not schedule (other
 * processes on a loaded 2-core machine) costs at most the task it holds. Kernels
 * must make every task write disjoint output and must not depend on which thread
 * ran a task (results are then identical for any thread count and schedule).
 * Per-thread scratch comes from fl_scratch (thread-local, so it is also safe when
 * several Node worker threads call into the addon at once: a caller that finds the
 * pool busy runs its tasks alone).
 */
#ifndef FTLEDGER_POOL_H
#define FTLEDGER_POOL_H

#include <stddef.h>

typedef void (*fl_task)(void* ctx, int task, int tid);

void fl_pool_run(fl_task fn, void* ctx, int ntasks);
/* Threads that take part (the caller included); 1 runs everything on the caller. */
void fl_pool_set_threads(int n);
int fl_pool_threads(void);
/* How long an idle worker spins before it sleeps (microseconds). */
void fl_pool_set_spin_us(int us);

/* Thread-local scratch slot `slot` (0 … 3) of at least `floats` floats, 64-byte
 * aligned; contents are not preserved across calls that grow it. NULL if out of memory.
 * Slots by owner (no two users of a slot are ever active on one thread at once):
 *   0  the caller of fl_gemm (packed B) or of attention backward (dS), shared with tasks
 *   1  fl_gemm's caller (K-slice partial sums); attention tasks (transposed K or V)
 *   2  attention backward tasks (padded dout and q when HS is not a multiple of 32);
 *      fl_gemm's tasks (the contiguous copy of a B micro-panel)
 *   3  the caller of rmsnorm backward (per-chunk dweight partials) */
float* fl_scratch(int slot, size_t floats);

#endif
