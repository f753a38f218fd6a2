/*
 * The thread pool of pool.h.
 *
 * One job at a time. Its state is one 64-bit word, gen (32 bits) | next (16) |
 * ntasks (16): a worker claims task `next` with a compare-and-swap that also checks
 * the generation, so a worker that wakes late can never take a task of a later job
 * (nor read a stale task count). The caller waits until `done` reaches ntasks; it
 * claims tasks itself meanwhile, so it never waits on a worker that has not started.
 *
 * When the caller has no task left to claim but a worker still runs one, it spins for
 * up to 20 µs and then yields the CPU between checks: on a loaded machine the worker
 * may be waiting for exactly this core.
 *
 * Idle workers spin (with a CPU pause) for spin_us after their last task, then sleep
 * on a condition variable. Sleep/wake protocol: a worker increments `sleepers` and
 * re-checks the generation under the mutex before waiting; the caller publishes the
 * new generation and then, if sleepers > 0, broadcasts under the mutex. Both are
 * sequentially consistent, so either the worker sees the new generation or the
 * caller sees the sleeper (no lost wake-up).
 */
#include "pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ volatile("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

#define MAX_THREADS 64
#define MAX_TASKS 65535

static struct {
  _Atomic uint64_t word; /* gen << 32 | next << 16 | ntasks */
  _Atomic int done;
  _Atomic int sleepers;
  fl_task fn;
  void* ctx;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int started; /* workers created so far (they never exit) */
  _Atomic int active; /* workers allowed to take tasks: threads − 1 */
  _Atomic int spin_us;
} P = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .active = 0, .spin_us = 100};

static int g_threads = 1;
static pthread_mutex_t g_busy = PTHREAD_MUTEX_INITIALIZER; /* one caller at a time */
static _Thread_local int t_in_pool = 0;                   /* set on workers */

static uint32_t gen_of(uint64_t w) { return (uint32_t)(w >> 32); }

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

/* Claim and run tasks of generation g until none is left. */
static void work(uint32_t g, int tid) {
  for (;;) {
    uint64_t w = atomic_load(&P.word);
    if (gen_of(w) != g) return;
    uint32_t next = (uint32_t)(w >> 16) & 0xffff, n = (uint32_t)w & 0xffff;
    if (next >= n) return;
    if (!atomic_compare_exchange_weak(&P.word, &w, w + (1u << 16))) continue;
    P.fn(P.ctx, (int)next, tid); /* fn, ctx are stable: this task is not done yet */
    atomic_fetch_add(&P.done, 1);
  }
}

static void* worker(void* arg) {
  const int id = (int)(intptr_t)arg; /* 1 … */
  t_in_pool = 1;
  uint32_t seen = gen_of(atomic_load(&P.word));
  for (;;) {
    /* 1. wait for a new job: spin, then sleep */
    uint32_t g = gen_of(atomic_load(&P.word));
    if (g == seen) {
      const double until = now_us() + atomic_load(&P.spin_us);
      for (int i = 0; (g = gen_of(atomic_load(&P.word))) == seen; i++) {
        CPU_RELAX();
        if ((i & 63) == 63 && now_us() > until) break;
      }
    }
    if (g == seen) {
      pthread_mutex_lock(&P.mu);
      atomic_fetch_add(&P.sleepers, 1);
      while ((g = gen_of(atomic_load(&P.word))) == seen) pthread_cond_wait(&P.cv, &P.mu);
      atomic_fetch_sub(&P.sleepers, 1);
      pthread_mutex_unlock(&P.mu);
    }
    seen = g;
    /* 2. take part if this worker is within the current thread count */
    if (id <= atomic_load(&P.active)) work(g, id);
  }
  return NULL;
}

static void ensure_workers(int n) {
  while (P.started < n) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    const int ok = pthread_create(&th, &attr, worker, (void*)(intptr_t)(P.started + 1)) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) break; /* run with the workers we have */
    P.started++;
  }
}

void fl_pool_run(fl_task fn, void* ctx, int ntasks) {
  if (ntasks <= 0) return;
  if (ntasks == 1 || g_threads <= 1 || t_in_pool || ntasks > MAX_TASKS || pthread_mutex_trylock(&g_busy) != 0) {
    for (int t = 0; t < ntasks; t++) fn(ctx, t, 0);
    return;
  }
  ensure_workers(g_threads - 1);
  atomic_store(&P.active, P.started < g_threads - 1 ? P.started : g_threads - 1);
  P.fn = fn;
  P.ctx = ctx;
  atomic_store(&P.done, 0);
  const uint32_t g = gen_of(atomic_load(&P.word)) + 1;
  atomic_store(&P.word, ((uint64_t)g << 32) | (uint64_t)ntasks);
  if (atomic_load(&P.sleepers) > 0) {
    pthread_mutex_lock(&P.mu);
    pthread_cond_broadcast(&P.cv);
    pthread_mutex_unlock(&P.mu);
  }
  work(g, 0);
  if (atomic_load(&P.done) < ntasks) {
    const double until = now_us() + 20;
    int yielding = 0;
    for (int i = 0; atomic_load(&P.done) < ntasks; i++) {
      if (yielding) {
        sched_yield();
      } else {
        CPU_RELAX();
        yielding = (i & 63) == 63 && now_us() > until;
      }
    }
  }
  pthread_mutex_unlock(&g_busy);
}

void fl_pool_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  pthread_mutex_lock(&g_busy); /* not while a job runs */
  g_threads = n;
  pthread_mutex_unlock(&g_busy);
}

int fl_pool_threads(void) { return g_threads; }

void fl_pool_set_spin_us(int us) { atomic_store(&P.spin_us, us < 0 ? 0 : us); }

/* Thread-local scratch ------------------------------------------------------------ */

#define SLOTS 4
typedef struct {
  float* p[SLOTS];
  size_t n[SLOTS];
} Scratch;

static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void free_scratch(void* v) {
  Scratch* s = v;
  for (int i = 0; i < SLOTS; i++) free(s->p[i]);
  free(s);
}

static void make_key(void) { pthread_key_create(&g_key, free_scratch); }

float* fl_scratch(int slot, size_t floats) {
  pthread_once(&g_once, make_key);
  Scratch* s = pthread_getspecific(g_key);
  if (!s) {
    s = calloc(1, sizeof *s);
    if (!s || pthread_setspecific(g_key, s) != 0) {
      free(s);
      return NULL;
    }
  }
  if (s->n[slot] < floats) {
    free(s->p[slot]);
    const size_t bytes = ((floats * sizeof(float) + 63) / 64) * 64;
    s->p[slot] = aligned_alloc(64, bytes);
    s->n[slot] = s->p[slot] ? floats : 0;
  }
  return s->p[slot];
}
